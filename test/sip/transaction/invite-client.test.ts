// INVITE client transaction, RFC 3261 §17.1.1 with RFC 6026 §7.2, and CANCEL (RFC 3261 §9.1):
// every state × input of RFC 3261 Figure 5 / RFC 6026 Figure 5, exact timing.
//
// | state      | input                  | expected                                                   | test
// |------------|------------------------|------------------------------------------------------------|-----------------------------
// | Calling    | start()                | INVITE sent; Timer B 64·T1; Timer A T1 (unreliable only)   | schedule, reliable
// | Calling    | Timer A                | INVITE re-sent, A doubled with no T2 cap                   | schedule, custom timers
// | Calling    | Timer B                | synthetic 408 {timeout, B} to TU → Terminated              | schedule, reliable
// | Calling    | 1xx                    | → Proceeding, 1xx to TU, A and B stop                      | Calling→Proceeding
// | Calling    | 2xx                    | → Accepted, 2xx to TU, no ACK from the transaction         | Accepted (from Calling)
// | Calling    | 300–699                | → Completed, ACK sent, response to TU                      | 486 in Calling
// | Calling    | transport error        | synthetic 503 {transport} → Terminated                     | transport error (INVITE, retransmission)
// | Calling    | cancel()               | held back, true                                            | cancel in Calling
// | Proceeding | 1xx                    | to TU, stays                                               | Calling→Proceeding
// | Proceeding | 2xx                    | → Accepted, 2xx to TU                                      | Accepted (from Proceeding)
// | Proceeding | 300–699                | → Completed, ACK sent, response to TU                      | 486 in Proceeding
// | Proceeding | transport error        | synthetic 503 {transport} → Terminated                     | transport error in Proceeding
// | Proceeding | cancel()               | CANCEL handed over at once (once), true                    | cancel in Proceeding
// | Proceeding | (time)                 | no timers: nothing happens                                 | Calling→Proceeding
// | Completed  | 300–699 (retransmit)   | same ACK bytes re-sent, not passed to TU                   | retransmitted 486
// | Completed  | 1xx, 2xx               | absorbed, nothing sent                                     | retransmitted 486
// | Completed  | Timer D                | → Terminated (timerD unreliable, 0 reliable, custom value) | Timer D tests
// | Completed  | transport error (ACK)  | → Terminated, TU not given a second response               | ACK send failure
// | Completed  | cancel()               | false, nothing sent                                        | cancel too late
// | Accepted   | 2xx (retransmit, fork) | to TU                                                      | Accepted
// | Accepted   | 1xx, 300–699           | absorbed                                                   | Accepted
// | Accepted   | Timer M                | → Terminated at 64·T1 (also on reliable transports)        | Accepted, Timer M reliable
// | Accepted   | transport error        | ignored                                                    | late transport errors
// | Accepted   | cancel()               | false, nothing sent                                        | cancel too late
// | Terminated | any response           | absorbed, nothing sent                                     | Terminated absorbs
// | Terminated | transport error        | ignored                                                    | late transport errors
// | Terminated | cancel()               | false                                                      | cancel too late
import { describe, expect, it } from 'vitest';
import { createRequest, createResponse, parseMessage, serializeMessage, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import { TransportError } from '../../../src/sip/transport/transport.js';
import { InviteClientTransaction } from '../../../src/sip/transaction/invite-client.js';
import { TransactionStateError, type TransactionContext, type TransactionFailure } from '../../../src/sip/transaction/transaction.js';
import { harness, reply, request, settle } from './harness.js';

const TOP_VIA = 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKtest1';
const ROUTES = ['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>'];

/** An INVITE with two Route lines, a body, and two Via values (only the top one may reach the ACK). */
function routedInvite(): SipRequest {
  return createRequest({
    method: 'INVITE',
    uri: 'sip:bob@192.0.2.9;transport=udp',
    via: [TOP_VIA, 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKlower'],
    from: '"Alice" <sip:alice@192.0.2.1>;tag=fromtag',
    to: '"Bob" <sip:bob@192.0.2.9>',
    callId: 'call-1@192.0.2.1',
    cseq: 1,
    contact: '<sip:alice@192.0.2.1:5060>',
    headers: [
      ['Route', ROUTES[0]!],
      ['Route', ROUTES[1]!],
    ],
    body: 'v=0\r\n',
    contentType: 'application/sdp',
  });
}

/** The header lines a lingering transaction keeps of its request. */
const SKELETON = ['via', 'from', 'to', 'call-id', 'cseq'];

function setup(options: Parameters<typeof harness>[0] & { invite?: SipRequest } = {}) {
  const h = harness(options);
  const raw: Uint8Array[] = [];
  // Records the exact bytes as well (the harness keeps parsed messages).
  const ctx: TransactionContext = {
    ...h.ctx,
    post(bytes, again, failed) {
      raw.push(bytes);
      h.ctx.post(bytes, again, failed);
    },
  };
  const got: Array<{ at: number; status: number; toTag?: string | undefined; failure?: TransactionFailure }> = [];
  const responses: SipResponse[] = [];
  let terminatedAt: number | undefined;
  const req = options.invite ?? request('INVITE');
  const tx = new InviteClientTransaction(req, ctx, {
    response: (res: SipResponse, failure?: TransactionFailure) => {
      responses.push(res);
      got.push({ at: h.clock.now(), status: res.status, ...(res.to?.tag !== undefined ? { toTag: res.to.tag } : {}), ...(failure ? { failure } : {}) });
    },
    terminated: () => (terminatedAt = h.clock.now()),
  });
  const cancels: SipRequest[] = [];
  const sendCancel = (c: SipRequest) => cancels.push(c);
  const methods = () => h.sent.map((s) => (s.message as SipRequest).method);
  return { ...h, raw, req, tx, got, responses, cancels, sendCancel, methods, terminatedAt: () => terminatedAt };
}

function asRequest(m: unknown): SipRequest {
  expect((m as SipRequest).isRequest).toBe(true);
  return m as SipRequest;
}

/** The checks RFC 3261 §17.1.1.3 makes of an ACK, against the INVITE and the response it acknowledges. */
function expectAck(ack: SipRequest, invite: SipRequest, response: SipResponse): void {
  expect(ack.method).toBe('ACK');
  expect(String(ack.uri)).toBe(String(invite.uri));
  expect(ack.callId).toBe(invite.callId);
  expect(String(ack.from)).toBe(String(invite.from));
  expect(ack.from?.tag).toBe('fromtag');
  expect(String(ack.to)).toBe(String(response.to));
  expect(ack.to?.tag).toBe(response.to?.tag);
  expect(ack.header('CSeq')).toBe(`${invite.cseq?.seq} ACK`);
  expect(ack.vias).toHaveLength(1);
  expect(String(ack.vias[0])).toBe(String(invite.vias[0]));
  expect(ack.vias[0]?.branch).toBe(invite.vias[0]?.branch);
  expect(ack.headers('Route')).toEqual(invite.headers('Route'));
  expect(ack.maxForwards).toBe(70);
  expect(ack.body.byteLength).toBe(0);
  expect(ack.hasHeader('Content-Type')).toBe(false);
}

/** The checks RFC 3261 §9.1 makes of a CANCEL, against the INVITE. */
function expectCancel(cancel: SipRequest, invite: SipRequest): void {
  expect(cancel.method).toBe('CANCEL');
  expect(String(cancel.uri)).toBe(String(invite.uri));
  expect(cancel.callId).toBe(invite.callId);
  expect(String(cancel.from)).toBe(String(invite.from));
  expect(cancel.from?.tag).toBe('fromtag');
  expect(String(cancel.to)).toBe(String(invite.to));
  expect(cancel.to?.tag).toBeUndefined();
  expect(cancel.header('CSeq')).toBe(`${invite.cseq?.seq} CANCEL`);
  expect(cancel.vias).toHaveLength(1);
  expect(String(cancel.vias[0])).toBe(String(invite.vias[0]));
  expect(cancel.headers('Route')).toEqual(invite.headers('Route'));
  expect(cancel.maxForwards).toBe(70);
  expect(cancel.body.byteLength).toBe(0);
  // and it survives the wire
  expect(String(parseMessage(serializeMessage(cancel)).header('CSeq'))).toBe(`${invite.cseq?.seq} CANCEL`);
}

describe('InviteClientTransaction (RFC 3261 §17.1.1, RFC 6026 §7.2)', () => {
  describe('Calling', () => {
    it('retransmits at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s with no T2 cap, then Timer B gives a 408 at 64·T1', () => {
      const t = setup();
      t.tx.start();
      expect(t.tx.state).toBe('Calling');
      expect(t.tx.runningTimers.sort()).toEqual(['A', 'B']);
      t.clock.advance(31_999);
      expect(t.sendTimes()).toEqual([0, 500, 1500, 3500, 7500, 15_500, 31_500]);
      expect(t.methods().every((m) => m === 'INVITE')).toBe(true);
      expect(t.got).toEqual([]);
      t.clock.advance(1);
      expect(t.got).toEqual([{ at: 32_000, status: 408, failure: { kind: 'timeout', timer: 'B' } }]);
      expect(t.tx.state).toBe('Terminated');
      expect(t.terminatedAt()).toBe(32_000);
      expect(t.clock.pendingTimers).toBe(0);
      expect(t.tx.runningTimers).toEqual([]);
      t.clock.advance(60_000);
      expect(t.sent).toHaveLength(7);
    });

    it('re-sends the INVITE byte for byte', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(1500);
      expect(t.raw).toHaveLength(3);
      expect(Buffer.from(t.raw[1]!).equals(Buffer.from(t.raw[0]!))).toBe(true);
      expect(Buffer.from(t.raw[2]!).equals(Buffer.from(t.raw[0]!))).toBe(true);
      expect(Buffer.from(t.raw[0]!).equals(Buffer.from(serializeMessage(t.req)))).toBe(true);
    });

    it('uses the configured timers of its stack instance, doubling A past T2', () => {
      const t = setup({ timers: { t1: 100, t2: 200 } });
      t.tx.start();
      t.clock.advance(6399);
      expect(t.sendTimes()).toEqual([0, 100, 300, 700, 1500, 3100, 6300]);
      expect(t.got).toEqual([]);
      t.clock.advance(1);
      expect(t.got).toEqual([{ at: 6400, status: 408, failure: { kind: 'timeout', timer: 'B' } }]);
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('on a reliable transport: no Timer A, only Timer B', () => {
      const t = setup({ reliable: true });
      t.tx.start();
      expect(t.tx.runningTimers).toEqual(['B']);
      t.clock.advance(31_999);
      expect(t.sendTimes()).toEqual([0]);
      t.clock.advance(1);
      expect(t.got).toEqual([{ at: 32_000, status: 408, failure: { kind: 'timeout', timer: 'B' } }]);
      expect(t.tx.state).toBe('Terminated');
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('the synthetic responses carry the INVITE identity', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(32_000);
      const res = t.responses[0]!;
      expect(res.status).toBe(408);
      expect(res.callId).toBe(t.req.callId);
      expect(res.vias[0]?.branch).toBe('z9hG4bKtest1');
      expect(res.cseq?.method).toBe('INVITE');
      expect(res.from?.tag).toBe('fromtag');
    });
  });

  describe('Calling → Proceeding', () => {
    it('a provisional stops retransmissions and Timer B; further provisionals go to the TU; no timers remain', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(600);
      t.tx.receiveResponse(reply(t.req, 100));
      expect(t.tx.state).toBe('Proceeding');
      expect(t.tx.runningTimers).toEqual([]);
      expect(t.clock.pendingTimers).toBe(0);
      t.clock.advance(1000);
      t.tx.receiveResponse(reply(t.req, 180));
      t.tx.receiveResponse(reply(t.req, 183));
      t.clock.advance(60_000);
      expect(t.sendTimes()).toEqual([0, 500]);
      expect(t.got).toEqual([
        { at: 600, status: 100 },
        { at: 1600, status: 180, toTag: 'totag' },
        { at: 1600, status: 183, toTag: 'totag' },
      ]);
      expect(t.tx.state).toBe('Proceeding');
      expect(t.terminatedAt()).toBeUndefined();
    });

    it('on a reliable transport it also waits in Proceeding without timers', () => {
      const t = setup({ reliable: true });
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 180));
      t.clock.advance(100_000);
      expect(t.tx.state).toBe('Proceeding');
      expect(t.clock.pendingTimers).toBe(0);
      expect(t.sendTimes()).toEqual([0]);
    });
  });

  describe('non-2xx final → Completed (RFC 3261 §17.1.1.2, ACK per §17.1.1.3)', () => {
    it('486 in Calling: ACK sent with the INVITE identity and the response To, response to the TU once', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(700);
      const busy = reply(t.req, 486);
      t.tx.receiveResponse(busy);
      expect(t.tx.state).toBe('Completed');
      expect(t.got).toEqual([{ at: 700, status: 486, toTag: 'totag' }]);
      expect(t.methods()).toEqual(['INVITE', 'INVITE', 'ACK']);
      expect(t.sendTimes()).toEqual([0, 500, 700]);
      expectAck(asRequest(t.sent[2]!.message), t.req, busy);
      expect(t.tx.runningTimers).toEqual(['D']);
    });

    it('486 in Proceeding: the same, and the ACK copies the Route headers and only the top Via', () => {
      const t = setup({ invite: routedInvite() });
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 180));
      t.clock.advance(5000);
      const busy = createResponse(t.req, 486, undefined, { toTag: 'busytag' });
      t.tx.receiveResponse(busy);
      expect(t.tx.state).toBe('Completed');
      expect(t.got.map((g) => g.status)).toEqual([180, 486]);
      expect(t.methods()).toEqual(['INVITE', 'ACK']);
      const ack = asRequest(t.sent[1]!.message);
      expectAck(ack, t.req, busy);
      expect(String(ack.uri)).toBe('sip:bob@192.0.2.9;transport=udp');
      expect(ack.to?.tag).toBe('busytag');
      expect(ack.to?.displayName).toBe('Bob');
      expect(ack.headers('Route')).toEqual(ROUTES);
      expect(String(ack.vias[0])).toBe(TOP_VIA);
      expect(ack.hasHeader('Contact')).toBe(false);
    });

    it('every class 300–699 is ACKed (302, 404, 503, 603)', () => {
      for (const status of [302, 404, 503, 603]) {
        const t = setup();
        t.tx.start();
        t.tx.receiveResponse(reply(t.req, status));
        expect(t.tx.state).toBe('Completed');
        expect(t.methods()).toEqual(['INVITE', 'ACK']);
        expect(t.got.map((g) => g.status)).toEqual([status]);
      }
    });

    it('a retransmitted final re-sends the same ACK bytes and is not passed up; 1xx and 2xx are absorbed', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(100);
      t.tx.receiveResponse(reply(t.req, 486));
      t.clock.advance(1000);
      t.tx.receiveResponse(reply(t.req, 486));
      t.clock.advance(2000);
      t.tx.receiveResponse(reply(t.req, 486));
      t.tx.receiveResponse(reply(t.req, 180));
      t.tx.receiveResponse(reply(t.req, 200));
      expect(t.got.map((g) => g.status)).toEqual([486]);
      expect(t.methods()).toEqual(['INVITE', 'ACK', 'ACK', 'ACK']);
      expect(t.sendTimes()).toEqual([0, 100, 1100, 3100]);
      const first = Buffer.from(t.raw[1]!);
      expect(Buffer.from(t.raw[2]!).equals(first)).toBe(true);
      expect(Buffer.from(t.raw[3]!).equals(first)).toBe(true);
      expect(t.tx.state).toBe('Completed');
    });

    it('once the final is ACKed, keeps only the skeleton of its INVITE; its TU still hears of the end', () => {
      const t = setup();
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 486));
      const kept = t.tx.request;
      expect(kept).not.toBe(t.req);
      expect(kept.headerFields().map((f) => f.name.toLowerCase()).every((n) => SKELETON.includes(n))).toBe(true);
      expect([kept.method, kept.callId, kept.cseq?.seq]).toEqual(['INVITE', t.req.callId, t.req.cseq?.seq]);
      t.tx.receiveResponse(reply(t.req, 486)); // the same ACK again, from bytes made before
      expect(t.methods()).toEqual(['INVITE', 'ACK', 'ACK']);
      t.clock.advance(32_000);
      expect(t.tx.state).toBe('Terminated');
      expect(t.terminatedAt()).toBe(32_000);
    });

    it('Timer D (32 s) ends it on an unreliable transport', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(100);
      t.tx.receiveResponse(reply(t.req, 486));
      t.clock.advance(31_999);
      expect(t.tx.state).toBe('Completed');
      expect(t.sendTimes()).toEqual([0, 100]); // no INVITE retransmission after the final
      t.clock.advance(1);
      expect(t.tx.state).toBe('Terminated');
      expect(t.terminatedAt()).toBe(32_100);
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('Timer D is zero on a reliable transport', () => {
      const t = setup({ reliable: true });
      t.tx.start();
      t.clock.advance(100);
      t.tx.receiveResponse(reply(t.req, 486));
      expect(t.tx.state).toBe('Completed');
      t.clock.advance(0);
      expect(t.tx.state).toBe('Terminated');
      expect(t.terminatedAt()).toBe(100);
      expect(t.methods()).toEqual(['INVITE', 'ACK']);
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('honours a configured Timer D', () => {
      const t = setup({ timers: { timerD: 40_000 } });
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 404));
      t.clock.advance(39_999);
      expect(t.tx.state).toBe('Completed');
      t.clock.advance(1);
      expect(t.tx.state).toBe('Terminated');
      expect(t.terminatedAt()).toBe(40_000);
    });

    it('a failure sending the ACK terminates it without a second response to the TU', async () => {
      const t = setup();
      t.tx.start();
      t.failSends(true);
      t.tx.receiveResponse(reply(t.req, 486));
      await settle();
      expect(t.tx.state).toBe('Terminated');
      expect(t.got.map((g) => g.status)).toEqual([486]);
      expect(t.terminatedAt()).toBe(0);
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('a failure re-sending the ACK for a retransmitted final also terminates it quietly', async () => {
      const t = setup();
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 486));
      t.clock.advance(500);
      t.failSends(true);
      t.tx.receiveResponse(reply(t.req, 486));
      await settle();
      expect(t.tx.state).toBe('Terminated');
      expect(t.got.map((g) => g.status)).toEqual([486]);
      expect(t.terminatedAt()).toBe(500);
      expect(t.clock.pendingTimers).toBe(0);
    });
  });

  describe('2xx → Accepted (RFC 6026 §7.2)', () => {
    it('from Calling: 2xx to the TU, no ACK from the transaction; every later 2xx to the TU; others absorbed; Timer M ends it', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(100);
      t.tx.receiveResponse(reply(t.req, 200));
      expect(t.tx.state).toBe('Accepted');
      expect(t.tx.runningTimers).toEqual(['M']);
      t.clock.advance(1000);
      t.tx.receiveResponse(reply(t.req, 200)); // retransmission
      t.tx.receiveResponse(createResponse(t.req, 200, undefined, { toTag: 'fork2' })); // another fork
      t.tx.receiveResponse(reply(t.req, 180));
      t.tx.receiveResponse(reply(t.req, 486));
      t.tx.receiveResponse(createResponse(t.req, 202, undefined, { toTag: 'fork3' }));
      expect(t.got).toEqual([
        { at: 100, status: 200, toTag: 'totag' },
        { at: 1100, status: 200, toTag: 'totag' },
        { at: 1100, status: 200, toTag: 'fork2' },
        { at: 1100, status: 202, toTag: 'fork3' },
      ]);
      expect(t.methods()).toEqual(['INVITE']); // neither retransmissions nor an ACK
      t.clock.advance(32_000 - 1100 + 100 - 1);
      expect(t.tx.state).toBe('Accepted');
      t.clock.advance(1);
      expect(t.tx.state).toBe('Terminated');
      expect(t.terminatedAt()).toBe(32_100);
      expect(t.clock.pendingTimers).toBe(0);
      t.tx.receiveResponse(reply(t.req, 200));
      expect(t.got).toHaveLength(4);
    });

    it('from Proceeding, the same', () => {
      const t = setup();
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 180));
      t.clock.advance(3000);
      t.tx.receiveResponse(reply(t.req, 200));
      expect(t.tx.state).toBe('Accepted');
      t.tx.receiveResponse(reply(t.req, 200));
      expect(t.got.map((g) => g.status)).toEqual([180, 200, 200]);
      expect(t.methods()).toEqual(['INVITE']);
      t.clock.advance(32_000);
      expect(t.tx.state).toBe('Terminated');
      expect(t.terminatedAt()).toBe(35_000);
    });

    it('once the 2xx is in, keeps only the skeleton of its INVITE and not its bytes, and still passes every 2xx up', () => {
      const t = setup();
      t.req.setHeader('Subject', 'kept by the caller, not by the lingering transaction');
      t.tx.start();
      expect(t.tx.request).toBe(t.req);
      t.tx.receiveResponse(reply(t.req, 200));
      const kept = t.tx.request;
      expect(kept).not.toBe(t.req);
      const skeleton = t.req.headerFields().map((f) => f.name).filter((n) => SKELETON.includes(n.toLowerCase()));
      expect(kept.headerFields().map((f) => f.name)).toEqual(skeleton);
      expect(kept.body.byteLength).toBe(0);
      expect([kept.method, kept.uriString, kept.callId, kept.cseq?.seq, kept.vias[0]?.branch, kept.from?.tag]).toEqual(['INVITE', t.req.uriString, t.req.callId, t.req.cseq?.seq, t.req.vias[0]?.branch, 'fromtag']);
      expect(t.req.header('Subject')).toBe('kept by the caller, not by the lingering transaction');
      t.tx.receiveResponse(reply(t.req, 200));
      expect(t.got.map((g) => g.status)).toEqual([200, 200]);
      t.clock.advance(32_000);
      expect(t.terminatedAt()).toBe(32_000);
    });

    it('Timer M is 64·T1 on a reliable transport too, and follows the configured T1', () => {
      const t = setup({ reliable: true, timers: { t1: 100 } });
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 200));
      t.clock.advance(6399);
      expect(t.tx.state).toBe('Accepted');
      t.clock.advance(1);
      expect(t.tx.state).toBe('Terminated');
    });
  });

  describe('transport errors (RFC 3261 §17.1.1.2, §17.1.4)', () => {
    it('the INVITE cannot be sent: synthetic 503 with the failure, Terminated', async () => {
      const t = setup();
      t.failSends(true);
      t.tx.start();
      await settle();
      expect(t.got).toHaveLength(1);
      expect(t.got[0]?.status).toBe(503);
      expect(t.got[0]?.failure).toMatchObject({ kind: 'transport', error: { name: 'TransportError', code: 'EHOSTUNREACH' } });
      expect(t.responses[0]?.cseq?.method).toBe('INVITE');
      expect(t.tx.state).toBe('Terminated');
      expect(t.terminatedAt()).toBe(0);
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('a retransmission cannot be sent: the same', async () => {
      const t = setup();
      t.tx.start();
      t.failSends(true);
      t.clock.advance(500);
      await settle();
      expect(t.got.map((g) => g.status)).toEqual([503]);
      expect(t.tx.state).toBe('Terminated');
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('in Proceeding: ignored, a late retransmission failure (Figure 5 informs the TU in Calling only)', () => {
      const t = setup();
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 180));
      t.tx.transportError(new TransportError('send', 'connection reset'));
      expect(t.got.map((g) => g.status)).toEqual([180]);
      expect(t.tx.state).toBe('Proceeding');
    });

    it('after CANCEL in Proceeding, no final within 64·T1 ends it with a synthetic 487 (RFC 3261 §9.1)', () => {
      const t = setup();
      t.tx.start();
      t.clock.advance(100);
      t.tx.receiveResponse(reply(t.req, 180));
      const cancels: unknown[] = [];
      expect(t.tx.cancel((c) => cancels.push(c))).toBe(true);
      expect(cancels).toHaveLength(1);
      t.clock.advance(31_999);
      expect(t.tx.state).toBe('Proceeding');
      t.clock.advance(1);
      expect(t.got.map((g) => g.status)).toEqual([180, 487]);
      expect(t.got[1]?.failure).toEqual({ kind: 'timeout', timer: 'Cancel' });
      expect(t.tx.state).toBe('Terminated');
      expect(t.clock.pendingTimers).toBe(0);
    });

    it('a final after CANCEL stops the §9.1 wait', () => {
      const t = setup();
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 180));
      t.tx.cancel(() => undefined);
      t.tx.receiveResponse(reply(t.req, 487));
      expect(t.tx.state).toBe('Completed');
      expect(t.tx.runningTimers).toEqual(['D']);
    });

    it('late errors in Accepted and Terminated are ignored', () => {
      const t = setup();
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 200));
      t.tx.transportError(new TransportError('send', 'late'));
      expect(t.tx.state).toBe('Accepted');
      t.clock.advance(32_000);
      t.tx.transportError(new TransportError('send', 'later'));
      expect(t.tx.state).toBe('Terminated');
      expect(t.got.map((g) => g.status)).toEqual([200]);
    });
  });

  describe('cancel() (RFC 3261 §9.1)', () => {
    it('in Calling: held back until a provisional arrives, then handed over once with the INVITE identity', () => {
      const t = setup({ invite: routedInvite() });
      t.tx.start();
      t.clock.advance(200);
      expect(t.tx.cancel(t.sendCancel)).toBe(true);
      t.clock.advance(10_000);
      expect(t.cancels).toEqual([]);
      expect(t.tx.state).toBe('Calling');
      t.tx.receiveResponse(reply(t.req, 180));
      expect(t.cancels).toHaveLength(1);
      expect(t.got.map((g) => g.status)).toEqual([180]);
      expectCancel(t.cancels[0]!, t.req);
      expect(t.cancels[0]!.headers('Route')).toEqual(ROUTES);
      expect(String(t.cancels[0]!.vias[0])).toBe(TOP_VIA);
      expect(String(t.cancels[0]!.to)).toBe('"Bob" <sip:bob@192.0.2.9>');
      t.tx.receiveResponse(reply(t.req, 183));
      expect(t.tx.cancel(t.sendCancel)).toBe(true);
      expect(t.cancels).toHaveLength(1);
      // the CANCEL is not the transaction's to send
      expect(t.methods().every((m) => m === 'INVITE')).toBe(true);
      // the 487 that follows ends the INVITE as any non-2xx final
      t.tx.receiveResponse(reply(t.req, 487));
      expect(t.tx.state).toBe('Completed');
      expect(t.methods().at(-1)).toBe('ACK');
      expect(t.tx.cancel(t.sendCancel)).toBe(false);
      expect(t.cancels).toHaveLength(1);
    });

    it('in Calling, called twice: still one CANCEL', () => {
      const t = setup();
      t.tx.start();
      const second: SipRequest[] = [];
      expect(t.tx.cancel(t.sendCancel)).toBe(true);
      expect(t.tx.cancel((c) => second.push(c))).toBe(true);
      t.tx.receiveResponse(reply(t.req, 100));
      expect(t.cancels).toHaveLength(1);
      expect(second).toEqual([]);
      expectCancel(t.cancels[0]!, t.req);
    });

    it('in Proceeding: handed over at once, and only once', () => {
      const t = setup();
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 180));
      expect(t.tx.cancel(t.sendCancel)).toBe(true);
      expect(t.cancels).toHaveLength(1);
      expectCancel(t.cancels[0]!, t.req);
      expect(t.tx.cancel(t.sendCancel)).toBe(true);
      expect(t.cancels).toHaveLength(1);
      expect(t.tx.state).toBe('Proceeding');
    });

    it('a final arriving while a CANCEL is held back in Calling means it is never sent', () => {
      for (const status of [486, 200]) {
        const t = setup();
        t.tx.start();
        expect(t.tx.cancel(t.sendCancel)).toBe(true);
        t.tx.receiveResponse(reply(t.req, status));
        t.tx.receiveResponse(reply(t.req, 180));
        t.clock.runUntilIdle();
        expect(t.cancels).toEqual([]);
        expect(t.tx.state).toBe('Terminated');
      }
    });

    it('too late after a final response or the end: false, nothing sent', () => {
      const completed = setup();
      completed.tx.start();
      completed.tx.receiveResponse(reply(completed.req, 486));
      expect(completed.tx.cancel(completed.sendCancel)).toBe(false);
      const accepted = setup();
      accepted.tx.start();
      accepted.tx.receiveResponse(reply(accepted.req, 200));
      expect(accepted.tx.cancel(accepted.sendCancel)).toBe(false);
      const timedOut = setup();
      timedOut.tx.start();
      timedOut.clock.advance(32_000);
      expect(timedOut.tx.cancel(timedOut.sendCancel)).toBe(false);
      for (const t of [completed, accepted, timedOut]) {
        expect(t.cancels).toEqual([]);
        expect(t.methods().includes('CANCEL')).toBe(false);
      }
    });
  });

  describe('Terminated', () => {
    it('absorbs every response and sends nothing', () => {
      const t = setup({ reliable: true });
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 486));
      t.clock.advance(0);
      expect(t.tx.state).toBe('Terminated');
      const sentBefore = t.sent.length;
      for (const status of [100, 180, 200, 486, 500]) t.tx.receiveResponse(reply(t.req, status));
      expect(t.sent).toHaveLength(sentBefore);
      expect(t.got.map((g) => g.status)).toEqual([486]);
      expect(t.clock.pendingTimers).toBe(0);
    });
  });

  describe('construction and lifecycle', () => {
    it('refuses other methods, an INVITE without a Via, and a second start', () => {
      const h = harness();
      for (const method of ['OPTIONS', 'ACK', 'CANCEL', 'BYE']) {
        expect(() => new InviteClientTransaction(request(method), h.ctx, { response: () => undefined })).toThrow(TransactionStateError);
      }
      const noVia = request('INVITE');
      noVia.removeHeader('Via');
      expect(() => new InviteClientTransaction(noVia, h.ctx, { response: () => undefined })).toThrow(TransactionStateError);
      const t = setup();
      t.tx.start();
      expect(() => t.tx.start()).toThrow(TransactionStateError);
    });

    it('reports termination to whenTerminated callbacks, also when registered late', () => {
      const t = setup({ reliable: true });
      const log: string[] = [];
      t.tx.whenTerminated(() => log.push('early'));
      t.tx.start();
      t.tx.receiveResponse(reply(t.req, 404));
      t.clock.advance(0);
      t.tx.whenTerminated(() => log.push('late'));
      expect(log).toEqual(['early', 'late']);
      expect(t.tx.isTerminated).toBe(true);
    });

    it('still terminates when the TU throws on the synthetic 408', () => {
      const h = harness();
      const tx = new InviteClientTransaction(request('INVITE'), h.ctx, {
        response: () => {
          throw new Error('TU bug');
        },
      });
      tx.start();
      expect(() => h.clock.advance(32_000)).toThrow('TU bug');
      expect(tx.state).toBe('Terminated');
      expect(h.clock.pendingTimers).toBe(0);
    });
  });
});
