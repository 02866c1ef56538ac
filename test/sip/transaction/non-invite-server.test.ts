// Non-INVITE server transaction, RFC 3261 §17.2.2: every state × input of Figure 8, exact timing.
//
// state       | request retransmission | 1xx from TU               | 200–699 from TU     | Timer J      | transport error
// ------------+------------------------+---------------------------+---------------------+--------------+-----------------------
// Trying      | absorbed, nothing sent | send → Proceeding         | send → Completed    | not running  | ignored (nothing sent)
// Proceeding  | re-send latest 1xx     | send, becomes the latest  | send → Completed    | not running  | failed, stays (RFC 6026 §8.8)
// Completed   | re-send the final      | throws (TU bug)           | throws (TU bug)     | → Terminated | failed, stays (RFC 6026 §8.8)
// Terminated  | ignored                | throws (TU bug)           | throws (TU bug)     | not running  | ignored
//
// Each cell is checked by a test whose name contains its coordinates, e.g. "Trying × retransmission".
import { describe, expect, it } from 'vitest';
import { createRequest, serializeMessage, SipResponse } from '../../../src/sip/parser/index.js';
import { NonInviteServerTransaction } from '../../../src/sip/transaction/non-invite-server.js';
import { TransactionStateError, type TransactionFailure } from '../../../src/sip/transaction/transaction.js';
import { TransportError } from '../../../src/sip/transport/transport.js';
import { harness, reply, request, settle } from './harness.js';

function setup(options: Parameters<typeof harness>[0] = {}) {
  const h = harness(options);
  const log: Array<{ at: number; event: 'failed' | 'terminated'; failure?: TransactionFailure }> = [];
  const req = request('OPTIONS');
  const tx = new NonInviteServerTransaction(req, h.ctx, {
    failed: (failure) => log.push({ at: h.clock.now(), event: 'failed', failure }),
    terminated: () => log.push({ at: h.clock.now(), event: 'terminated' }),
  });
  /** Statuses sent, in order. */
  const statuses = () => h.sent.map((s) => (s.message instanceof SipResponse ? s.message.status : s.message.method));
  return { ...h, req, tx, log, statuses };
}

const lateError = () => new TransportError('send', 'connection reset', { code: 'ECONNRESET' });

