"""The browser protocol (``web/js/protocol``) passes its Node test suite.

That suite replays every value of ``crypto/vectors.json`` with the JavaScript implementation,
so this test fails whenever the Python and browser implementations stop agreeing. It needs
Node.js: missing locally it skips, on CI (``PEERHAVEN_REQUIRE_SERVICES``) it fails.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.services import missing_service

ROOT = Path(__file__).resolve().parents[3]
WEB_TESTS = ROOT / "web" / "tests"


def _count(output: str, name: str) -> int:
    match = re.search(rf"^# {name} (\d+)$", output, re.MULTILINE)
    assert match is not None, f"no '# {name} N' line in the node output:\n{output[-3000:]}"
    return int(match.group(1))


def test_node_protocol_suite_passes() -> None:
    node = shutil.which("node")
    if node is None:
        missing_service("Node.js")
        return
    # The test files are named explicitly: `node --test web/tests/` (a directory) works on
    # Node 20 but not on Node 21+, which treat the argument as a glob and fail to find it.
    files = sorted(str(path.relative_to(ROOT)) for path in WEB_TESTS.glob("*.test.mjs"))
    assert files, "no web/tests/*.test.mjs files"
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert _count(output, "fail") == 0
    assert _count(output, "cancelled") == 0
    assert _count(output, "pass") > 0
    assert _count(output, "tests") == _count(output, "pass")
    replayed = re.search(r"replayed (\d+) of (\d+) vector values", output)
    assert replayed is not None and replayed.group(1) == replayed.group(2), output[-3000:]
