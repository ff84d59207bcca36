"""Roles an account can hold, and who may invite whom."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["INVITABLE_BY", "Role"]


class Role(StrEnum):
    CLINICIAN = "clinician"
    SUPPORTER = "supporter"
    MODERATOR = "moderator"
    INSTITUTION_ADMIN = "institution_admin"
    NETWORK_ADMIN = "network_admin"


# Which roles an admin of each kind may put on an invite. Moderators and network admins act for
# the whole network, so only a network admin (or the CLI) creates them.
INVITABLE_BY: dict[Role, frozenset[Role]] = {
    Role.INSTITUTION_ADMIN: frozenset({Role.CLINICIAN, Role.SUPPORTER, Role.INSTITUTION_ADMIN}),
    Role.NETWORK_ADMIN: frozenset(Role),
}
