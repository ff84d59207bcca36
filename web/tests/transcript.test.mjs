// The browser client replays the relay transcript (crypto/vectors.json `relay`, written by
// crypto/transcript.py): the shared codes, the client frames it builds byte for byte, every
// server frame parsed or refused as written, and every scenario through app/delivery.js.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { delivery, frames, relay, vectors } from './support/protocol.mjs';

const R = vectors.relay;

test('close codes are the Python ones', () => {
  assert.deepEqual(Object.entries(relay.CloseCode), R.close_codes.map((c) => [c.name, c.code]));
});

test('error codes, and which end a send, are the Python ones', () => {
  assert.deepEqual(Object.values(relay.ErrorCode), R.error_codes.map((c) => c.code));
  for (const { code, final } of R.error_codes) assert.equal(relay.isFinalSendError(code), final, code);
  assert.deepEqual([...relay.FINAL_SEND_ERRORS].sort(),
    R.error_codes.filter((c) => c.final).map((c) => c.code).sort());
  assert.equal(relay.isFinalSendError('a_code_from_a_newer_server'), false);
  assert.equal(relay.MAX_ACK_IDS, R.max_ack_ids);
});

test('the client builds the transcript frames byte for byte', () => {
  const built = Object.fromEntries(R.client_frames.filter((c) => c.built)
    .map((c) => [c.parses_as, c.frame]));
  const parsed = (k) => JSON.parse(built[k]);
  assert.equal(frames.authFrame(parsed('auth').token), built.auth);
  assert.equal(frames.sendFrame(parsed('send').envelope), built.send);
  assert.equal(frames.ackFrame(parsed('ack').ids), built.ack);
  assert.equal(frames.syncFrame(parsed('sync').after), built.sync);
  assert.equal(frames.pingFrame(), built.ping);
  assert.throws(() => frames.ackFrame([]), RangeError);
  assert.throws(() => frames.ackFrame(Array(R.max_ack_ids + 1).fill('x')), RangeError);
});

for (const c of R.server_frames) {
  test(`server frame: ${c.name}`, () => {
    if (c.refused) {
      assert.throws(() => frames.parseServerFrame(c.frame), (error) => {
        assert.ok(error instanceof frames.FrameError, `${error}`);
        assert.ok(!error.message.includes(c.frame), 'the message quotes the frame');
        return true;
      });
    } else {
      assert.deepEqual(frames.parseServerFrame(c.frame), c.parsed);
    }
  });
}

/** The transcript's form of a machine event. */
function eventTuple(e) {
  switch (e.type) {
    case 'connected': case 'synced': return [e.type, e.cursor];
    case 'accepted': return ['accepted', e.id];
    case 'failed': return ['failed', e.id, e.code];
    case 'error': return ['error', e.code, e.ref];
    case 'received': return ['received', e.deliveryId, e.messageId];
    case 'undecryptable': return ['undecryptable', e.deliveryId, e.reason];
    case 'notify': return ['notify', e.event];
    case 'violation': return ['violation'];
    default: return assert.fail(`unknown event ${e.type}`);
  }
}

for (const scenario of R.scenarios) {
  test(`scenario: ${scenario.name}`, () => {
    let machine = new delivery.Delivery({ outbox: scenario.outbox, cursor: scenario.cursor });
    scenario.steps.forEach((step, number) => {
      const where = `step ${number}`;
      if ('connect' in step) machine.connect(step.connect);
      else if ('receive' in step) machine.receive(step.receive);
      else machine.connectionLost();
      // What the shell does: decrypt and store each delivery (always succeeding here) …
      for (const d of machine.takeDeliveries()) {
        assert.equal(d.room, scenario.room, where);
        machine.handled(d.id, { ok: true });
      }
      // … then save (and, to prove the saved state is complete, carry on from it) …
      if (machine.needsSave) {
        const saved = JSON.parse(JSON.stringify(machine.state()));
        const status = machine.status;
        machine.saved();
        if (status === delivery.State.CLOSED) machine = new delivery.Delivery(saved);
      }
      // … then write.
      assert.deepEqual(machine.takeWrites().map((f) => JSON.parse(f)), step.writes, where);
      assert.deepEqual(machine.takeEvents().map(eventTuple), step.events, where);
      if (step.outbox) assert.deepEqual(machine.pending, step.outbox, where);
    });
  });
}

test('no send or ack leaves before the state is saved', () => {
  const [scenario] = R.scenarios;
  const machine = new delivery.Delivery({ outbox: scenario.outbox });
  machine.connect('t');
  machine.receive(JSON.stringify({ type: 'ready', cursor: 0 }));
  machine.enqueue({ id: 'x', room: scenario.room, envelope: '{}' });
  assert.deepEqual(machine.takeWrites().map((f) => JSON.parse(f).type), ['auth', 'sync']);
  machine.saved();
  assert.deepEqual(machine.takeWrites().map((f) => JSON.parse(f).type), ['send', 'send', 'send']);
});

test('the cursor never passes a delivery not yet stored', () => {
  const scenario = R.scenarios.find((s) => s.name.startsWith('a delivery is acknowledged'));
  const deliver = scenario.steps.find((s) => s.receive?.includes('"deliver"')).receive;
  const machine = new delivery.Delivery();
  machine.connect('t');
  machine.receive(JSON.stringify({ type: 'ready', cursor: 0 }));
  machine.receive(deliver);
  assert.equal(machine.takeDeliveries().length, 1); // handed out, not handled
  machine.receive(JSON.stringify({ type: 'synced', cursor: 9 }));
  assert.equal(machine.state().cursor, JSON.parse(deliver).seq - 1);
});
