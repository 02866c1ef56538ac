// Non-INVITE client transaction, RFC 3261 §17.1.2: every state × input of Figure 6, exact timing.
import { describe, expect, it } from 'vitest';
import type { SipResponse } from '../../../src/sip/parser/index.js';
import { NonInviteClientTransaction } from '../../../src/sip/transaction/non-invite-client.js';
import { TransactionStateError, type TransactionFailure } from '../../../src/sip/transaction/transaction.js';
import { harness, reply, request, settle } from './harness.js';

function setup(options: Parameters<typeof harness>[0] = {}) {
  const h = harness(options);
  const got: Array<{ at: number; status: number; failure?: TransactionFailure }> = [];
  let terminatedAt: number | undefined;
  const req = request('OPTIONS');
  const tx = new NonInviteClientTransaction(req, h.ctx, {
    response: (res: SipResponse, failure?: TransactionFailure) => got.push({ at: h.clock.now(), status: res.status, ...(failure ? { failure } : {}) }),
    terminated: () => (terminatedAt = h.clock.now()),
  });
  return { ...h, req, tx, got, terminatedAt: () => terminatedAt };
}

describe('NonInviteClientTransaction (RFC 3261 §17.1.2)', () => {
  it('retransmits at 0.5, 1.5, 3.5, 7.5 s then every T2, and times out with a 408 at 64·T1 (Timer E, F)', () => {
    const t = setup();
    t.tx.start();
    expect(t.tx.state).toBe('Trying');
    t.clock.advance(31_999);
    expect(t.sendTimes()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(t.got).toEqual([]);
    t.clock.advance(1);
    expect(t.got).toEqual([{ at: 32_000, status: 408, failure: { kind: 'timeout', timer: 'F' } }]);
    expect(t.tx.state).toBe('Terminated');
    expect(t.terminatedAt()).toBe(32_000);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('keeps retransmitting every T2 in Proceeding, still bounded by Timer F', () => {
    const t = setup();
    t.tx.start();
    t.clock.advance(600);
    t.tx.receiveResponse(reply(t.req, 100));
    expect(t.tx.state).toBe('Proceeding');
    expect(t.got).toEqual([{ at: 600, status: 100 }]);
    t.clock.advance(32_000 - 600);
    // E was armed for 1500 in Trying; from then on, T2
    expect(t.sendTimes()).toEqual([0, 500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500]);
    expect(t.got.at(-1)).toEqual({ at: 32_000, status: 408, failure: { kind: 'timeout', timer: 'F' } });
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('passes every provisional up in Proceeding, and the final moves it to Completed', () => {
    const t = setup();
    t.tx.start();
    t.tx.receiveResponse(reply(t.req, 100));
    t.tx.receiveResponse(reply(t.req, 180));
    t.clock.advance(2000);
    t.tx.receiveResponse(reply(t.req, 200));
    expect(t.tx.state).toBe('Completed');
    expect(t.got.map((g) => g.status)).toEqual([100, 180, 200]);
    expect(t.tx.runningTimers).toEqual(['K']);
  });

  it('goes from Trying straight to Completed on a final, absorbs retransmissions, ends after T4 (Timer K)', () => {
    const t = setup();
    t.tx.start();
    t.clock.advance(100);
    t.tx.receiveResponse(reply(t.req, 486));
    expect(t.tx.state).toBe('Completed');
    t.clock.advance(1000);
    t.tx.receiveResponse(reply(t.req, 486));
    t.tx.receiveResponse(reply(t.req, 180));
    expect(t.got.map((g) => g.status)).toEqual([486]);
    expect(t.sendTimes()).toEqual([0]); // no retransmission after the final
    t.clock.advance(3999);
    expect(t.tx.state).toBe('Completed');
    t.clock.advance(1);
    expect(t.tx.state).toBe('Terminated');
    expect(t.terminatedAt()).toBe(5100);
    t.tx.receiveResponse(reply(t.req, 200));
    expect(t.got).toHaveLength(1);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('on a reliable transport: no retransmissions, Timer K is zero', () => {
    const t = setup({ reliable: true });
    t.tx.start();
    t.clock.advance(10_000);
    expect(t.sendTimes()).toEqual([0]);
    t.tx.receiveResponse(reply(t.req, 200));
    t.clock.advance(0);
    expect(t.tx.state).toBe('Terminated');
  });

  it('uses the configured timers of its stack instance', () => {
    const t = setup({ timers: { t1: 100, t2: 400, t4: 1000 } });
    t.tx.start();
    t.clock.advance(6400);
    expect(t.sendTimes()).toEqual([0, 100, 300, 700, 1100, 1500, 1900, 2300, 2700, 3100, 3500, 3900, 4300, 4700, 5100, 5500, 5900, 6300]);
    expect(t.got.at(-1)?.status).toBe(408);
  });

  it('turns a transport error into a synthetic 503 and terminates (RFC 3261 §17.1.4)', async () => {
    const t = setup();
    t.failSends(true);
    t.tx.start();
    await settle();
    expect(t.got).toHaveLength(1);
    expect(t.got[0]?.status).toBe(503);
    expect(t.got[0]?.failure).toMatchObject({ kind: 'transport', error: { name: 'TransportError', code: 'EHOSTUNREACH' } });
    expect(t.tx.state).toBe('Terminated');
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('a transport error on a retransmission also ends it; after Completed it is ignored', async () => {
    const t = setup();
    t.tx.start();
    t.failSends(true);
    t.clock.advance(500);
    await settle();
    expect(t.got.map((g) => g.status)).toEqual([503]);
    const u = setup();
    u.tx.start();
    u.tx.receiveResponse(reply(u.req, 200));
    u.tx.transportError(new (await import('../../../src/sip/transport/transport.js')).TransportError('send', 'late'));
    expect(u.tx.state).toBe('Completed');
  });

  it('the synthetic responses carry the request identity', () => {
    const t = setup({ timers: { t1: 10 } });
    t.tx.start();
    const seen: SipResponse[] = [];
    const req = request('REGISTER', 'z9hG4bKsyn');
    const tx = new NonInviteClientTransaction(req, t.ctx, { response: (r) => seen.push(r) });
    tx.start();
    t.clock.advance(640);
    expect(seen[0]?.status).toBe(408);
    expect(seen[0]?.callId).toBe(req.callId);
    expect(seen[0]?.vias[0]?.branch).toBe('z9hG4bKsyn');
    expect(seen[0]?.cseq?.method).toBe('REGISTER');
  });

  it('in Completed keeps only the skeleton of its request; its TU still hears of the end, and nothing more is passed up', () => {
    const t = setup();
    t.req.setHeader('Subject', 'kept by the caller, not by the lingering transaction');
    t.req.body = new TextEncoder().encode('body');
    t.tx.start();
    t.tx.receiveResponse(reply(t.req, 200));
    const kept = t.tx.request;
    expect(kept).not.toBe(t.req);
    expect(kept.headerFields().map((f) => f.name.toLowerCase()).every((n) => ['via', 'from', 'to', 'call-id', 'cseq'].includes(n))).toBe(true);
    expect(kept.body.byteLength).toBe(0);
    expect([kept.method, kept.callId, kept.cseq?.seq, kept.vias[0]?.branch]).toEqual(['OPTIONS', t.req.callId, t.req.cseq?.seq, t.req.vias[0]?.branch]);
    expect(t.req.header('Subject')).toBe('kept by the caller, not by the lingering transaction');
    t.tx.receiveResponse(reply(t.req, 200));
    expect(t.got.map((g) => g.status)).toEqual([200]);
    t.clock.advance(5000);
    expect(t.terminatedAt()).toBe(5000);
    // A TU that does not ask to hear of the end is let go at the final: nothing more reaches it.
    const h = harness();
    const seen: number[] = [];
    const req = request('OPTIONS');
    const tx = new NonInviteClientTransaction(req, h.ctx, { response: (res) => seen.push(res.status) });
    tx.start();
    tx.receiveResponse(reply(req, 200));
    tx.receiveResponse(reply(req, 200));
    h.clock.advance(5000);
    expect(tx.state).toBe('Terminated');
    expect(seen).toEqual([200]);
  });

  it('refuses INVITE and ACK, and a second start', () => {
    const h = harness();
    expect(() => new NonInviteClientTransaction(request('INVITE'), h.ctx, { response: () => undefined })).toThrow(TransactionStateError);
    expect(() => new NonInviteClientTransaction(request('ACK'), h.ctx, { response: () => undefined })).toThrow(TransactionStateError);
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
  });
});
