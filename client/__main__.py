"""`python -m client`: the terminal client."""

from client.cli import main

raise SystemExit(main())
