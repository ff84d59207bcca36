"""The access log of `peerhaven serve` names route templates, never ids or client addresses
(issue 12, item 13)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@SQLITE_ONLY
def test_access_log_has_route_templates_and_no_ids_or_addresses(
    database_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PEERHAVEN_DATABASE_URL": database_url,
        "PEERHAVEN_DATA_DIR": str(tmp_path / "var"),
        "PEERHAVEN_PORT": str(port),
        "PEERHAVEN_LOG_LEVEL": "INFO",
    }
    cli = [sys.executable, "-m", "server.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    log_file = tmp_path / "server.log"
    with log_file.open("wb") as sink:
        server = subprocess.Popen([*cli, "serve"], env=env, stdout=sink, stderr=subprocess.STDOUT)
    ids = [str(uuid.uuid4()) for _ in range(4)]
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.1)
            token = {"authorization": f"Bearer {ids[3]}"}
            statuses = [
                client.get(f"/api/v1/rooms/{ids[0]}", headers=token).status_code,
                client.post(f"/api/v1/offers/{ids[1]}/accept").status_code,
                client.get(f"/api/v1/support-requests/{ids[2]}?x={ids[3]}").status_code,
                client.get(f"/no/such/{ids[0]}").status_code,
            ]
        assert statuses == [401, 401, 401, 404]
        with connect(f"ws://127.0.0.1:{port}/ws") as ws:
            ws.send(json.dumps({"type": "auth", "token": ids[3]}))
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log_file.read_text()
    assert "GET /api/v1/rooms/{room_id} 401" in text, text
    assert "POST /api/v1/offers/{offer_id}/accept 401" in text, text
    assert "GET /api/v1/support-requests/{request_id} 401" in text, text
    assert "GET unmatched 404" in text, text
    assert UUID.search(text) is None, text
    # The one address allowed is the server's own, in uvicorn's start-up line.
    own = f"Uvicorn running on http://127.0.0.1:{port}"
    assert own in text
    assert "127.0.0.1" not in text.replace(own, ""), text
