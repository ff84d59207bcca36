"""The client's error tree.

ClientError
├── ApiError      the server answered with problem details (status, title, detail)
└── (KeyFolder raises crypto.KeystoreError for a wrong passphrase or a corrupted file)
"""

from __future__ import annotations

__all__ = ["ApiError", "ClientError"]


class ClientError(Exception):
    """Base of the errors the client raises itself."""


class ApiError(ClientError):
    """A non-success answer. `detail` comes from the server's problem details."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.title!r}, {self.detail!r})"
