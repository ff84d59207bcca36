"""A device in tests: an Ed25519 identity that registers and logs in over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from nacl.signing import SigningKey

from crypto.encoding import b64decode, b64encode
from crypto.statements import login_statement, registration_statement

__all__ = ["Device"]


@dataclass
class Device:
    key: SigningKey = field(default_factory=SigningKey.generate)
    token: str | None = None

    @property
    def public(self) -> bytes:
        return bytes(self.key.verify_key)

    @property
    def public_b64(self) -> str:
        return b64encode(self.public)

    def registration(self, code: str, origin: str) -> dict[str, str]:
        message = registration_statement(origin=origin, invite_code=code, identity_key=self.public)
        return {
            "invite_code": code,
            "identity_key": self.public_b64,
            "signature": b64encode(self.key.sign(message).signature),
        }

    def register(self, client: httpx.Client, code: str, origin: str) -> dict[str, Any]:
        response = client.post("/api/v1/accounts", json=self.registration(code, origin))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def sign_challenge(self, challenge: dict[str, Any]) -> str:
        nonce = b64decode(challenge["nonce"], field="nonce", max_length=64)
        message = login_statement(origin=challenge["origin"], nonce=nonce, identity_key=self.public)
        return b64encode(self.key.sign(message).signature)

    def login(self, client: httpx.Client) -> str:
        challenge = client.post("/api/v1/auth/challenges", json={"identity_key": self.public_b64})
        assert challenge.status_code == 201, challenge.text
        response = client.post(
            "/api/v1/auth/tokens",
            json={"challenge_id": challenge.json()["challenge_id"],
                  "signature": self.sign_challenge(challenge.json())},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        self.token = response.json()["token"]
        return self.token

    @property
    def headers(self) -> dict[str, str]:
        assert self.token is not None, "log in first"
        return {"Authorization": f"Bearer {self.token}"}
