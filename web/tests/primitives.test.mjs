// Known-answer tests of the primitives, as tests/unit/crypto/test_primitives.py:
// RFC 5869, RFC 7748, RFC 8032, libsignal's chain-key and fingerprint vectors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { fingerprint, hex, primitives as p, protocol, ratchet, toHex, utf8 } from './support/protocol.mjs';

const { DecryptionError, InvalidKeyError, SignatureError } = protocol;
const range = (start, end) => Uint8Array.from({ length: end - start }, (_, i) => start + i);

describe('HKDF-SHA256 (RFC 5869 appendix A)', () => {
  test('case 1', () => {
    const okm = p.hkdfSha256(hex('0b'.repeat(22)), {
      salt: hex('000102030405060708090a0b0c'), info: hex('f0f1f2f3f4f5f6f7f8f9'), length: 42,
    });
    assert.equal(toHex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  test('case 2, long inputs', () => {
    const okm = p.hkdfSha256(range(0x00, 0x50), { salt: range(0x60, 0xb0), info: range(0xb0, 0x100), length: 82 });
    assert.equal(toHex(okm), 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c'
      + '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71'
      + 'cc30c58179ec3e87c14c01d5c1f3434f1d87');
  });

  test('case 3, empty salt and info', () => {
    const okm = p.hkdfSha256(hex('0b'.repeat(22)), { salt: new Uint8Array(0), info: new Uint8Array(0), length: 42 });
    assert.equal(toHex(okm), '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  test('output length bounds', () => {
    const args = { salt: new Uint8Array(0), info: new Uint8Array(0) };
    assert.throws(() => p.hkdfSha256(new Uint8Array(1), { ...args, length: 0 }), RangeError);
    assert.throws(() => p.hkdfSha256(new Uint8Array(1), { ...args, length: 255 * 32 + 1 }), RangeError);
  });
});

test('HMAC-SHA256 with a key longer than the block (RFC 4231 case 6)', () => {
  const mac = p.hmacSha256(new Uint8Array(131).fill(0xaa), utf8('Test Using Larger Than Block-Size Key - Hash Key First'));
  assert.equal(toHex(mac), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
});

describe('X25519 (RFC 7748 §5.2, §6.1)', () => {
  test('scalar multiplication vector', () => {
    const out = p.x25519(
      hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
      hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
    );
    assert.equal(toHex(out), 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
  });

  test('iterated 1000 times', () => {
    let k = hex(`09${'00'.repeat(31)}`);
    let u = k;
    for (let i = 1; i <= 1000; i += 1) {
      [k, u] = [p.x25519(k, u), k];
      if (i === 1) assert.equal(toHex(k), '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
    }
    assert.equal(toHex(k), '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
  });

  test('Diffie-Hellman', () => {
    const a = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const b = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    assert.equal(toHex(p.x25519Public(a)), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    assert.equal(toHex(p.x25519Public(b)), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    assert.equal(toHex(p.x25519(a, p.x25519Public(b))), shared);
    assert.equal(toHex(p.x25519(b, p.x25519Public(a))), shared);
  });

  for (const point of [
    '00'.repeat(32),
    `01${'00'.repeat(31)}`,
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    `ec${'ff'.repeat(30)}7f`,
    `ed${'ff'.repeat(30)}7f`,
    `ee${'ff'.repeat(30)}7f`,
  ]) {
    test(`low-order point rejected: ${point.slice(0, 8)}…`, () => {
      assert.throws(() => p.x25519(hex('77'.repeat(32)), hex(point)), InvalidKeyError);
    });
  }

  test('wrong lengths rejected', () => {
    assert.throws(() => p.x25519(new Uint8Array(31), new Uint8Array(32)), InvalidKeyError);
    assert.throws(() => p.x25519(new Uint8Array(32), new Uint8Array(33)), InvalidKeyError);
  });
});

describe('Ed25519 (RFC 8032 §7.1)', () => {
  const VECTORS = [
    ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
    ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
  ];
  for (const [seed, publicKey, message, signature] of VECTORS) {
    test(`test vector ${publicKey.slice(0, 8)}…`, () => {
      assert.equal(toHex(p.ed25519PublicFromSeed(hex(seed))), publicKey);
      assert.equal(toHex(p.ed25519Sign(hex(seed), hex(message))), signature);
      p.ed25519Verify(hex(publicKey), hex(message), hex(signature));
    });
  }

  test('tampered signature, wrong key, bad lengths rejected', () => {
    const seed = new Uint8Array(32);
    const sig = p.ed25519Sign(seed, utf8('msg'));
    const pub = p.ed25519PublicFromSeed(seed);
    sig[0] ^= 1;
    assert.throws(() => p.ed25519Verify(pub, utf8('msg'), sig), SignatureError);
    sig[0] ^= 1;
    p.ed25519Verify(pub, utf8('msg'), sig);
    assert.throws(() => p.ed25519Verify(p.ed25519PublicFromSeed(new Uint8Array(32).fill(1)), utf8('msg'), sig), SignatureError);
    assert.throws(() => p.ed25519Verify(pub, utf8('msg'), sig.slice(1)), SignatureError);
    assert.throws(() => p.ed25519Verify(pub.slice(1), utf8('msg'), sig), SignatureError);
    assert.throws(() => p.ed25519Verify(new Uint8Array(32), utf8('msg'), sig), SignatureError); // small order
  });

  test('X25519 forms agree', () => {
    const [a, b] = [new Uint8Array(32).fill(0x11), new Uint8Array(32).fill(0x22)];
    const ax = p.ed25519PublicToX25519(p.ed25519PublicFromSeed(a));
    const bx = p.ed25519PublicToX25519(p.ed25519PublicFromSeed(b));
    assert.deepEqual(p.x25519(p.ed25519SeedToX25519(a), bx), p.x25519(p.ed25519SeedToX25519(b), ax));
  });

  test('an invalid Ed25519 point has no X25519 form', () => {
    // y = 2 is not on the curve.
    assert.throws(() => p.ed25519PublicToX25519(hex(`02${'00'.repeat(31)}`)), InvalidKeyError);
  });
});

test('XChaCha20-Poly1305: round trip and tamper', () => {
  const key = new Uint8Array(32);
  const nonce = new Uint8Array(24);
  const ct = p.aeadEncrypt(key, nonce, utf8('secret'), utf8('ad'));
  assert.equal(new TextDecoder().decode(p.aeadDecrypt(key, nonce, ct, utf8('ad'))), 'secret');
  assert.throws(() => p.aeadDecrypt(key, nonce, ct, utf8('AD')), { name: 'DecryptionError', message: 'message could not be decrypted' });
  assert.throws(() => p.aeadDecrypt(key, nonce, ct.slice(0, 10), utf8('ad')), DecryptionError);
  assert.throws(() => p.aeadEncrypt(key.slice(1), nonce, utf8('x'), utf8('')), InvalidKeyError);
});

test('XChaCha20-Poly1305 IETF draft vector (draft-irtf-cfrg-xchacha-03 A.3.1)', () => {
  const plaintext = utf8("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  const ct = p.aeadEncrypt(
    hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
    hex('404142434445464748494a4b4c4d4e4f5051525354555657'),
    plaintext, hex('50515253c0c1c2c3c4c5c6c7'),
  );
  assert.equal(toHex(ct.slice(-16)), 'c0875924c1c7987947deafd8780acf49');
  assert.equal(toHex(ct.slice(0, 16)), 'bd6d179d3e83d43b9576579493c0e939');
});

test("libsignal's chain-key vector (KDF_CK)", () => {
  const seed = hex('8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f');
  const [next, messageKeySeed] = ratchet.kdfCk(seed);
  assert.equal(toHex(next), '28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d');
  const derived = p.hkdfSha256(messageKeySeed, { salt: new Uint8Array(0), info: utf8('WhisperMessageKeys'), length: 80 });
  assert.equal(toHex(derived.slice(0, 32)), 'bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217');
  assert.equal(toHex(derived.slice(32, 64)), 'c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b');
});

test("libsignal's fingerprint vector (5200 iterations, version 0)", () => {
  const alice = hex('0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868');
  const bob = hex('05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b');
  const expected = '300354477692869396892869876765458257569162576843440918079131';
  assert.equal(fingerprint.safetyNumber(alice, '+14152222222', bob, '+14153333333'), expected);
  assert.equal(fingerprint.safetyNumber(bob, '+14153333333', alice, '+14152222222'), expected);
  assert.equal(fingerprint.formatSafetyNumber(expected).split(' ').length, 12);
});

test('constant-time comparison', () => {
  assert.equal(p.constantTimeEqual(hex('0102'), hex('0102')), true);
  assert.equal(p.constantTimeEqual(hex('0102'), hex('0103')), false);
  assert.equal(p.constantTimeEqual(hex('0102'), hex('01')), false);
  assert.equal(p.constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
});

test('randomBytes draws from libsodium', () => {
  const a = p.randomBytes(32);
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, p.randomBytes(32));
});
