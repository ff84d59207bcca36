// Two devices with a session between them, like tests/unit/crypto/conftest.py's make_pair.
import { deterministicRandom, protocol, utf8 } from './protocol.mjs';

export const ROOM = 'room-1';
export const ALICE = 'alice-dev';
export const BOB = 'bob-dev';

/**
 * @param {{withOpk?: boolean, seed?: string}} [options]
 */
export function makePair({ withOpk = true, seed = 'test' } = {}) {
  const rng = deterministicRandom(seed);
  const alice = protocol.IdentityKeyPair.generate(rng);
  const bob = protocol.IdentityKeyPair.generate(rng);
  const spk = protocol.SignedPreKey.generate(bob, 1, rng);
  const opk = withOpk ? protocol.OneTimePreKey.generate(9, rng) : null;
  const bundle = protocol.PreKeyBundle.create(bob, spk, opk);
  const aliceSession = protocol.initiateSession(alice, bundle, {
    room: ROOM, device: ALICE, peerDevice: BOB,
  });
  const pair = {
    alice, bob, spk, opk, bundle, aliceSession, bobSession: null,
    /** Bob accepts Alice's first message. */
    bobAccepts(text = 'first') {
      const envelope = pair.aliceSession.encrypt(utf8(text));
      pair.bobSession = protocol.acceptSession(bob, spk, opk, envelope, { device: BOB }).session;
      return pair.bobSession;
    },
    /** Both sides have received one message: no more X3DH headers. */
    establish() {
      pair.bobAccepts();
      pair.aliceSession.decrypt(pair.bobSession.encrypt(utf8('reply')));
      return [pair.aliceSession, pair.bobSession];
    },
  };
  return pair;
}

export const text = (received) => new TextDecoder().decode(received.plaintext);
