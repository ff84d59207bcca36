"""`make run`'s demo has an on-duty rota: `peerhaven demo` seeds a rota seat for each moderator
invite, so whoever registers with the first one is on primary duty (the second on backup) as
soon as their device registers its report key, and a member's flag reaches them live. The
server never holds a key: the moderator's device makes and signs its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from client import KeyFolder, Peerhaven
from crypto.primitives import ARGON2ID_MEMLIMIT_MIN, ARGON2ID_OPSLIMIT_MIN
from tests.integration.accounts.test_cli import peerhaven
from tests.integration.moderation.desk import notified
from tests.integration.sockets import open_socket
from tests.live import serve
from tests.world import make_settings


def _demo_codes(path: Path) -> dict[tuple[str, str], list[str]]:
    codes: dict[tuple[str, str], list[str]] = {}
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        institution, role, code = line.split()
        codes.setdefault((institution, role), []).append(code)
    return codes


def _device(base_url: str, tmp_path: Path, name: str, code: str) -> tuple[Peerhaven, str]:
    keys = KeyFolder(tmp_path / name, "correct horse battery staple",
                     opslimit=ARGON2ID_OPSLIMIT_MIN, memlimit=ARGON2ID_MEMLIMIT_MIN)  # fmt: skip
    client = Peerhaven(base_url, keys=keys)
    client.register(code)
    return client, str(client.login()["account_id"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_demo_moderator_invites_give_an_on_duty_rota(
    database_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "var"
    env = {"PEERHAVEN_DATABASE_URL": database_url, "PEERHAVEN_DATA_DIR": str(data)}
    assert peerhaven(env, "migrate").returncode == 0
    seeded = peerhaven(env, "demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    assert "first moderator code is on primary duty" in seeded.stdout  # the newcomer is told
    codes = _demo_codes(data / "demo-invites.txt")
    first_mod = codes[("riverside-general", "moderator")][0]
    second_mod = codes[("lakeview-childrens", "moderator")][0]
    clients: list[Peerhaven] = []
    ids: dict[str, str] = {}
    with serve(make_settings(database_url, data)) as server:
        url = server.base_url

        def device(name: str, code: str) -> Peerhaven:
            made, ids[name] = _device(url, tmp_path, name, code)
            clients.append(made)
            return made

        try:
            primary = device("primary", first_mod)
            admin = device("admin", codes[("riverside-general", "network_admin")][0])
            # Registered but no report key yet: not on duty (could not read a report).
            assert admin.rota() == []
            primary.register_report_key()
            backup = device("backup", second_mod)
            backup.register_report_key()
            rota = {(e["account_id"], e["tier"], e["on_duty"], e["has_report_key"])
                    for e in admin.rota()}  # fmt: skip
            assert rota == {
                (ids["primary"], "primary", True, True),
                (ids["backup"], "backup", True, True),
            }
            # The seat is taken once: going off duty sticks across a new key.
            backup.set_duty(False, tier="backup")
            backup.register_report_key()
            assert [e["on_duty"] for e in admin.rota() if e["tier"] == "backup"] == [False]

            asker = device("asker", codes[("riverside-general", "clinician")][0])
            helper = device("helper", codes[("hillcrest-university", "supporter")][0])
            helper.set_profile(specialty="207P00000X", years_experience=15,
                               career_stage="senior", languages=["en"],
                               time_zone="America/Chicago")  # fmt: skip
            helper.set_supporter_profile(topic_expertise=["burnout"])
            asker.set_profile(specialty="207P00000X", years_experience=4,
                              career_stage="resident", languages=["en"],
                              time_zone="America/Chicago")  # fmt: skip
            assert asker.request_support(["burnout"])["status"] == "offered"
            (offer,) = helper.offers()
            room = helper.accept_offer(offer["id"])
            asker.join_room(room["id"])
            socket = await open_socket(url, primary.token)
            try:
                flag = await asyncio.to_thread(asker.flag_room, room["id"], "crisis",
                                               note="demo")  # fmt: skip
                frame = await notified(socket, flag=flag["id"], change="raised")
            finally:
                await socket.close()
            assert frame["data"]["tier"] == "primary"
            assert primary.read_report(primary.flag(flag["id"])).note == "demo"
        finally:
            for each in clients:
                each.close()
