"""The HTTP API against its own OpenAPI document (issue 12, item 16): schemathesis, every check,
as each role, against a live server, with a bounded number of examples per operation.

Every error the server sends must be declared (problem details, `application/problem+json`),
every response must match its schema, no input may produce a server error, and schema-valid
input must not be refused as malformed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES

from server.accounts.roles import Role
from server.app import create_app
from server.config import Settings
from tests.integration.peers import clinician, supporter
from tests.live import serve
from tests.world import World, make_settings, seed_world

EXAMPLES = 4  # per operation and role: ~30 operations x 5 roles, inside a minute on 2 cores


@pytest.fixture(scope="module")
def contract_world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[World, dict[Role, dict[str, str]]]]:
    tmp = tmp_path_factory.mktemp("contract")
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp / 'peerhaven.db'}",
        tmp / "var",
        sqlite_synchronous="NORMAL",
        auth_attempts_per_minute=100_000,
        registrations_per_hour=100_000,
        request_changes_per_hour=100_000,
    )
    with serve(settings) as server, server.client() as client:
        world = World(server=server, client=client)
        seed_world(world)
        helper = supporter(world, "b")
        asker = clinician(world, "a")
        headers = {
            Role.CLINICIAN: asker.device.headers,
            Role.SUPPORTER: helper.device.headers,
        }
        for role in (Role.MODERATOR, Role.INSTITUTION_ADMIN, Role.NETWORK_ADMIN):
            headers[role] = world.device(role).headers
        yield world, headers


def _document() -> dict[str, Any]:
    """The document the app serves (built from a throwaway app; checked against the live one)."""
    app = create_app(Settings(data_dir=Path("var-unused"), franking_secret="f" * 43))
    document: dict[str, Any] = app.openapi()
    return document


# The operations whose input a schema cannot fully describe: a signature must verify with a key
# that must be a valid curve point, a time zone must exist, a daily window must not be empty.
# A schema-valid request may then get 422 (problem details that say why); every other check
# still applies.
SEMANTIC_422 = (
    "/api/v1/auth/challenges",
    "/api/v1/auth/tokens",
    "/api/v1/accounts",
    "/api/v1/rooms/{room_id}/identity",
    "/api/v1/rooms/{room_id}/prekeys",
    "/api/v1/profile",
    "/api/v1/supporter-profile",
    "/api/v1/moderation/report-key",  # the report key must be signed by the device key
    "/api/v1/push/subscriptions",  # the endpoint must be an https URL of a push service
    "/api/v1/checkins/link",  # the identifier must be printable once NFKC-normalised
    "/api/v1/federation/peers",  # the URL must be a node's origin, the fingerprint its key's
)
# Adding a peer fetches the peer node's well-known document; an address where no node answers
# is the one 5xx the contract allows (503: try again when the peer is up).
REACHES_ANOTHER_NODE = ("/api/v1/federation/peers",)
# Query parameters the route does not name are ignored (as HTTP APIs conventionally do), so a
# request with made-up ones is not "schema-violating data accepted" there.
IGNORES_UNKNOWN_QUERY = ("/api/v1/moderation/flags",)


def _config(*, coverage: bool) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "phases": {"coverage": {"enabled": coverage}},
            "operations": [
                {
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [
                                *POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
                                "422",
                            ]
                        }
                    },
                }
                for path in SEMANTIC_422
            ]
            + [
                {"include-path": path, "checks": {"not_a_server_error": {"enabled": False}}}
                for path in REACHES_ANOTHER_NODE
            ]
            + [
                {"include-path": path, "checks": {"negative_data_rejection": {"enabled": False}}}
                for path in IGNORES_UNKNOWN_QUERY
            ],
        }
    )


DOCUMENT = _document()
# The coverage phase (boundary values, every enum member, each wrong type) for the two roles
# that reach most operations; plain bounded fuzzing for the others, who mostly get 403.
THOROUGH = schemathesis.openapi.from_dict(DOCUMENT, config=_config(coverage=True))
QUICK = schemathesis.openapi.from_dict(DOCUMENT, config=_config(coverage=False))


def test_the_live_server_serves_this_document(
    contract_world: tuple[World, dict[Role, dict[str, str]]],
) -> None:
    world, _headers = contract_world
    assert world.client.get("/openapi.json").json() == DOCUMENT


def _contract(role: Role) -> Any:
    schema = THOROUGH if role in (Role.CLINICIAN, Role.SUPPORTER) else QUICK

    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def test(case: Any, contract_world: tuple[World, dict[Role, dict[str, str]]]) -> None:
        _world, headers = contract_world
        if case.path == "/api/v1/auth/tokens/current":
            return  # logging out would end this role's run; tests/integration/accounts cover it
        case.call_and_validate(base_url=_world.server.base_url, headers=headers[role])

    test.__name__ = f"test_the_api_keeps_its_contract_as_{role.value}"
    return test


# One test per role (schemathesis' lazy schemas take no pytest parameters).
test_the_api_keeps_its_contract_as_clinician = _contract(Role.CLINICIAN)
test_the_api_keeps_its_contract_as_supporter = _contract(Role.SUPPORTER)
test_the_api_keeps_its_contract_as_moderator = _contract(Role.MODERATOR)
test_the_api_keeps_its_contract_as_institution_admin = _contract(Role.INSTITUTION_ADMIN)
test_the_api_keeps_its_contract_as_network_admin = _contract(Role.NETWORK_ADMIN)