describe('NonInviteServerTransaction (RFC 3261 §17.2.2)', () => {
  it('starts in Trying with nothing sent and no timer running (no automatic 100 for non-INVITE)', () => {
    const t = setup();
    expect(t.tx.state).toBe('Trying');
    t.clock.advance(64 * 500 * 2);
    expect(t.sent).toEqual([]);
    expect(t.tx.runningTimers).toEqual([]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('keeps a provisional while Proceeding; after the final only its bytes, status and To tag', () => {
    const t = setup();
    const trying = reply(t.req, 100);
    t.tx.respond(trying);
    expect([t.tx.lastResponse, t.tx.lastStatus, t.tx.lastToTag]).toEqual([trying, 100, undefined]);
    t.tx.respond(reply(t.req, 200));
    t.tx.receiveRequest(t.req);
    expect([t.tx.lastResponse, t.tx.lastStatus, t.tx.lastToTag]).toEqual([undefined, 200, 'totag']);
    expect(t.tx.request.headerFields().map((f) => f.name)).toEqual(['Via', 'To', 'From', 'Call-ID', 'CSeq']);
    expect(t.sent).toHaveLength(3); // the 100, the 200, the 200 again for the retransmission
  });

  it('Trying × retransmission: absorbed, nothing sent', () => {
    const t = setup();
    t.clock.advance(500);
    t.tx.receiveRequest(t.req);
    t.clock.advance(1000);
    t.tx.receiveRequest(t.req);
    expect(t.sent).toEqual([]);
    expect(t.tx.state).toBe('Trying');
  });

  it('Trying × 1xx: sends it and enters Proceeding; Proceeding × retransmission re-sends it each time', () => {
    const t = setup();
    t.clock.advance(200);
    t.tx.receiveRequest(t.req); // still Trying: absorbed
    t.tx.respond(reply(t.req, 100));
    expect(t.tx.state).toBe('Proceeding');
    expect(t.tx.runningTimers).toEqual([]); // Timer J lives only in Completed
    t.clock.advance(300);
    t.tx.receiveRequest(t.req);
    t.clock.advance(1000);
    t.tx.receiveRequest(t.req);
    t.tx.receiveRequest(t.req);
    expect(t.statuses()).toEqual([100, 100, 100, 100]);
    expect(t.sendTimes()).toEqual([200, 500, 1500, 1500]);
    expect(t.sent.every((s) => s.message instanceof SipResponse && s.message.cseq?.method === 'OPTIONS')).toBe(true);
  });

  it('Proceeding × 1xx: sends it, and from then on it is the one re-sent', () => {
    const t = setup();
    t.tx.respond(reply(t.req, 100));
    t.tx.receiveRequest(t.req);
    t.clock.advance(100);
    t.tx.respond(reply(t.req, 183));
    expect(t.tx.state).toBe('Proceeding');
    t.clock.advance(100);
    t.tx.receiveRequest(t.req);
    expect(t.statuses()).toEqual([100, 100, 183, 183]);
    expect(t.sendTimes()).toEqual([0, 0, 100, 200]);
  });

  it('Trying × final: sends it and enters Completed with Timer J', () => {
    const t = setup();
    t.clock.advance(50);
    t.tx.respond(reply(t.req, 200));
    expect(t.tx.state).toBe('Completed');
    expect(t.tx.runningTimers).toEqual(['J']);
    expect(t.statuses()).toEqual([200]);
    expect(t.sendTimes()).toEqual([50]);
  });

  it('Proceeding × final: sends it and enters Completed with Timer J', () => {
    const t = setup();
    t.tx.respond(reply(t.req, 100));
    t.clock.advance(700);
    t.tx.respond(reply(t.req, 486));
    expect(t.tx.state).toBe('Completed');
    expect(t.tx.runningTimers).toEqual(['J']);
    expect(t.statuses()).toEqual([100, 486]);
    expect(t.sendTimes()).toEqual([0, 700]);
  });

  it('accepts every final class 200–699 and provisionals 100–199', () => {
    for (const status of [200, 202, 302, 404, 503, 603, 699]) {
      const t = setup();
      t.tx.respond(reply(t.req, status));
      expect(t.tx.state).toBe('Completed');
    }
    for (const status of [100, 180, 199]) {
      const t = setup();
      t.tx.respond(reply(t.req, status));
      expect(t.tx.state).toBe('Proceeding');
    }
  });

  it('Completed × retransmission: re-sends the final, exactly once per retransmission', () => {
    const t = setup();
    t.tx.respond(reply(t.req, 100));
    t.tx.respond(reply(t.req, 404));
    t.clock.advance(500);
    t.tx.receiveRequest(t.req);
    t.clock.advance(1000);
    t.tx.receiveRequest(t.req);
    t.clock.advance(2000);
    t.tx.receiveRequest(t.req);
    expect(t.statuses()).toEqual([100, 404, 404, 404, 404]);
    expect(t.sendTimes()).toEqual([0, 0, 500, 1500, 3500]);
    expect(t.tx.state).toBe('Completed');
  });

  it('Completed × retransmission: the final it keeps while it lingers is the very bytes sent, UTF-8 reason and body included', () => {
    const t = setup();
    const final = new SipResponse(200, 'OK \u2713');
    for (const f of reply(t.req, 200).headerFields()) final.addHeader(f.name, f.value);
    final.setHeader('Content-Type', 'text/plain');
    final.body = new TextEncoder().encode('caf\u00e9 \u{1f600}\r\n');
    t.tx.respond(final);
    t.tx.receiveRequest(t.req);
    t.tx.receiveRequest(t.req);
    const bytes = t.sent.map((s) => Buffer.from(serializeMessage(s.message)));
    expect(bytes).toHaveLength(3);
    expect(bytes[1]!.equals(bytes[0]!) && bytes[2]!.equals(bytes[0]!)).toBe(true);
    const again = t.sent[2]!.message as SipResponse;
    expect([again.reason, again.bodyText]).toEqual(['OK \u2713', 'caf\u00e9 \u{1f600}\r\n']);
  });

  it('never retransmits on its own: one send in Proceeding and one in Completed over more than 64·T1 without input', () => {
    const t = setup();
    t.tx.respond(reply(t.req, 100));
    t.clock.advance(64 * 500 * 2);
    expect(t.sendTimes()).toEqual([0]);
    t.tx.respond(reply(t.req, 200));
    t.clock.advance(64 * 500 + 1);
    expect(t.sendTimes()).toEqual([0, 64_000]);
    expect(t.tx.state).toBe('Terminated');
  });

  it('Completed × Timer J: ends it at 64·T1 = 32 s after the final, holding no timers', () => {
    const t = setup();
    t.tx.respond(reply(t.req, 200));
    t.clock.advance(31_999);
    expect(t.tx.state).toBe('Completed');
    expect(t.log).toEqual([]);
    t.clock.advance(1);
    expect(t.tx.state).toBe('Terminated');
    expect(t.log).toEqual([{ at: 32_000, event: 'terminated' }]);
    expect(t.tx.runningTimers).toEqual([]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('Timer J counts from the final, not from the request or the first provisional', () => {
    const t = setup();
    t.clock.advance(1000);
    t.tx.respond(reply(t.req, 100));
    t.clock.advance(2000);
    t.tx.respond(reply(t.req, 200));
    t.clock.advance(31_999);
    expect(t.tx.state).toBe('Completed');
    t.clock.advance(1);
    expect(t.log).toEqual([{ at: 35_000, event: 'terminated' }]);
  });

  it('Timer J is zero on a reliable transport', () => {
    const t = setup({ reliable: true });
    t.clock.advance(10);
    t.tx.respond(reply(t.req, 200));
    expect(t.tx.state).toBe('Completed');
    t.clock.advance(0);
    expect(t.tx.state).toBe('Terminated');
    expect(t.log).toEqual([{ at: 10, event: 'terminated' }]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('honours the configured T1 of its stack instance (Timer J = 64·T1)', () => {
    const t = setup({ timers: { t1: 100, t2: 400 } });
    t.tx.respond(reply(t.req, 200));
    t.clock.advance(6399);
    expect(t.tx.state).toBe('Completed');
    t.clock.advance(1);
    expect(t.tx.state).toBe('Terminated');
    expect(t.log).toEqual([{ at: 6400, event: 'terminated' }]);
  });

  it('Trying, Proceeding and Terminated × Timer J: it runs only in Completed', () => {
    const t = setup();
    expect(t.tx.runningTimers).toEqual([]);
    t.tx.respond(reply(t.req, 100));
    expect(t.tx.runningTimers).toEqual([]);
    expect(t.clock.pendingTimers).toBe(0);
    t.tx.respond(reply(t.req, 200));
    expect(t.tx.runningTimers).toEqual(['J']);
    t.clock.advance(32_000);
    expect(t.tx.runningTimers).toEqual([]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('Terminated × retransmission: ignored, nothing sent', () => {
    const t = setup();
    t.tx.respond(reply(t.req, 200));
    t.clock.advance(32_000);
    t.tx.receiveRequest(t.req);
    expect(t.statuses()).toEqual([200]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('Trying × transport error: ignored (nothing was sent)', () => {
    const t = setup();
    t.tx.transportError(lateError());
    expect(t.tx.state).toBe('Trying');
    expect(t.log).toEqual([]);
  });

  it('Proceeding × transport error: tells the TU and stays (RFC 6026 §8.8, replacing §17.2.4)', async () => {
    const t = setup();
    t.failSends(true);
    t.tx.respond(reply(t.req, 100));
    await settle();
    expect(t.log).toHaveLength(1);
    expect(t.log[0]?.event).toBe('failed');
    expect(t.log[0]?.failure).toMatchObject({ kind: 'transport', error: { name: 'TransportError', code: 'EHOSTUNREACH' } });
    expect(t.tx.state).toBe('Proceeding');
    // the TU's final still ends it normally
    t.failSends(false);
    t.tx.respond(reply(t.req, 200));
    expect(t.tx.state).toBe('Completed');
    t.clock.advance(32_000);
    expect(t.tx.state).toBe('Terminated');
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('Proceeding × transport error on a re-sent provisional: reported, still Proceeding', async () => {
    const t = setup();
    t.tx.respond(reply(t.req, 100));
    t.failSends(true);
    t.tx.receiveRequest(t.req);
    await settle();
    expect(t.log.map((l) => l.event)).toEqual(['failed']);
    expect(t.tx.state).toBe('Proceeding');
  });

  it('Completed × transport error: tells the TU and stays until Timer J', async () => {
    const t = setup();
    t.failSends(true);
    t.clock.advance(100);
    t.tx.respond(reply(t.req, 500));
    await settle();
    expect(t.log.map((l) => [l.event, l.at])).toEqual([['failed', 100]]);
    expect(t.log[0]?.failure?.kind).toBe('transport');
    expect(t.tx.state).toBe('Completed');
    expect(t.tx.runningTimers).toEqual(['J']);
    t.clock.advance(32_000);
    expect(t.log.map((l) => [l.event, l.at])).toEqual([['failed', 100], ['terminated', 32_100]]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('Completed × transport error on a re-sent final: reported, still Completed', async () => {
    const t = setup();
    t.tx.respond(reply(t.req, 200));
    t.clock.advance(1000);
    t.failSends(true);
    t.tx.receiveRequest(t.req);
    await settle();
    expect(t.log.map((l) => [l.event, l.at])).toEqual([['failed', 1000]]);
    expect(t.tx.state).toBe('Completed');
  });

  it('each failed send is reported; Terminated × transport error is ignored', async () => {
    const t = setup({ reliable: true });
    t.failSends(true);
    t.tx.respond(reply(t.req, 100));
    t.tx.receiveRequest(t.req);
    await settle();
    expect(t.log.map((l) => l.event)).toEqual(['failed', 'failed']);
    t.failSends(false);
    t.tx.respond(reply(t.req, 200));
    t.clock.advance(0);
    expect(t.tx.state).toBe('Terminated');
    t.tx.transportError(lateError());
    expect(t.log.map((l) => l.event)).toEqual(['failed', 'failed', 'terminated']);
  });

  it('a TU that throws from failed() does not break the transaction', () => {
    const h = harness();
    const req = request('OPTIONS');
    const tx = new NonInviteServerTransaction(req, h.ctx, {
      failed: () => {
        throw new Error('TU bug');
      },
    });
    tx.respond(reply(req, 200));
    expect(() => tx.transportError(lateError())).toThrow('TU bug');
    expect(tx.state).toBe('Completed');
    h.clock.advance(32_000);
    expect(tx.state).toBe('Terminated');
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('Completed × 1xx and × final: respond() throws TransactionStateError and sends nothing', () => {
    const t = setup();
    t.tx.respond(reply(t.req, 200));
    expect(() => t.tx.respond(reply(t.req, 180))).toThrow(TransactionStateError);
    expect(() => t.tx.respond(reply(t.req, 200))).toThrow(TransactionStateError);
    expect(t.statuses()).toEqual([200]);
    expect(t.tx.state).toBe('Completed');
    // the stored final is still the one re-sent
    t.tx.receiveRequest(t.req);
    expect(t.statuses()).toEqual([200, 200]);
  });

  it('Terminated × 1xx and × final: respond() throws TransactionStateError', () => {
    const t = setup({ reliable: true });
    t.tx.respond(reply(t.req, 404));
    t.clock.advance(0);
    expect(t.tx.state).toBe('Terminated');
    expect(() => t.tx.respond(reply(t.req, 100))).toThrow(TransactionStateError);
    expect(() => t.tx.respond(reply(t.req, 500))).toThrow(TransactionStateError);
    expect(t.statuses()).toEqual([404]);
  });

  it('rejects a status outside 100–699 with a TypeError, leaving the state alone', () => {
    const t = setup();
    for (const status of [99, 700, 0, 200.5, Number.NaN]) {
      const res = reply(t.req, 200);
      res.status = status; // the constructor checks it, but the field is writable
      expect(() => t.tx.respond(res)).toThrow(TypeError);
    }
    expect(t.tx.state).toBe('Trying');
    expect(t.sent).toEqual([]);
  });

  it('rejects a response whose CSeq does not match the request with a TypeError', () => {
    const t = setup();
    const other = (method: string, cseq: number) =>
      createRequest({ method, uri: 'sip:bob@192.0.2.9', via: 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKtest1', from: '<sip:alice@192.0.2.1>;tag=fromtag', to: '<sip:bob@192.0.2.9>', callId: 'call-1@192.0.2.1', cseq });
    expect(() => t.tx.respond(reply(other('OPTIONS', 2), 200))).toThrow(TypeError); // number differs
    expect(() => t.tx.respond(reply(other('REGISTER', 1), 200))).toThrow(TypeError); // method differs
    expect(() => t.tx.respond(new SipResponse(200, 'OK'))).toThrow(TypeError); // no CSeq at all
    expect(t.tx.state).toBe('Trying');
    expect(t.sent).toEqual([]);
    t.tx.respond(reply(other('OPTIONS', 1), 200)); // same CSeq from an equal request: accepted
    expect(t.tx.state).toBe('Completed');
  });

  it('serializes each response once: changes to the object after respond() are not re-sent', () => {
    const t = setup();
    const res = reply(t.req, 200);
    t.tx.respond(res);
    res.status = 500;
    res.reason = 'Changed';
    t.tx.receiveRequest(t.req);
    expect(t.statuses()).toEqual([200, 200]);
    const [first, again] = t.sent;
    expect(again?.message).toEqual(first?.message);
  });

  it('start() is optional and does nothing but mark the start; a second call throws', () => {
    const t = setup();
    t.tx.start();
    expect(t.tx.state).toBe('Trying');
    expect(t.sent).toEqual([]);
    expect(t.clock.pendingTimers).toBe(0);
    expect(() => t.tx.start()).toThrow(TransactionStateError);
    const u = setup(); // never started: works the same
    u.tx.respond(reply(u.req, 200));
    u.tx.receiveRequest(u.req);
    expect(u.statuses()).toEqual([200, 200]);
  });

  it('refuses INVITE and ACK', () => {
    const h = harness();
    expect(() => new NonInviteServerTransaction(request('INVITE'), h.ctx, {})).toThrow(TransactionStateError);
    expect(() => new NonInviteServerTransaction(request('ACK'), h.ctx, {})).toThrow(TransactionStateError);
    for (const method of ['OPTIONS', 'REGISTER', 'BYE', 'CANCEL', 'INFO', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'PRACK', 'UPDATE']) {
      expect(new NonInviteServerTransaction(request(method), h.ctx, {}).state).toBe('Trying');
    }
  });

  it('reports termination to whenTerminated callbacks, also when registered late', () => {
    const t = setup({ reliable: true });
    const order: string[] = [];
    t.tx.whenTerminated(() => order.push('early'));
    t.tx.respond(reply(t.req, 200));
    t.clock.advance(0);
    t.tx.whenTerminated(() => order.push('late'));
    expect(order).toEqual(['early', 'late']);
    expect(t.log.map((l) => l.event)).toEqual(['terminated']);
  });
});
