/**
 * The one error tree of the protocol, mirroring `crypto.errors` (docs/protocol.md §10).
 *
 *     CryptoError
 *      ├── DecodeError            malformed input; the message says what (no secrets)
 *      ├── SignatureError         a signature did not verify
 *      ├── InvalidKeyError        wrong length, low-order point / all-zero DH, prekey id
 *      ├── LimitError             size or count limit
 *      │    └── SkippedMessageLimitError   (also a DecryptionError)
 *      ├── DecryptionError        "message could not be decrypted"; no detail, no change
 *      │    ├── ReplayError       key already used (duplicate delivery or replay)
 *      │    ├── FrankingError     authentic message, commitment does not verify; discarded
 *      │    └── SkippedMessageLimitError
 *      ├── ReportError            franking report does not match the tag
 *      ├── IdentityKeyChanged     the peer's identity key is not the one pinned for the room
 *      └── KeystoreError          wrong passphrase or corrupted keystore
 *
 * JavaScript has single inheritance: SkippedMessageLimitError extends DecryptionError, and
 * `instanceof LimitError` is also true for it (Symbol.hasInstance below).
 *
 * Decryption failures deliberately say nothing about why authentication failed.
 *
 * @module protocol/errors
 */

/** Base class of every error raised by the protocol modules. */
export class CryptoError extends Error {
  /** @param {string} [message] */
  constructor(message = 'cryptographic operation failed') {
    super(message);
    this.name = new.target.name;
  }
}

/** Input is malformed: wrong type, length, encoding, unknown version or over a size limit. */
export class DecodeError extends CryptoError {}

/** A signature did not verify. */
export class SignatureError extends CryptoError {
  constructor(message = 'signature verification failed') {
    super(message);
  }
}

/** A key has the wrong length or yields a low-order (all-zero) Diffie-Hellman result. */
export class InvalidKeyError extends CryptoError {}

/** A size or count limit was exceeded; nothing was changed. */
export class LimitError extends CryptoError {
  static [Symbol.hasInstance](value) {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    // eslint-disable-next-line no-use-before-define
    return this === LimitError && value instanceof SkippedMessageLimitError;
  }
}

/** A message could not be decrypted. Deliberately carries no detail. */
export class DecryptionError extends CryptoError {
  constructor(message = 'message could not be decrypted') {
    super(message);
  }
}

/** The message key for this message was already used or discarded (replay or duplicate). */
export class ReplayError extends DecryptionError {
  constructor(message = 'message already received') {
    super(message);
  }
}

/**
 * The message authenticated but its franking commitment does not match its plaintext.
 * The message is discarded; the ratchet has consumed its key, as for any authentic message.
 */
export class FrankingError extends DecryptionError {
  constructor(message = 'franking commitment does not verify') {
    super(message);
  }
}

/**
 * Accepting the message would need more skipped message keys than allowed.
 * Raised before any expensive work and without changing the session. Also a LimitError.
 */
export class SkippedMessageLimitError extends DecryptionError {
  constructor(message = 'too many skipped messages') {
    super(message);
  }
}

/** A reported message (plaintext + franking key) does not match its server tag. */
export class ReportError extends CryptoError {
  constructor(message = 'report does not match the franking tag') {
    super(message);
  }
}

/**
 * A bundle or handshake names another identity key than the one pinned for the peer
 * (`protocol/pinning.js`). Nothing was created and no prekey was used.
 */
export class IdentityKeyChanged extends CryptoError {
  constructor(message = "the peer's identity key changed") {
    super(message);
  }
}

/** The keystore could not be opened: wrong passphrase, or the data is corrupted. */
export class KeystoreError extends CryptoError {
  constructor(message = 'wrong passphrase or corrupted keystore') {
    super(message);
  }
}
