/**
 * The relay's JSON frames as the browser sees them (docs/protocol.md §13), mirroring
 * `client/frames.py`: client frames are built by small functions returning the text to send;
 * server frames are parsed by {@link parseServerFrame} into plain objects with the wire's field
 * names. Fields the client does not know are ignored (the server may grow); a frame without the
 * fields the client relies on throws {@link FrameError}, whose message never quotes the input.
 * Replayed against crypto/vectors.json (`relay.client_frames`, `relay.server_frames`).
 *
 * @module app/frames
 */

import { MAX_ACK_IDS } from '../js/protocol/relay.js';

/** A server frame this client cannot use. */
export class FrameError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FrameError';
  }
}

export const authFrame = (token) => JSON.stringify({ type: 'auth', token });
export const sendFrame = (envelope) => JSON.stringify({ type: 'send', envelope });
export const syncFrame = (after) => JSON.stringify({ type: 'sync', after });
export const pingFrame = () => JSON.stringify({ type: 'ping' });

/** @param {string[]} ids 1 to MAX_ACK_IDS delivery ids */
export function ackFrame(ids) {
  if (ids.length < 1 || ids.length > MAX_ACK_IDS) {
    throw new RangeError(`an ack carries 1 to ${MAX_ACK_IDS} ids`);
  }
  return JSON.stringify({ type: 'ack', ids });
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function str(obj, name) {
  const value = obj[name];
  if (typeof value !== 'string' || value === '') {
    throw new FrameError(`${obj.type}: field '${name}' must be a non-empty string`);
  }
  return value;
}

function int(obj, name) {
  const value = obj[name];
  if (!Number.isInteger(value) || value < 0) {
    throw new FrameError(`${obj.type}: field '${name}' must be a non-negative integer`);
  }
  return value;
}

/**
 * Parse one server frame.
 * @param {string} text
 * @returns {{type: string} & Record<string, unknown>}
 * @throws {FrameError}
 */
export function parseServerFrame(text) {
  let obj;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new FrameError('frame: not JSON');
  }
  if (!isObject(obj)) throw new FrameError('frame: not a JSON object');
  switch (obj.type) {
    case 'ready':
      return { type: 'ready', cursor: int(obj, 'cursor') };
    case 'accepted': {
      // `client_id` is the envelope id; older servers named it `id` (client/frames.py agrees).
      const clientId = typeof obj.client_id === 'string' && obj.client_id ? obj.client_id
        : str(obj, 'id');
      return { type: 'accepted', client_id: clientId, ts: String(obj.ts ?? '') };
    }
    case 'deliver':
      return {
        type: 'deliver', id: str(obj, 'id'), seq: int(obj, 'seq'), room: str(obj, 'room'),
        sender: str(obj, 'sender'), envelope: str(obj, 'envelope'), ts: str(obj, 'ts'),
        tag: str(obj, 'tag'),
      };
    case 'synced':
      return { type: 'synced', cursor: int(obj, 'cursor') };
    case 'notify':
      return { type: 'notify', event: str(obj, 'event'), data: isObject(obj.data) ? obj.data : {} };
    case 'pong':
      return { type: 'pong' };
    case 'error':
      return {
        type: 'error', code: str(obj, 'code'), message: String(obj.message ?? ''),
        ref: typeof obj.ref === 'string' ? obj.ref : null,
      };
    default:
      throw new FrameError('frame: unknown type');
  }
}
