/**
 * The relay's wire vocabulary (docs/protocol.md §13), mirroring `crypto/relay.py`; replayed
 * against crypto/vectors.json (`relay.close_codes`, `relay.error_codes`, `relay.max_ack_ids`)
 * so the two cannot drift.
 *
 * @module protocol/relay
 */

/** WebSocket close codes the relay uses. */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  INVALID_DATA: 1007,
  TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  UNAUTHENTICATED: 4001,
  AUTH_TIMEOUT: 4002,
  TOO_MANY_CONNECTIONS: 4008,
  RATE_LIMITED: 4029,
});

/** The `code` of an `error` frame. */
export const ErrorCode = Object.freeze({
  MALFORMED: 'malformed',
  INVALID: 'invalid',
  UNAUTHENTICATED: 'unauthenticated',
  FORBIDDEN: 'forbidden',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  RATE_LIMITED: 'rate_limited',
  ALREADY_AUTHENTICATED: 'already_authenticated',
  UNKNOWN_ROOM: 'unknown_room',
  ROOM_CLOSED: 'room_closed',
  NO_RECIPIENT: 'no_recipient',
  DUPLICATE_ID: 'duplicate_id',
  INVALID_ENVELOPE: 'invalid_envelope',
  TOO_LARGE: 'too_large',
  UNAVAILABLE: 'unavailable',
});

/** Errors after which re-sending the same envelope cannot succeed (a frozen list). */
export const FINAL_SEND_ERRORS = Object.freeze([
  ErrorCode.MALFORMED, ErrorCode.INVALID, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND,
  ErrorCode.CONFLICT, ErrorCode.UNKNOWN_ROOM, ErrorCode.ROOM_CLOSED, ErrorCode.NO_RECIPIENT,
  ErrorCode.DUPLICATE_ID, ErrorCode.INVALID_ENVELOPE, ErrorCode.TOO_LARGE,
]);
const FINAL = new Set(FINAL_SEND_ERRORS); // a frozen Set could still grow: keep this one private

/** The most delivery ids one `ack` frame may carry. */
export const MAX_ACK_IDS = 500;

/**
 * Whether an `error` frame with this code (and a `ref` naming an outbox entry) ends that send.
 * Unknown codes are not final: a newer server's code must not lose a message.
 * @param {string} code
 */
export const isFinalSendError = (code) => FINAL.has(code);
