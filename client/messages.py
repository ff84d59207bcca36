"""The client's old names for the signed statements, kept as aliases only.

The bytes are specified once, in :mod:`crypto.statements`; import from there. These aliases stay
until nothing imports them (today a server-side unit test pins them against ``server/``).
"""

from __future__ import annotations

from crypto.statements import (
    LOGIN_LABEL,
    REGISTER_LABEL,
    ROOM_IDENTITY_DOMAIN,
    room_identity_payload,
)
from crypto.statements import login_statement as login_message
from crypto.statements import normalise_invite_code as normalise_code
from crypto.statements import registration_statement as registration_message

__all__ = [
    "LOGIN_LABEL",
    "REGISTER_LABEL",
    "ROOM_IDENTITY_DOMAIN",
    "login_message",
    "normalise_code",
    "registration_message",
    "room_identity_payload",
]
