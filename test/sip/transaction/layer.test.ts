// TransactionLayer end to end: two stacks over a MemoryNetwork on a VirtualClock.
import { describe, expect, it } from 'vitest';
import { createRequest, createResponse, serializeMessage, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import { VirtualClock } from '../../../src/sip/transport/clock.js';
import { MemoryNetwork } from '../../../src/sip/transport/memory-network.js';
import type { Endpoint } from '../../../src/sip/transport/transport.js';
import { type ServerTransaction, TransactionLayer, type TransactionLayerEvent } from '../../../src/sip/transaction/layer.js';
import type { InviteClientTransaction } from '../../../src/sip/transaction/invite-client.js';
import type { ServerTransactionUser, TransactionFailure } from '../../../src/sip/transaction/transaction.js';

const A: Endpoint = { address: '10.0.0.1', port: 5060 };
const B: Endpoint = { address: '10.0.0.2', port: 5060 };

type Answer = (req: SipRequest, tx: ServerTransaction) => ServerTransactionUser | void;

function stacks(answer: Answer = (req, tx) => tx.respond(createResponse(req, 200, undefined, { toTag: 'b1' }))) {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, seed: 7, defaults: { delay: 10 } });
  const eventsA: TransactionLayerEvent[] = [];
  const eventsB: TransactionLayerEvent[] = [];
  const atB: SipRequest[] = [];
  const acksWithoutTx: SipRequest[] = [];
  const strayAtA: SipResponse[] = [];
  const a = new TransactionLayer({
    transport: network.transport(A),
    clock,
    core: { request: () => undefined, strayResponse: (r) => strayAtA.push(r), event: (e) => eventsA.push(e) },
  });
  const b = new TransactionLayer({
    transport: network.transport(B),
    clock,
    core: {
      request: (req, tx) => {
        if (tx === undefined) {
          acksWithoutTx.push(req);
          return undefined;
        }
        atB.push(req);
        return answer(req, tx);
      },
      event: (e) => eventsB.push(e),
    },
  });
  return { clock, network, a, b, atB, acksWithoutTx, strayAtA, eventsA, eventsB };
}

function outbound(method: string, extra: Partial<Parameters<typeof createRequest>[0]> = {}): SipRequest {
  return createRequest({ method, uri: 'sip:bob@10.0.0.2', from: '<sip:alice@10.0.0.1>;tag=a1', to: '<sip:bob@10.0.0.2>', callId: `c-${method}@10.0.0.1`, cseq: 1, ...extra });
}

function collect() {
  const got: Array<{ status: number; failure?: TransactionFailure }> = [];
  return { got, tu: { response: (r: SipResponse, failure?: TransactionFailure) => got.push({ status: r.status, ...(failure ? { failure } : {}) }) } };
}

