"""The reservation's first statement looks its supporter up by key, whatever the network's size.

An uncorrelated `account_id IN (SELECT id FROM accounts WHERE disabled_at IS NULL)` made SQLite
list every account on every reservation (0.7 s at 10^5 accounts); the plan, not a timer, says so.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from server.db import migrate
from server.db.engine import Database
from server.support.offers import claim_supporter


async def test_claiming_a_supporter_scans_no_table(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plan.db'}"
    with ThreadPoolExecutor(max_workers=1) as pool:  # Alembic runs an event loop of its own
        pool.submit(migrate.upgrade, url).result()
    db = Database(url)
    try:
        async with db.engine.connect() as connection:
            statement = claim_supporter(uuid.uuid4()).compile(
                dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
            )
            # The values do not change the plan: every placeholder gets NULL.
            names = statement.positiontup or []
            plan = await connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", tuple(None for _ in names)
            )
            details = [row[-1] for row in plan.all()]
    finally:
        await db.dispose()
    assert details, "no plan"
    assert not [d for d in details if d.startswith("SCAN")], details
    assert any("accounts" in d for d in details), details  # looked up, by key
