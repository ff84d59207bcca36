"""Log hygiene: the WebSocket library's frame trace never reaches a log; the invalid-UTF-8 record
from uvicorn becomes one INFO line without a traceback, rate-limited."""

from __future__ import annotations

import logging
import os

import websockets

from server.platform.logs import ProtocolNoise


def _record(msg: str, *, level: int = logging.DEBUG, path: str = "/x/uvicorn/impl.py",
            exc: bool = False) -> logging.LogRecord:  # fmt: skip
    exc_info = None
    if exc:
        try:
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        except UnicodeDecodeError as error:
            exc_info = (type(error), error, error.__traceback__)
    return logging.LogRecord("uvicorn.error", level, path, 1, msg, (), exc_info)


def test_frame_traces_from_the_websocket_library_are_dropped() -> None:
    noise = ProtocolNoise(interval=60)
    inside = os.path.join(os.path.dirname(websockets.__file__), "protocol.py")
    frame = _record("< %s", path=inside)
    frame.args = ("TEXT '{\"type\":\"auth\",\"token\":\"ph1_secret\"}' [40 bytes]",)
    assert not noise.filter(frame)
    assert noise.filter(_record("parser failed", level=logging.ERROR, path=inside))
    assert noise.filter(_record("conn abc authenticated", level=logging.INFO))


def test_invalid_utf8_is_one_info_line_per_interval_without_traceback() -> None:
    noise = ProtocolNoise(interval=3600)
    invalid = "Invalid UTF-8 sequence received from client."
    first = _record(invalid, level=logging.ERROR, exc=True)
    assert noise.filter(first)
    assert first.levelno == logging.INFO and first.levelname == "INFO"
    assert first.exc_info is None and first.exc_text is None
    assert "1007" in first.getMessage()
    for _ in range(50):
        assert not noise.filter(_record(invalid, level=logging.ERROR, exc=True))
    noise.interval = 0
    later = _record(invalid, level=logging.ERROR, exc=True)
    assert noise.filter(later)
    assert "51 socket(s)" in later.getMessage()  # the line counts the ones it stood for
