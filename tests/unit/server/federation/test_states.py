"""The forwarded-request state table: an answer is accepted only while `waiting`."""

from __future__ import annotations

import pytest

from server.errors import IllegalTransition
from server.federation.states import FORWARD, ForwardStatus


@pytest.mark.parametrize(
    "end", [ForwardStatus.ANSWERED, ForwardStatus.CANCELLED, ForwardStatus.EXPIRED]
)
def test_waiting_ends_once_and_every_end_is_final(end: ForwardStatus) -> None:
    assert FORWARD(ForwardStatus.WAITING, end) is end
    assert FORWARD.final(end)
    for later in ForwardStatus:
        with pytest.raises(IllegalTransition):
            FORWARD(end, later)
