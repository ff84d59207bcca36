"""The browser vault's Argon2id limits match the Python keystore's (issue 12, item 15).

A vault sealed with the old INTERACTIVE limits still unlocks, and is re-sealed on that unlock
with MODERATE ones (a fresh salt, every record kept), in a real Chromium's IndexedDB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crypto.keystore import DEFAULT_MEMLIMIT, DEFAULT_OPSLIMIT
from tests.e2e.browser import expect

RESEAL = """async () => {
  const { Vault, kdfLimits } = await import('/static/app/vault.js');
  const { sodium } = await import('/static/js/protocol/sodium.js');
  const s = sodium();
  const meta = async () => {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open('peerhaven', 1); r.onsuccess = () => ok(r.result); r.onerror = no;
    });
    const value = await new Promise((ok, no) => {
      const r = db.transaction('records').objectStore('records').get('meta');
      r.onsuccess = () => ok(r.result); r.onerror = no;
    });
    db.close();
    return { ...value.kdf, salt: Array.from(value.kdf.salt) };
  };
  const old = { opslimit: s.crypto_pwhash_OPSLIMIT_INTERACTIVE,
    memlimit: s.crypto_pwhash_MEMLIMIT_INTERACTIVE };
  const vault = await Vault.open();
  await vault.create('an old passphrase', old);  // as versions before issue 12 did
  await vault.put({ probe: { text: 'kept' } });
  const before = await meta();

  const reopened = await Vault.open();            // a reload
  const locked = reopened.state;
  await reopened.unlock('an old passphrase');
  const after = await meta();
  const third = await Vault.open();               // the next reload opens the new sealing
  await third.unlock('an old passphrase');
  return { before, after, locked, target: kdfLimits(), probe: (await third.get('probe')).text,
    limits: third.limits };
}"""


def test_an_old_vault_unlocks_and_is_resealed_with_moderate_limits(
    new_page: Callable[[], Any],
) -> None:
    page = new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()  # the app (and libsodium) ran
    found = page.evaluate(RESEAL)
    moderate = {"opslimit": DEFAULT_OPSLIMIT, "memlimit": DEFAULT_MEMLIMIT}
    assert found["target"] == moderate  # the same limits as crypto/keystore.py
    assert found["locked"] == "locked"
    assert {k: found["before"][k] for k in moderate} != moderate  # it really was weaker
    assert {k: found["after"][k] for k in moderate} == moderate
    assert found["after"]["salt"] != found["before"]["salt"]
    assert found["limits"] == moderate and found["probe"] == "kept"
