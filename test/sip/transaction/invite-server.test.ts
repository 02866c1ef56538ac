// INVITE server transaction, RFC 3261 §17.2.1 (Figure 7) with RFC 6026 §7.1 (Accepted, Timer L):
// every state × input of both figures, exact timing on a virtual clock.
//
// Inputs from the network and the TU (RFC 3261 Figure 7, RFC 6026 Figure 7):
//
// state      | INVITE retransmission    | ACK               | 1xx from TU           | 2xx from TU          | 300–699 from TU        | cancel() (RFC 3261 §9.2)
// -----------+--------------------------+-------------------+-----------------------+----------------------+------------------------+----------------------------
// Proceeding | re-send latest 1xx [P1]  | ignored [P2]      | send, latest 1xx [P3] | send → Accepted [P4] | send → Completed [P5]  | 487 → Completed, true [P6]
// Completed  | re-send the final [C1]   | → Confirmed [C2]  | throws [C3]           | throws [C3]          | throws [C3]            | false [C4]
// Confirmed  | absorbed [F1]            | absorbed [F2]     | throws [F3]           | throws [F3]          | throws [F3]            | false [F4]
// Accepted   | absorbed [A1]            | to tu.ack [A2]    | throws [A3]           | send (TU retx) [A4]  | throws [A3]            | false [A5]
// Terminated | ignored [T1]             | ignored [T1]      | throws [T2]           | throws [T2]          | throws [T2]            | false [T3]
//
// Timers and transport errors ("–": the timer cannot be running in that state):
//
// state      | Trying (200 ms)          | Timer G                     | Timer H                     | Timer I           | Timer L           | transport error
// -----------+--------------------------+-----------------------------+-----------------------------+-------------------+-------------------+-------------------------
// Proceeding | 100 if TU silent [P7]    | –                           | –                           | –                 | –                 | failed, stays (RFC 6026 §8.8) [P8]
// Completed  | – (stopped by the final) | re-send, min(2G, T2) [C5]   | failed(H) → Terminated [C6] | –                 | –                 | failed, stays (RFC 6026 §8.8) [C7]
// Confirmed  | –                        | – (stopped by the ACK) [F5] | – (stopped by the ACK) [F5] | → Terminated [F6] | –                 | ignored [F7]
// Accepted   | – (stopped by the 2xx)   | – (no 2xx retx) [A6]        | –                           | –                 | → Terminated [A7] | failed, stays [A8]
// Terminated | –                        | –                           | –                           | –                 | –                 | ignored [T4]
//
// Reliable transport: no Timer G, Timer I = 0 [R1]. Each tag in brackets names the test that checks the cell.
import { describe, expect, it, vi } from 'vitest';
import { createRequest, serializeMessage, type SipRequest, SipResponse } from '../../../src/sip/parser/index.js';
import { InviteServerTransaction } from '../../../src/sip/transaction/invite-server.js';
import { TransactionStateError, type TransactionFailure } from '../../../src/sip/transaction/transaction.js';
import { TransportError } from '../../../src/sip/transport/transport.js';
import { harness, reply, request, settle } from './harness.js';

// A pass-through spy, to count how often the transaction serializes.
vi.mock('../../../src/sip/parser/serialize.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/sip/parser/serialize.js')>();
  return { ...actual, serializeMessage: vi.fn(actual.serializeMessage) };
});

type Event =
  | { at: number; event: 'failed'; failure: TransactionFailure }
  | { at: number; event: 'ack' | 'cancelled'; request: SipRequest }
  | { at: number; event: 'terminated' };

function setup(options: Parameters<typeof harness>[0] = {}) {
  const h = harness(options);
  const log: Event[] = [];
  const req = request('INVITE');
  const tx = new InviteServerTransaction(req, h.ctx, {
    ack: (ack) => log.push({ at: h.clock.now(), event: 'ack', request: ack }),
    cancelled: (cancel) => log.push({ at: h.clock.now(), event: 'cancelled', request: cancel }),
    failed: (failure) => log.push({ at: h.clock.now(), event: 'failed', failure }),
    terminated: () => log.push({ at: h.clock.now(), event: 'terminated' }),
  });
  /** Statuses sent, in order. */
  const statuses = () => h.sent.map((s) => (s.message instanceof SipResponse ? s.message.status : s.message.method));
  const events = () => log.map((e) => e.event);
  return { ...h, req, tx, log, statuses, events };
}

