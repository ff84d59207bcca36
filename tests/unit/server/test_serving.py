"""Every way of serving the app hands uvicorn the relay's frame limit: a frame over it is refused
by the protocol layer on its header, before uvicorn buffers it (its own default is 16 MiB)."""

from __future__ import annotations

from typing import Any

import pytest

from server import cli
from server.app import uvicorn_options
from server.config import Settings


def test_the_frame_limit_is_the_protocol_layers_limit() -> None:
    options = uvicorn_options(Settings(ws_max_frame_bytes=5000, log_level="DEBUG"))
    assert options["ws_max_size"] == 5000
    assert options["log_level"] == "debug"
    assert options["ws_per_message_deflate"] is False


def test_peerhaven_serve_passes_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs, app=app))
    settings = Settings(ws_max_frame_bytes=7777)
    args = cli.build_parser().parse_args(["serve"])
    assert cli.cmd_serve(args, settings) == 0
    assert seen["ws_max_size"] == 7777 and seen["factory"] is True


def test_peerhaven_serve_gives_workers_time_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # uvicorn's own 5 s killed workers that were still importing on a busy host, forever.
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs, app=app))
    args = cli.build_parser().parse_args(["serve", "--workers", "2"])
    assert cli.cmd_serve(args, Settings()) == 0
    assert seen["workers"] == 2 and seen["timeout_worker_healthcheck"] == 60
    args = cli.build_parser().parse_args(["serve", "--worker-timeout", "9"])
    cli.cmd_serve(args, Settings())
    assert seen["timeout_worker_healthcheck"] == 9