describe('TransactionLayer', () => {
  it('runs an OPTIONS transaction on both sides and forgets both when their timers end', () => {
    const s = stacks();
    const { got, tu } = collect();
    s.a.sendRequest(outbound('OPTIONS'), B, tu);
    expect(s.a.counts).toEqual({ client: 1, server: 0 });
    s.clock.advance(20);
    expect(got).toEqual([{ status: 200 }]);
    expect(s.b.counts).toEqual({ client: 0, server: 1 });
    s.clock.runUntilIdle();
    expect(s.a.counts).toEqual({ client: 0, server: 0 });
    expect(s.b.counts).toEqual({ client: 0, server: 0 });
    expect(s.clock.pendingTimers).toBe(0);
  });

  it('adds a Via with a fresh branch and rport; the server sees received/rport stamped', () => {
    const s = stacks();
    const req = outbound('OPTIONS');
    s.a.sendRequest(req, B, collect().tu);
    const via = req.vias[0]!;
    expect(via.branch).toMatch(/^z9hG4bK.{16}$/);
    expect([via.host, via.port, via.rport]).toEqual(['10.0.0.1', 5060, true]);
    s.clock.advance(10);
    expect(s.atB[0]?.vias[0]?.rport).toBe(5060);
    expect(s.atB[0]?.vias[0]?.received).toBe('10.0.0.1');
  });

  it('absorbs request retransmissions: the core sees a request once', () => {
    let clock: VirtualClock | undefined;
    // the core answers after 3 s, so the client retransmits meanwhile (at 0.5, 1.5 s)
    const s = stacks((req, tx) => void clock?.setTimer(3000, () => tx.respond(createResponse(req, 200, undefined, { toTag: 'x' }))));
    clock = s.clock;
    const { got, tu } = collect();
    s.a.sendRequest(outbound('MESSAGE'), B, tu);
    s.clock.advance(4000);
    expect(s.atB).toHaveLength(1);
    expect(got).toEqual([{ status: 200 }]);
  });

  it('INVITE rejected: the client transaction ACKs the 486 and the server absorbs the ACK', () => {
    const s = stacks((req, tx) => tx.respond(createResponse(req, 486, undefined, { toTag: 'busy' })));
    const { got, tu } = collect();
    s.a.sendRequest(outbound('INVITE'), B, tu);
    s.clock.advance(100);
    expect(got).toEqual([{ status: 486 }]);
    expect(s.acksWithoutTx).toEqual([]);
    s.clock.runUntilIdle();
    expect(s.a.counts).toEqual({ client: 0, server: 0 });
    expect(s.b.counts).toEqual({ client: 0, server: 0 });
    const acks = s.network.trace.filter((d) => Buffer.from(d.data).toString().startsWith('ACK '));
    expect(acks).toHaveLength(1);
  });

  it('INVITE answered 200: an ACK with a new branch (§13.2.2.4) goes to the core; one reusing the INVITE branch to the server TU while Accepted', () => {
    const acked: SipRequest[] = [];
    const s = stacks((req, tx) => {
      tx.respond(createResponse(req, 200, undefined, { toTag: 'ok' }));
      return { ack: (ack) => acked.push(ack) };
    });
    let invite200: SipResponse | undefined;
    const invite = outbound('INVITE');
    s.a.sendRequest(invite, B, { response: (r) => (invite200 = r) });
    s.clock.advance(30);
    expect(invite200?.status).toBe(200);
    const ack = (via?: string) =>
      createRequest({ method: 'ACK', uri: 'sip:bob@10.0.0.2', from: '<sip:alice@10.0.0.1>;tag=a1', to: String(invite200!.to), callId: 'c-INVITE@10.0.0.1', cseq: 1, ...(via ? { via } : {}) });
    void s.a.sendStateless(ack(), B);
    s.clock.advance(20);
    expect(s.acksWithoutTx).toHaveLength(1);
    expect(acked).toHaveLength(0);
    void s.a.sendStateless(ack(String(invite.vias[0])), B);
    s.clock.advance(20);
    expect(acked).toHaveLength(1);
    s.clock.advance(32_000); // Timer L ends the server transaction: now even that ACK goes to the core
    void s.a.sendStateless(ack(String(invite.vias[0])), B);
    s.clock.advance(20);
    expect(s.acksWithoutTx).toHaveLength(2);
  });

  it('CANCEL: 200 for the CANCEL, 487 for the INVITE, the server TU told (RFC 3261 §9)', () => {
    const cancelled: SipRequest[] = [];
    const s = stacks((req, tx) => {
      tx.respond(createResponse(req, 180, undefined, { toTag: 'ring' }));
      return { cancelled: (c) => cancelled.push(c) };
    });
    const invite = collect();
    const cancel = collect();
    const tx = s.a.sendRequest(outbound('INVITE'), B, invite.tu) as InviteClientTransaction;
    // Where the INVITE went, for its CANCEL (RFC 3261 §9.1): the transaction knows.
    expect(tx.destination).toEqual(B);
    expect(s.a.cancel(tx, tx.destination!, cancel.tu)).toBe(true); // held until the 180 arrives
    s.clock.advance(100);
    expect(invite.got.map((g) => g.status)).toEqual([180, 487]);
    expect(cancel.got).toEqual([{ status: 200 }]);
    expect(cancelled).toHaveLength(1);
    s.clock.runUntilIdle();
    expect(s.a.counts).toEqual({ client: 0, server: 0 });
    expect(s.b.counts).toEqual({ client: 0, server: 0 });
    expect(s.clock.pendingTimers).toBe(0);
  });

  it('transactions to one destination share its context; one to another destination goes there', () => {
    const C: Endpoint = { address: '10.0.0.3', port: 5060 };
    const s = stacks();
    const first = s.a.sendRequest(outbound('OPTIONS'), B, collect().tu);
    const second = s.a.sendRequest(outbound('OPTIONS'), { address: B.address, port: B.port }, collect().tu);
    const elsewhere = s.a.sendRequest(outbound('OPTIONS'), C, collect().tu);
    const back = s.a.sendRequest(outbound('OPTIONS'), B, collect().tu);
    expect(second.destination).toBe(first.destination);
    expect(elsewhere.destination).toEqual(C);
    expect(back.destination).toEqual(B);
    expect(back.destination).not.toBe(elsewhere.destination);
  });

  it('the 200 for a CANCEL and the 487 carry the same To tag (RFC 3261 §9.2), also after only the automatic 100', () => {
    for (const provisional of [true, false]) {
      const s = stacks((req, tx) => {
        if (provisional) tx.respond(createResponse(req, 180, undefined, { toTag: 'ring' }));
        return {};
      });
      const tags: Record<string, string | undefined> = {};
      const tx = s.a.sendRequest(outbound('INVITE'), B, { response: (r) => (tags[`invite ${r.status}`] = r.to?.tag) }) as InviteClientTransaction;
      s.clock.advance(provisional ? 50 : 300); // without a 180, the CANCEL may go once the 100 has arrived
      s.a.cancel(tx, B, { response: (r) => (tags[`cancel ${r.status}`] = r.to?.tag) });
      s.clock.advance(100);
      expect(tags['invite 487']).toBeDefined();
      expect(tags['cancel 200']).toBe(tags['invite 487']);
      if (provisional) expect(tags['invite 487']).toBe('ring');
    }
  });

  it('a CANCEL that matches no INVITE gets 481', () => {
    const s = stacks();
    const { got, tu } = collect();
    s.a.sendRequest(outbound('CANCEL'), B, tu);
    s.clock.advance(20);
    expect(got).toEqual([{ status: 481 }]);
    expect(s.atB).toEqual([]);
  });

  it('merged requests get 482 (RFC 3261 §8.2.2.2)', () => {
    const s = stacks(() => undefined); // the core does not answer the first one yet
    const first = collect();
    const second = collect();
    s.a.sendRequest(outbound('MESSAGE'), B, first.tu);
    s.a.sendRequest(outbound('MESSAGE'), B, second.tu); // same From tag, Call-ID, CSeq; new branch
    s.clock.advance(20);
    expect(second.got).toEqual([{ status: 482 }]);
    expect(s.atB).toHaveLength(1);
    expect(s.eventsB.map((e) => e.type)).toContain('merged');
  });

  it('passes a stray 2xx to INVITE to the core and discards other strays (RFC 6026 §7.2)', () => {
    const s = stacks();
    const req = outbound('INVITE');
    req.setHeader('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKstray');
    const ok = createResponse(req, 200, undefined, { toTag: 'z' });
    const bt = s.network.transport({ address: '10.0.0.3', port: 5060 });
    void bt.send(serializeMessage(ok), A);
    void bt.send(serializeMessage(createResponse(req, 486, undefined, { toTag: 'z' })), A);
    s.clock.advance(20);
    expect(s.strayAtA.map((r) => r.status)).toEqual([200]);
    expect(s.eventsA.filter((e) => e.type === 'discarded')).toHaveLength(1);
  });

  it('discards a response whose top Via sent-by is not ours (RFC 3261 §18.1.2)', () => {
    const s = stacks(() => undefined);
    const { got, tu } = collect();
    const req = outbound('OPTIONS');
    s.a.sendRequest(req, B, tu);
    const forged = createResponse(req, 200, undefined, { toTag: 'f' });
    forged.vias[0]!.host = '10.9.9.9';
    void s.network.transport({ address: '10.0.0.4', port: 5060 }).send(serializeMessage(forged), A);
    s.clock.advance(20);
    expect(got).toEqual([]);
    expect(s.eventsA.some((e) => e.type === 'discarded' && /18\.1\.2/.test(e.reason))).toBe(true);
  });

  it('close() ends every transaction and leaves no timer', () => {
    const s = stacks(() => undefined);
    s.a.sendRequest(outbound('INVITE'), B, collect().tu);
    s.a.sendRequest(outbound('OPTIONS'), B, collect().tu);
    s.clock.advance(20);
    s.a.close();
    s.b.close();
    expect(s.a.counts).toEqual({ client: 0, server: 0 });
    expect(s.b.counts).toEqual({ client: 0, server: 0 });
    s.clock.runUntilIdle();
    expect(s.clock.pendingTimers).toBe(0);
    expect(() => s.a.sendRequest(outbound('OPTIONS'), B, collect().tu)).toThrow(/closed/);
  });

  it('an RFC 2543 request with another To tag under the same key gets its own transaction, and neither loses the other', () => {
    const s = stacks((req, tx) => tx.respond(createResponse(req, 200, undefined, { toTag: 'srv' })));
    const bt = s.network.transport({ address: '10.0.0.5', port: 5060 });
    const legacy = (toTag?: string) =>
      createRequest({ method: 'INFO', uri: 'sip:bob@10.0.0.2', via: 'SIP/2.0/UDP 10.0.0.5:5060', from: '<sip:old@10.0.0.5>;tag=o1', to: `<sip:bob@10.0.0.2>${toTag ? `;tag=${toTag}` : ''}`, callId: 'legacy-1', cseq: 5 });
    void bt.send(serializeMessage(legacy('t1')), B);
    s.clock.advance(20);
    s.clock.advance(10_000); // the first transaction is Completed, Timer J running
    void bt.send(serializeMessage(legacy('t2')), B); // same RFC 2543 key, different To tag: a new request
    s.clock.advance(20);
    expect(s.atB).toHaveLength(2);
    expect(s.b.counts.server).toBe(1); // filed under the same key; the older one is still running its Timer J
    s.clock.advance(23_000); // the first transaction ends; the second must still be matched
    void bt.send(serializeMessage(legacy('t2')), B); // a retransmission of the second
    s.clock.advance(20);
    expect(s.atB).toHaveLength(2);
    s.clock.runUntilIdle();
    expect(s.b.counts).toEqual({ client: 0, server: 0 });
  });

  it('refuses to send an ACK in a transaction', () => {
    const s = stacks();
    expect(() => s.a.sendRequest(outbound('ACK'), B, collect().tu)).toThrow(/sendStateless/);
  });

  describe('retransmissions: what the transactions sent again', () => {
    it('Timer A for an INVITE nobody answers (0.5, 1.5, 3.5 … 31.5 s) and Timer E for an OPTIONS (capped at T2)', () => {
      const s = stacks();
      const nobody: Endpoint = { address: '10.0.0.3', port: 5060 };
      s.a.sendRequest(outbound('INVITE', { callId: 'silent' }), nobody, collect().tu);
      s.clock.advance(499);
      expect(s.a.retransmissions).toBe(0);
      s.clock.advance(1);
      expect(s.a.retransmissions).toBe(1);
      s.clock.advance(31_500); // Timer B at 32 s: six in all
      expect(s.a.retransmissions).toBe(6);
      s.a.sendRequest(outbound('OPTIONS', { callId: 'silent-options' }), nobody, collect().tu);
      s.clock.advance(32_000); // 0.5, 1.5, 3.5, 7.5, 11.5 … 31.5 s: ten, then Timer F
      expect(s.a.retransmissions).toBe(16);
      expect(s.b.retransmissions).toBe(0);
    });

    it("a final re-sent on Timer G and for a retransmitted request, and none for a peer that keeps up", async () => {
      const s = stacks((req, tx) => tx.respond(createResponse(req, 486, undefined, { toTag: 'b1' })));
      // A client without a transaction layer: it never ACKs, so B's 486 goes again on Timer G.
      const C: Endpoint = { address: '10.0.0.3', port: 5060 };
      const raw = s.network.transport(C);
      raw.setHandlers({});
      const invite = outbound('INVITE', { callId: 'raw', via: 'SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bKraw1' });
      await raw.send(serializeMessage(invite), B);
      s.clock.advance(10);
      expect(s.b.retransmissions).toBe(0);
      await raw.send(serializeMessage(invite), B); // the INVITE again: the 486 again
      s.clock.advance(10);
      expect(s.b.retransmissions).toBe(1);
      s.clock.advance(32_000); // Timer G: 0.5, 1.5, 3.5, 7.5, 11.5 … 31.5 s, then Timer H
      expect(s.b.retransmissions).toBe(11);

      const calm = stacks();
      calm.a.sendRequest(outbound('INVITE', { callId: 'ok' }), B, collect().tu);
      calm.a.sendRequest(outbound('OPTIONS'), B, collect().tu);
      calm.clock.runUntilIdle();
      expect([calm.a.retransmissions, calm.b.retransmissions]).toEqual([0, 0]);
    });
  });

  describe('callingInvites: INVITEs no response has reached yet (RFC 3261 §17.1.1.2 Calling)', () => {
    it('counts an INVITE until its first response, provisional or final, and never a non-INVITE', () => {
      // (A UAS that does not answer at once sends 100 Trying after 200 ms, RFC 3261 §17.2.1: that counts too.)
      const s = stacks((req, tx) => {
        if (req.method === 'INVITE') tx.respond(createResponse(req, 180, undefined, { toTag: 'b1' }));
        else tx.respond(createResponse(req, 200));
      });
      s.a.sendRequest(outbound('INVITE', { callId: 'one' }), B, collect().tu);
      s.a.sendRequest(outbound('INVITE', { callId: 'two' }), B, collect().tu);
      s.a.sendRequest(outbound('OPTIONS'), B, collect().tu);
      expect(s.a.callingInvites).toBe(2);
      expect(s.b.callingInvites).toBe(0);
      s.clock.advance(20); // the 180s arrive: Proceeding
      expect(s.a.callingInvites).toBe(0);
    });

    it('counts an INVITE nobody answers until Timer B ends it, and one in flight until close()', () => {
      const s = stacks();
      const nobody: Endpoint = { address: '10.0.0.3', port: 5060 };
      s.a.sendRequest(outbound('INVITE', { callId: 'silent' }), nobody, collect().tu);
      s.clock.advance(31_999);
      expect(s.a.callingInvites).toBe(1);
      s.clock.advance(1); // Timer B, 64·T1
      expect(s.a.callingInvites).toBe(0);
      s.a.sendRequest(outbound('INVITE', { callId: 'closed' }), nobody, collect().tu);
      expect(s.a.callingInvites).toBe(1);
      s.a.close();
      expect(s.a.callingInvites).toBe(0);
    });

    it("counts down on the 100 Trying a slow UAS's transaction sends after 200 ms (RFC 3261 §17.2.1)", () => {
      const s = stacks(() => undefined);
      s.a.sendRequest(outbound('INVITE', { callId: 'slow' }), B, collect().tu);
      s.clock.advance(200);
      expect(s.a.callingInvites).toBe(1);
      s.clock.advance(30); // the 100 went at 210 ms and arrives 10 ms later
      expect(s.a.callingInvites).toBe(0);
    });

    it('counts down on a final response that comes first, 2xx or not', () => {
      const s = stacks((req, tx) => tx.respond(createResponse(req, req.callId === 'ok' ? 200 : 486, undefined, { toTag: 'b1' })));
      s.a.sendRequest(outbound('INVITE', { callId: 'ok' }), B, collect().tu);
      s.a.sendRequest(outbound('INVITE', { callId: 'busy' }), B, collect().tu);
      expect(s.a.callingInvites).toBe(2);
      s.clock.advance(20);
      expect(s.a.callingInvites).toBe(0);
    });
  });
});
