from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from server.db.types import UTCDateTime


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 1), sqlite.dialect())


def test_sqlite_stores_naive_utc_and_returns_aware() -> None:
    column = UTCDateTime()
    local = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    stored = column.process_bind_param(local, sqlite.dialect())
    assert stored == datetime(2026, 1, 1, 10)
    assert column.process_result_value(stored, sqlite.dialect()) == datetime(
        2026, 1, 1, 10, tzinfo=UTC
    )
    assert column.process_bind_param(local, postgresql.dialect()) == local
