// The error tree mirrors crypto.errors (docs/protocol.md §10).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { errors } from './support/protocol.mjs';

const TREE = {
  DecodeError: ['CryptoError'],
  SignatureError: ['CryptoError'],
  InvalidKeyError: ['CryptoError'],
  LimitError: ['CryptoError'],
  DecryptionError: ['CryptoError'],
  ReplayError: ['DecryptionError', 'CryptoError'],
  FrankingError: ['DecryptionError', 'CryptoError'],
  SkippedMessageLimitError: ['LimitError', 'DecryptionError', 'CryptoError'],
  ReportError: ['CryptoError'],
  IdentityKeyChanged: ['CryptoError'],
  KeystoreError: ['CryptoError'],
};

test('every error is an Error and a CryptoError, with its name', () => {
  for (const [name, parents] of Object.entries(TREE)) {
    const error = new errors[name]();
    assert.ok(error instanceof Error);
    assert.equal(error.name, name);
    for (const parent of parents) assert.ok(error instanceof errors[parent], `${name} is a ${parent}`);
    for (const other of Object.keys(TREE)) {
      if (other !== name && !parents.includes(other)) {
        assert.ok(!(error instanceof errors[other]), `${name} is not a ${other}`);
      }
    }
  }
});

test('messages carry no detail where the Python ones do not', () => {
  assert.equal(new errors.DecryptionError().message, 'message could not be decrypted');
  assert.equal(new errors.ReplayError().message, 'message already received');
  assert.equal(new errors.FrankingError().message, 'franking commitment does not verify');
  assert.equal(new errors.SkippedMessageLimitError().message, 'too many skipped messages');
  assert.equal(new errors.SignatureError().message, 'signature verification failed');
  assert.equal(new errors.ReportError().message, 'report does not match the franking tag');
  assert.equal(new errors.KeystoreError().message, 'wrong passphrase or corrupted keystore');
  assert.equal(new errors.IdentityKeyChanged().message, "the peer's identity key changed");
  assert.equal(new errors.DecodeError('envelope: x').message, 'envelope: x');
});