const ack = () => request('ACK');
const cancelRequest = () => request('CANCEL');
const lateError = () => new TransportError('send', 'connection reset', { code: 'ECONNRESET' });
const toTag = (s: { message: SipRequest | SipResponse } | undefined) => s?.message.to?.tag;

describe('InviteServerTransaction (RFC 3261 §17.2.1, RFC 6026 §7.1)', () => {
  describe('Proceeding', () => {
    it('[P7] sends 100 (Trying) itself at 200 ms when the TU is silent', () => {
      const t = setup();
      t.tx.start();
      expect(t.tx.state).toBe('Proceeding');
      expect(t.tx.runningTimers).toEqual(['Trying']);
      t.clock.advance(199);
      expect(t.sent).toEqual([]);
      t.clock.advance(1);
      expect(t.sendTimes()).toEqual([200]);
      expect(t.statuses()).toEqual([100]);
      expect(toTag(t.sent[0])).toBeUndefined();
      expect(t.sent[0]?.message.cseq).toMatchObject({ seq: 1, method: 'INVITE' });
      t.clock.advance(60_000);
      expect(t.sendTimes()).toEqual([200]); // once, never retransmitted
      expect(t.tx.state).toBe('Proceeding');
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('[P7] sends no 100 when the TU sends a 180 at 150 ms', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(150);
      t.tx.respond(reply(t.req, 180));
      expect(t.tx.runningTimers).toEqual([]);
      t.clock.advance(10_000);
      expect(t.sendTimes()).toEqual([150]);
      expect(t.statuses()).toEqual([180]);
    });

    it('[P7] sends no 100 after a final at 100 ms (486 or 200)', () => {
      for (const status of [486, 200]) {
        const t = setup();
        t.tx.start();
        t.clock.advance(100);
        t.tx.respond(reply(t.req, status));
        t.clock.advance(1000);
        expect(t.statuses().filter((s) => s === 100)).toEqual([]);
        expect(t.sendTimes()[0]).toBe(100);
      }
    });

    it('[P1] re-sends the latest provisional on a retransmitted INVITE, and nothing before any provisional', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(50);
      t.tx.receiveRequest(t.req);
      expect(t.sent).toEqual([]);
      t.clock.advance(50);
      t.tx.respond(reply(t.req, 180));
      t.clock.advance(200);
      t.tx.respond(reply(t.req, 183));
      t.clock.advance(100);
      t.tx.receiveRequest(t.req);
      t.clock.advance(100);
      t.tx.receiveRequest(t.req);
      expect(t.sendTimes()).toEqual([100, 300, 400, 500]);
      expect(t.statuses()).toEqual([180, 183, 183, 183]);
      expect(t.tx.state).toBe('Proceeding');
    });

    it('[P1] re-sends its own 100 (Trying) on a retransmitted INVITE', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(700);
      t.tx.receiveRequest(t.req);
      expect(t.sendTimes()).toEqual([200, 700]);
      expect(t.statuses()).toEqual([100, 100]);
    });

    it('[P2] ignores an ACK: nothing sent, nothing to the TU, no state change', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 180));
      t.tx.receiveRequest(ack());
      expect(t.statuses()).toEqual([180]);
      expect(t.log).toEqual([]);
      expect(t.tx.state).toBe('Proceeding');
    });

    it('[P3] sends every provisional at once, none retransmitted by the transaction', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 100));
      t.clock.advance(1000);
      t.tx.respond(reply(t.req, 180));
      t.clock.advance(1000);
      t.tx.respond(reply(t.req, 183));
      t.clock.advance(60_000);
      expect(t.sendTimes()).toEqual([0, 1000, 2000]);
      expect(t.statuses()).toEqual([100, 180, 183]);
      expect(t.tx.state).toBe('Proceeding');
    });

    it('[P8] a failed send of the 100 is reported and the transaction stays in Proceeding (RFC 6026 §8.8)', async () => {
      const t = setup();
      t.failSends(true);
      t.tx.start();
      t.clock.advance(200);
      await settle();
      expect(t.events()).toEqual(['failed']);
      expect(t.log[0]).toMatchObject({ at: 200, failure: { kind: 'transport', error: { name: 'TransportError', code: 'EHOSTUNREACH' } } });
      expect(t.tx.state).toBe('Proceeding');
      // the TU can still answer, and the transaction then ends normally
      t.failSends(false);
      t.tx.respond(reply(t.req, 200));
      expect(t.tx.state).toBe('Accepted');
      t.clock.advance(32_000);
      expect(t.tx.state).toBe('Terminated');
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('[P8] a failed send of a 180 is reported and the transaction stays in Proceeding', async () => {
      const t = setup();
      t.tx.start();
      t.failSends(true);
      t.tx.respond(reply(t.req, 180));
      await settle();
      expect(t.events()).toEqual(['failed']);
      expect(t.tx.state).toBe('Proceeding');
    });

    it('[P6] cancel() answers 487 with the To tag of the provisional, moves to Completed, tells the TU', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(100);
      t.tx.respond(reply(t.req, 180)); // To tag "totag"
      t.clock.advance(900);
      const cancel = cancelRequest();
      expect(t.tx.cancel(cancel)).toBe(true);
      expect(t.statuses()).toEqual([180, 487]);
      expect(t.sent[1]?.at).toBe(1000);
      expect(toTag(t.sent[1])).toBe('totag');
      expect(t.sent[1]?.message.cseq).toMatchObject({ seq: 1, method: 'INVITE' });
      expect(t.tx.state).toBe('Completed');
      expect(t.log).toEqual([{ at: 1000, event: 'cancelled', request: cancel }]);
      expect(t.tx.runningTimers.sort()).toEqual(['G', 'H']);
      // the 487 is retransmitted like any 300–699 (Timer G)
      t.clock.advance(500);
      expect(t.statuses()).toEqual([180, 487, 487]);
    });

    it('[P6] cancel() with no provisional (or only the automatic 100) still gives the 487 a To tag (§8.2.6.2)', () => {
      const t = setup();
      t.tx.start();
      expect(t.tx.cancel(cancelRequest(), 'fromlayer')).toBe(true);
      expect(t.statuses()).toEqual([487]);
      expect(toTag(t.sent[0])).toBe('fromlayer');
      const u = setup();
      u.tx.start();
      u.clock.advance(300);
      expect(u.tx.cancel(cancelRequest())).toBe(true);
      expect(u.statuses()).toEqual([100, 487]);
      expect(toTag(u.sent[1])).toMatch(/^[0-9a-f]{12}$/);
    });
  });

  describe('Completed, Confirmed (300–699)', () => {
    it('[P5][C5][C6] retransmits a 486 at 0.5, 1.5, 3.5, 7.5 s then every T2, until Timer H fails it at 64·T1', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      expect(t.tx.state).toBe('Completed');
      t.clock.advance(31_999);
      expect(t.sendTimes()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
      expect(new Set(t.statuses())).toEqual(new Set([486]));
      expect(t.log).toEqual([]);
      t.clock.advance(1);
      expect(t.log).toEqual([
        { at: 32_000, event: 'failed', failure: { kind: 'timeout', timer: 'H' } },
        { at: 32_000, event: 'terminated' },
      ]);
      expect(t.tx.state).toBe('Terminated');
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('[C2][F2][F5][F6] an ACK confirms it: retransmissions stop, ACKs are absorbed, Timer I ends it T4 later', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      t.clock.advance(1000);
      t.tx.receiveRequest(ack());
      expect(t.tx.state).toBe('Confirmed');
      expect(t.tx.runningTimers).toEqual(['I']);
      t.clock.advance(2000);
      t.tx.receiveRequest(ack());
      t.tx.receiveRequest(ack());
      expect(t.tx.state).toBe('Confirmed');
      t.clock.advance(2999);
      expect(t.tx.state).toBe('Confirmed');
      t.clock.advance(1);
      expect(t.tx.state).toBe('Terminated');
      expect(t.sendTimes()).toEqual([0, 500]);
      expect(t.log).toEqual([{ at: 6000, event: 'terminated' }]); // no failure, no ACK to the TU
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('[C1] re-sends the final on a retransmitted INVITE, without disturbing Timer G', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      t.clock.advance(200);
      t.tx.receiveRequest(t.req);
      t.clock.advance(1300);
      expect(t.sendTimes()).toEqual([0, 200, 500, 1500]);
      expect(t.statuses()).toEqual([486, 486, 486, 486]);
    });

    it('[F1] absorbs a retransmitted INVITE in Confirmed', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      t.tx.receiveRequest(ack());
      t.tx.receiveRequest(t.req);
      expect(t.statuses()).toEqual([486]);
      expect(t.tx.state).toBe('Confirmed');
    });

    it('[C3][F3] throws on any response from the TU after a 300–699 final', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      for (const status of [180, 200, 500]) expect(() => t.tx.respond(reply(t.req, status))).toThrow(TransactionStateError);
      t.tx.receiveRequest(ack());
      for (const status of [180, 200, 500]) expect(() => t.tx.respond(reply(t.req, status))).toThrow(TransactionStateError);
      expect(t.statuses()).toEqual([486]);
    });

    it('[C4][F4] cancel() after a 300–699 final returns false and does nothing', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      expect(t.tx.cancel(cancelRequest())).toBe(false);
      t.tx.receiveRequest(ack());
      expect(t.tx.cancel(cancelRequest())).toBe(false);
      expect(t.statuses()).toEqual([486]);
      expect(t.log).toEqual([]);
    });

    it('[C7] a failed retransmission of the final is reported; Completed goes on until Timer H', async () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      t.failSends(true);
      t.clock.advance(500);
      await settle();
      expect(t.events()).toEqual(['failed']);
      expect(t.log[0]).toMatchObject({ at: 500, failure: { kind: 'transport' } });
      expect(t.tx.state).toBe('Completed');
      t.failSends(false);
      t.clock.advance(31_500);
      expect(t.events()).toContain('terminated');
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('[F7] ignores a late transport error in Confirmed', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      t.tx.receiveRequest(ack());
      t.tx.transportError(lateError());
      expect(t.tx.state).toBe('Confirmed');
      expect(t.log).toEqual([]);
    });
  });

  describe('Accepted (2xx, RFC 6026)', () => {
    it('[P4][A1][A2][A4][A6][A7] never retransmits the 2xx itself, absorbs INVITEs, sends the TU’s 2xx, passes ACKs up, ends at Timer L', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(100);
      const ok = reply(t.req, 200);
      t.tx.respond(ok);
      expect(t.tx.state).toBe('Accepted');
      expect(t.tx.runningTimers).toEqual(['L']);
      t.clock.advance(400);
      t.tx.receiveRequest(t.req); // INVITE retransmission at 500: absorbed
      t.clock.advance(100);
      t.tx.respond(ok); // the TU's own retransmission (RFC 3261 §13.3.1.4) at 600
      t.clock.advance(1000);
      t.tx.respond(ok); // and at 1600
      t.clock.advance(400);
      const a = ack();
      t.tx.receiveRequest(a); // ACK at 2000
      t.tx.receiveRequest(a); // a retransmitted ACK also goes up: the TU (dialog) decides
      t.tx.receiveRequest(t.req); // INVITE after the ACK: still absorbed
      expect(t.tx.state).toBe('Accepted');
      expect(t.log).toEqual([
        { at: 2000, event: 'ack', request: a },
        { at: 2000, event: 'ack', request: a },
      ]);
      t.clock.advance(32_100 - 2000 - 1);
      expect(t.tx.state).toBe('Accepted');
      expect(t.sendTimes()).toEqual([100, 600, 1600]);
      expect(t.statuses()).toEqual([200, 200, 200]);
      t.clock.advance(1);
      expect(t.tx.state).toBe('Terminated');
      expect(t.log.at(-1)).toEqual({ at: 32_100, event: 'terminated' });
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('[A4] sends a different 2xx from the TU too', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 200));
      t.tx.respond(reply(t.req, 202));
      expect(t.statuses()).toEqual([200, 202]);
    });

    it('[A3] throws on a 1xx or a 300–699 from the TU once Accepted', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 200));
      expect(() => t.tx.respond(reply(t.req, 180))).toThrow(TransactionStateError);
      expect(() => t.tx.respond(reply(t.req, 486))).toThrow(TransactionStateError);
      expect(t.statuses()).toEqual([200]);
      expect(t.tx.state).toBe('Accepted');
    });

    it('[A5] cancel() after a 2xx returns false and does nothing', () => {
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 200));
      expect(t.tx.cancel(cancelRequest())).toBe(false);
      expect(t.statuses()).toEqual([200]);
      expect(t.log).toEqual([]);
      expect(t.tx.state).toBe('Accepted');
    });

    it('[A8] a failed 2xx send is reported but the transaction stays Accepted until Timer L', async () => {
      const t = setup();
      t.tx.start();
      t.failSends(true);
      t.tx.respond(reply(t.req, 200));
      await settle();
      expect(t.events()).toEqual(['failed']);
      expect(t.log[0]).toMatchObject({ at: 0, failure: { kind: 'transport', error: { code: 'EHOSTUNREACH' } } });
      expect(t.tx.state).toBe('Accepted');
      t.tx.receiveRequest(t.req); // still absorbs INVITE retransmissions
      t.failSends(false);
      t.tx.respond(reply(t.req, 200)); // the TU may still retransmit
      expect(t.statuses()).toEqual([200]);
      t.clock.advance(32_000);
      expect(t.events()).toEqual(['failed', 'terminated']);
      expect(t.clock.pendingTimers).toBe(0);
    });
  });

  describe('Terminated', () => {
    it('[T1][T2][T3][T4] ignores requests and transport errors, refuses responses, cancel() is false', () => {
      const t = setup({ reliable: true });
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      t.tx.receiveRequest(ack());
      t.clock.advance(0);
      expect(t.tx.state).toBe('Terminated');
      t.tx.receiveRequest(t.req);
      t.tx.receiveRequest(ack());
      t.tx.transportError(lateError());
      expect(t.tx.cancel(cancelRequest())).toBe(false);
      for (const status of [180, 200, 486]) expect(() => t.tx.respond(reply(t.req, status))).toThrow(TransactionStateError);
      expect(t.statuses()).toEqual([486]);
      expect(t.events()).toEqual(['terminated']);
    });
  });

  describe('transport and timer settings', () => {
    it('[R1] on a reliable transport: no Timer G, Timer H still runs, Timer I is zero', () => {
      const t = setup({ reliable: true });
      t.tx.start();
      t.tx.respond(reply(t.req, 486));
      expect(t.tx.runningTimers).toEqual(['H']);
      t.clock.advance(31_999);
      expect(t.sendTimes()).toEqual([0]);
      t.tx.receiveRequest(ack());
      expect(t.tx.state).toBe('Confirmed');
      t.clock.advance(0);
      expect(t.tx.state).toBe('Terminated');
      expect(t.events()).toEqual(['terminated']);
      const u = setup({ reliable: true });
      u.tx.start();
      u.tx.respond(reply(u.req, 603));
      u.clock.advance(32_000);
      expect(u.sendTimes()).toEqual([0]);
      expect(u.log[0]).toEqual({ at: 32_000, event: 'failed', failure: { kind: 'timeout', timer: 'H' } });
    });

    it('[R1] on a reliable transport Timer L is still 64·T1', () => {
      const t = setup({ reliable: true });
      t.tx.start();
      t.tx.respond(reply(t.req, 200));
      t.clock.advance(31_999);
      expect(t.tx.state).toBe('Accepted');
      t.clock.advance(1);
      expect(t.tx.state).toBe('Terminated');
    });

    it('uses the configured timers of its stack instance (G, H, I, L)', () => {
      const t = setup({ timers: { t1: 100, t2: 400, t4: 1000 } });
      t.tx.start();
      t.tx.respond(reply(t.req, 480));
      t.clock.advance(6400);
      expect(t.sendTimes()).toEqual([0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300]);
      expect(t.log[0]).toEqual({ at: 6400, event: 'failed', failure: { kind: 'timeout', timer: 'H' } });
      const u = setup({ timers: { t1: 100, t2: 400, t4: 1000 } });
      u.tx.start();
      u.tx.respond(reply(u.req, 480));
      u.tx.receiveRequest(ack());
      u.clock.advance(1000);
      expect(u.tx.state).toBe('Terminated');
      const v = setup({ timers: { t1: 100 } });
      v.tx.start();
      v.tx.respond(reply(v.req, 200));
      v.clock.advance(6400);
      expect(v.tx.state).toBe('Terminated');
      // the 200 ms of the automatic 100 does not depend on T1
      const w = setup({ timers: { t1: 100 } });
      w.tx.start();
      w.clock.advance(200);
      expect(w.sendTimes()).toEqual([200]);
    });

    it('serializes each response once, however often it is sent', async () => {
      const { serializeMessage: spy } = vi.mocked(await import('../../../src/sip/parser/serialize.js'));
      const t = setup();
      t.tx.start();
      t.tx.respond(reply(t.req, 180));
      t.tx.receiveRequest(t.req);
      t.tx.receiveRequest(t.req);
      const before = spy.mock.calls.length;
      t.tx.respond(reply(t.req, 486));
      t.tx.receiveRequest(t.req);
      t.clock.advance(31_999);
      expect(t.sent.length).toBe(3 + 1 + 1 + 10);
      expect(spy.mock.calls.length - before).toBe(1);
      const u = setup();
      u.tx.start();
      const ok = reply(u.req, 200);
      u.tx.respond(ok);
      const mid = spy.mock.calls.length;
      u.tx.respond(ok);
      u.tx.respond(ok);
      expect(spy.mock.calls.length).toBe(mid);
      expect(u.statuses()).toEqual([200, 200, 200]);
      expect(serializeMessage).toBe(spy);
    });
  });

  describe('what a lingering transaction keeps', () => {
    // After its final the transaction lives on for 64·T1 (Timer H or L) once per call: it keeps the
    // bytes to re-send, the status and the To tag, not the parsed responses.
    it('a provisional while Proceeding; after a final only its status and To tag', () => {
      const t = setup();
      t.tx.start();
      const ringing = reply(t.req, 180);
      t.tx.respond(ringing);
      expect(t.tx.lastResponse).toBe(ringing);
      expect([t.tx.lastStatus, t.tx.lastToTag]).toEqual([180, 'totag']);
      t.tx.respond(reply(t.req, 200));
      expect(t.tx.lastResponse).toBeUndefined();
      expect([t.tx.lastStatus, t.tx.lastToTag]).toEqual([200, 'totag']);
      const u = setup();
      u.tx.start();
      u.clock.advance(200); // the transaction's own 100 (no To tag)
      expect([u.tx.lastStatus, u.tx.lastToTag]).toEqual([100, undefined]);
      u.tx.respond(reply(u.req, 486));
      u.tx.receiveRequest(u.req);
      expect(u.tx.lastResponse).toBeUndefined();
      expect([u.tx.lastStatus, u.tx.lastToTag]).toEqual([486, 'totag']);
      expect(u.statuses()).toEqual([100, 486, 486]);
    });

    it('of its INVITE, once a final is out, only the skeleton matching and re-sending read', () => {
      const t = setup();
      t.tx.start();
      t.req.setHeader('Subject', 'kept by the caller, not by the transaction');
      t.req.body = new TextEncoder().encode('v=0\r\n');
      t.req.from!.params.set('x', 'live'); // a typed value changed after the parse is kept as it stands
      t.tx.respond(reply(t.req, 180));
      expect(t.tx.request).toBe(t.req);
      const ok = reply(t.req, 200);
      t.tx.respond(ok);
      const kept = t.tx.request;
      expect(kept).not.toBe(t.req);
      expect(kept.headerFields().map((f) => f.name)).toEqual(['Via', 'To', 'From', 'Call-ID', 'CSeq']);
      expect(kept.body.byteLength).toBe(0);
      expect([kept.method, kept.uriString, kept.cseq?.seq, kept.from?.params.get('x'), kept.vias[0]?.branch]).toEqual(['INVITE', 'sip:bob@192.0.2.9', 1, 'live', 'z9hG4bKtest1']);
      // the original is untouched
      expect(t.req.header('Subject')).toBe('kept by the caller, not by the transaction');
      // the TU's 2xx retransmissions are still checked against it and sent
      t.tx.respond(ok);
      const wrong = reply(t.req, 200);
      wrong.setHeader('CSeq', '2 INVITE');
      expect(() => t.tx.respond(wrong)).toThrow(TypeError);
      expect(t.statuses()).toEqual([180, 200, 200]);
    });

    it('lets go of its 2xx once the TU says it was acknowledged (or an ACK matches it): passed again, it is serialized again, the same', async () => {
      const { serializeMessage: spy } = vi.mocked(await import('../../../src/sip/parser/serialize.js'));
      for (const how of ['tu', 'ack'] as const) {
        const t = setup();
        t.tx.start();
        const ok = reply(t.req, 200);
        ok.body = new TextEncoder().encode('v=0\r\ns=caf\u00e9 \u2713\r\n');
        ok.setHeader('Content-Type', 'application/sdp');
        t.tx.respond(ok);
        t.tx.respond(ok); // a TU retransmission before the ACK: the bytes kept are sent
        const before = spy.mock.calls.length;
        if (how === 'tu') t.tx.acknowledged();
        else t.tx.receiveRequest(ack());
        expect(t.tx.state, how).toBe('Accepted');
        t.tx.receiveRequest(t.req); // still absorbs INVITE retransmissions
        t.tx.respond(ok); // a late retransmission after all
        expect(spy.mock.calls.length - before, how).toBe(1);
        expect(t.statuses(), how).toEqual([200, 200, 200]);
        const [first, , last] = t.sent.map((x) => serializeMessage(x.message));
        expect(Buffer.from(last!).equals(Buffer.from(first!)), how).toBe(true);
        expect(t.events(), how).toEqual(how === 'ack' ? ['ack'] : []);
        t.clock.advance(64 * 500);
        expect(t.tx.state, how).toBe('Terminated');
      }
      // before a final, or after a 300–699, it changes nothing
      const u = setup();
      u.tx.start();
      u.tx.acknowledged();
      u.tx.respond(reply(u.req, 486));
      u.tx.acknowledged();
      u.tx.receiveRequest(u.req);
      expect(u.statuses()).toEqual([486, 486]);
    });
  });

  describe('input checks', () => {
    it('refuses a request other than INVITE, and a second start', () => {
      const h = harness();
      for (const method of ['ACK', 'OPTIONS', 'CANCEL']) {
        expect(() => new InviteServerTransaction(request(method), h.ctx, {})).toThrow(TransactionStateError);
      }
      const t = setup();
      t.tx.start();
      expect(() => t.tx.start()).toThrow(TransactionStateError);
    });

    it('refuses responses before start()', () => {
      const t = setup();
      expect(() => t.tx.respond(reply(t.req, 180))).toThrow(TransactionStateError);
      expect(t.sent).toEqual([]);
    });

    it('refuses a response with a status outside 100–699 or a CSeq that is not the INVITE’s (TypeError)', () => {
      const t = setup();
      t.tx.start();
      const low = reply(t.req, 180);
      low.status = 99;
      const high = reply(t.req, 486);
      high.status = 700;
      const fraction = reply(t.req, 200);
      fraction.status = 200.5;
      const seq = reply(t.req, 180);
      seq.cseq!.seq = 2;
      const method = reply(t.req, 486);
      method.cseq!.method = 'BYE';
      const none = reply(t.req, 200);
      none.removeHeader('CSeq');
      const other = createRequest({ method: 'INVITE', uri: 'sip:bob@192.0.2.9', via: 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKother', from: '<sip:alice@192.0.2.1>;tag=f', to: '<sip:bob@192.0.2.9>', callId: 'c2', cseq: 7 });
      for (const res of [low, high, fraction, seq, method, none, reply(other, 486)]) {
        expect(() => t.tx.respond(res)).toThrow(TypeError);
      }
      expect(t.sent).toEqual([]);
      expect(t.tx.state).toBe('Proceeding');
    });

    it('refuses requests other than INVITE and ACK in receiveRequest, and a non-CANCEL in cancel()', () => {
      const t = setup();
      t.tx.start();
      expect(() => t.tx.receiveRequest(request('BYE'))).toThrow(TypeError);
      expect(() => t.tx.receiveRequest(request('CANCEL'))).toThrow(TypeError);
      expect(() => t.tx.cancel(request('BYE'))).toThrow(TypeError);
      expect(t.tx.state).toBe('Proceeding');
    });

    it('still terminates when the TU’s failed callback throws', () => {
      const h = harness();
      const req = request('INVITE');
      const tx = new InviteServerTransaction(req, h.ctx, {
        failed: () => {
          throw new Error('TU bug');
        },
      });
      tx.start();
      tx.respond(reply(req, 486));
      expect(() => h.clock.advance(32_000)).toThrow('TU bug');
      expect(tx.state).toBe('Terminated');
      expect(h.clock.pendingTimers).toBe(0);
    });

    it('reports termination to whenTerminated callbacks, also when registered late', () => {
      const t = setup();
      const seen: string[] = [];
      t.tx.whenTerminated(() => seen.push('early'));
      t.tx.start();
      t.tx.respond(reply(t.req, 200));
      t.clock.advance(32_000);
      t.tx.whenTerminated(() => seen.push('late'));
      expect(seen).toEqual(['early', 'late']);
    });
  });
});
