// Two TransactionLayers over real UDP on 127.0.0.1 with the RealClock (issue 3): OPTIONS, INVITE
// rejected, INVITE accepted and ACKed by the TU, INVITE cancelled, and where responses go
// (RFC 3261 §18.2.1–§18.2.2, RFC 3581). Small timers keep the real-time waits short; nothing is
// left open afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest, createResponse, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import { RealClock } from '../../../src/sip/transport/clock.js';
import type { Endpoint, InboundMessage, Transport } from '../../../src/sip/transport/transport.js';
import { UdpTransport } from '../../../src/sip/transport/udp.js';
import type { InviteClientTransaction } from '../../../src/sip/transaction/invite-client.js';
import { type ServerTransaction, TransactionLayer, type TransactionLayerEvent } from '../../../src/sip/transaction/layer.js';
import { newBranch } from '../../../src/sip/transaction/tags.js';
import type { ServerTransactionUser, TransactionFailure } from '../../../src/sip/transaction/transaction.js';
import { tapTransport } from '../transport/tap.js';

const TIMERS = { t1: 50, t2: 200, t4: 250, timerD: 400 };
/** The longest transaction lifetime with these timers: Timer F/B/J/H/L/M = 64·T1. */
const LONGEST = 64 * TIMERS.t1;
/** Before answering OPTIONS the server waits longer than T1, so the client retransmits (Timer E). */
const OPTIONS_DELAY = 120;

/** A UDP transport whose datagrams in and out are recorded (the layer sees the same transport). */
interface Tap {
  udp: UdpTransport;
  transport: Transport;
  inbound: InboundMessage[];
  outbound: Array<{ text: string; destination: Endpoint }>;
}

function tap(udp: UdpTransport): Tap {
  const inbound: InboundMessage[] = [];
  const outbound: Tap['outbound'] = [];
  const transport = tapTransport(udp, {
    received: (m) => void inbound.push(m),
    sent: (data, destination) => void outbound.push({ text: Buffer.from(data).toString('utf8'), destination }),
  });
  return { udp, transport, inbound, outbound };
}

/** Waits (real time, polling) until `cond` holds; a clear failure after `ms`. */
async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Seen {
  request: SipRequest;
  tx: ServerTransaction | undefined;
  source: Endpoint;
  /** The top Via as the core got it (after received/rport were stamped). */
  via: { host: string; port: number | undefined; received: string | undefined; rport: number | true | undefined };
}

/** Client TU that records statuses (and failures) as they arrive. */
function collector() {
  const got: Array<{ status: number; response: SipResponse; failure?: TransactionFailure }> = [];
  return {
    got,
    statuses: () => got.map((g) => g.status),
    tu: { response: (r: SipResponse, failure?: TransactionFailure) => void got.push({ status: r.status, response: r, ...(failure ? { failure } : {}) }) },
  };
}

const run = Math.random().toString(36).slice(2, 8);
const callId = (name: string): string => `${name}-${run}@127.0.0.1`;

describe('TransactionLayer over UDP on loopback (RealClock)', () => {
  const udps: UdpTransport[] = [];
  const layers: TransactionLayer[] = [];
  const clocks: RealClock[] = [];
  let a: TransactionLayer; // client side
  let b: TransactionLayer; // server side
  let tapA: Tap;
  let tapB: Tap;
  let A: Endpoint;
  let B: Endpoint;
  const atB: Seen[] = [];
  const eventsA: TransactionLayerEvent[] = [];
  const eventsB: TransactionLayerEvent[] = [];
  const strayAtA: SipResponse[] = [];
  const requestsAtA: SipRequest[] = [];
  /** What the server TUs heard (ACK in Accepted, CANCEL, failures). */
  const serverTu: Array<{ callId: string | undefined; what: string }> = [];

  function outbound(method: string, name: string, extra: Partial<Parameters<typeof createRequest>[0]> = {}): SipRequest {
    return createRequest({
      method,
      uri: `sip:bob@127.0.0.1:${B.port}`,
      from: `<sip:alice@127.0.0.1:${A.port}>;tag=a-${name}`,
      to: `<sip:bob@127.0.0.1:${B.port}>`,
      callId: callId(name),
      cseq: 1,
      ...extra,
    });
  }

  /** The server's core: what it answers depends on the Call-ID. */
  function answer(req: SipRequest, tx: ServerTransaction): ServerTransactionUser | void {
    const id = req.callId;
    const tu: ServerTransactionUser = {
      ack: () => void serverTu.push({ callId: id, what: 'ack' }),
      cancelled: () => void serverTu.push({ callId: id, what: 'cancelled' }),
      failed: (f) => void serverTu.push({ callId: id, what: `failed:${f.kind}` }),
    };
    switch (id) {
      case callId('options'):
        clocks[1]!.setTimer(OPTIONS_DELAY, () => tx.respond(createResponse(req, 200, undefined, { toTag: 'b-options' })));
        return tu;
      case callId('busy'):
        tx.respond(createResponse(req, 486, undefined, { toTag: 'b-busy' }));
        return tu;
      case callId('accept'):
        tx.respond(createResponse(req, 200, undefined, { toTag: 'b-accept', headers: { Contact: `<sip:bob@127.0.0.1:${B.port}>` } }));
        return tu;
      case callId('cancel'):
        tx.respond(createResponse(req, 180, undefined, { toTag: 'b-cancel' }));
        return tu;
      default:
        tx.respond(createResponse(req, 200, undefined, { toTag: 'b-other' }));
        return tu;
    }
  }

  beforeAll(async () => {
    try {
      for (let i = 0; i < 3; i++) udps.push(await UdpTransport.bind({ host: '127.0.0.1', port: 0 }));
    } catch (err) {
      await Promise.all(udps.map((u) => u.close()));
      throw err;
    }
    tapA = tap(udps[0]!);
    tapB = tap(udps[1]!);
    A = tapA.udp.local;
    B = tapB.udp.local;
    clocks.push(new RealClock(), new RealClock());
    a = new TransactionLayer({
      transport: tapA.transport,
      clock: clocks[0],
      timers: TIMERS,
      core: {
        request: (req) => void requestsAtA.push(req),
        strayResponse: (r) => void strayAtA.push(r),
        event: (e) => void eventsA.push(e),
      },
    });
    b = new TransactionLayer({
      transport: tapB.transport,
      clock: clocks[1],
      timers: TIMERS,
      core: {
        request: (request, tx, source) => {
          const top = request.vias[0]!;
          atB.push({ request, tx, source, via: { host: top.host, port: top.port, received: top.received, rport: top.rport } });
          return tx === undefined ? undefined : answer(request, tx);
        },
        event: (e) => void eventsB.push(e),
      },
    });
    layers.push(a, b);
  });

  afterAll(async () => {
    try {
      for (const layer of layers) layer.close();
    } finally {
      await Promise.all(udps.map((u) => u.close()));
    }
    // Everything the test opened is released: no UDP handle, no RealClock timer.
    for (let turn = 0; turn < 20 && process.getActiveResourcesInfo().includes('UDPWrap'); turn++) await new Promise((r) => setImmediate(r));
    expect(process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap')).toEqual([]);
    expect(clocks.map((c) => c.pendingTimers)).toEqual([0, 0]);
  });

  const seenAtB = (name: string, method?: string): Seen[] => atB.filter((s) => s.request.callId === callId(name) && (method === undefined || s.request.method === method));
  const inboundAtB = (name: string, method: string): InboundMessage[] =>
    tapB.inbound.filter((m) => m.message.isRequest && m.message.callId === callId(name) && (m.message as SipRequest).method === method);

  it('binds two transports on 127.0.0.1 with distinct ephemeral ports', () => {
    expect(A.address).toBe('127.0.0.1');
    expect(B.address).toBe('127.0.0.1');
    expect(A.port).toBeGreaterThan(0);
    expect(B.port).not.toBe(A.port);
  });

  it('OPTIONS → 200: the client retransmits while the server core waits, the core sees the request once', async () => {
    const { got, statuses, tu } = collector();
    const req = outbound('OPTIONS', 'options');
    a.sendRequest(req, B, tu);
    // The layer added the top Via: our address and port, a fresh branch, rport requested.
    const via = req.vias[0]!;
    expect([via.transport, via.host, via.port, via.rport]).toEqual(['UDP', '127.0.0.1', A.port, true]);
    expect(via.branch).toMatch(/^z9hG4bK/);
    await until(() => got.length > 0, 'the 200 to OPTIONS');
    expect(statuses()).toEqual([200]);
    const res = got[0]!.response;
    expect(res.callId).toBe(callId('options'));
    expect(res.to?.tag).toBe('b-options');

    // RFC 3261 §18.2.1 / RFC 3581 §4: the server saw received and rport filled in from the packet.
    const seen = seenAtB('options');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.source).toEqual(A);
    expect(seen[0]!.via).toEqual({ host: '127.0.0.1', port: A.port, received: '127.0.0.1', rport: A.port });
    // ...and the response carries them back in its top Via.
    expect(res.vias[0]?.received).toBe('127.0.0.1');
    expect(res.vias[0]?.rport).toBe(A.port);
    // Timer E fired at least once (T1 = 50 ms < 120 ms) and the server transaction absorbed it.
    expect(inboundAtB('options', 'OPTIONS').length).toBeGreaterThanOrEqual(2);
    // The response came from B's port back to A's port.
    const responses = tapA.inbound.filter((m) => !m.message.isRequest && m.message.callId === callId('options'));
    expect(responses.length).toBeGreaterThanOrEqual(1);
    for (const r of responses) expect(r.source).toEqual(B);
    for (const o of tapB.outbound.filter((o) => o.text.includes(callId('options')))) expect(o.destination).toEqual(A);
  });

  it('INVITE → 486: the client transaction ACKs it, the server transaction absorbs the ACK', async () => {
    const { got, statuses, tu } = collector();
    a.sendRequest(outbound('INVITE', 'busy'), B, tu);
    await until(() => got.length > 0, 'the 486');
    // The ACK is sent by the client transaction (§17.1.1.3) and reaches B's transport...
    await until(() => inboundAtB('busy', 'ACK').length > 0, 'the ACK for the 486 at B');
    expect(statuses()).toEqual([486]);
    const ack = inboundAtB('busy', 'ACK')[0]!.message as SipRequest;
    expect(ack.vias[0]?.branch).toBe(seenAtB('busy', 'INVITE')[0]!.request.vias[0]?.branch); // same branch as the INVITE
    expect(ack.to?.tag).toBe('b-busy');
    expect(ack.cseq).toMatchObject({ seq: 1, method: 'ACK' });
    // ...but never reaches the core: the INVITE server transaction took it (Completed → Confirmed).
    expect(seenAtB('busy').map((s) => s.request.method)).toEqual(['INVITE']);
    const invite = seenAtB('busy', 'INVITE')[0]!;
    expect(invite.via).toEqual({ host: '127.0.0.1', port: A.port, received: '127.0.0.1', rport: A.port });
    expect(invite.tx?.state).toMatch(/^(Confirmed|Terminated)$/);
    for (const o of tapB.outbound.filter((o) => o.text.includes(callId('busy')))) expect(o.destination).toEqual(A);
  });

  it('INVITE → 200: the TU sends the ACK with sendStateless; the server core gets it with no transaction', async () => {
    const { got, statuses, tu } = collector();
    const invite = outbound('INVITE', 'accept');
    a.sendRequest(invite, B, tu);
    await until(() => got.length > 0, 'the 200 to INVITE');
    expect(statuses()).toEqual([200]);
    const ok = got[0]!.response;
    expect(ok.header('Contact')).toBe(`<sip:bob@127.0.0.1:${B.port}>`);
    // RFC 3261 §13.2.2.4: the ACK for a 2xx is the TU's, outside the transaction, with a new branch.
    const ack = createRequest({ method: 'ACK', uri: `sip:bob@127.0.0.1:${B.port}`, from: String(invite.from), to: String(ok.to), callId: callId('accept'), cseq: 1 });
    await a.sendStateless(ack, B);
    expect(ack.vias[0]?.branch).not.toBe(invite.vias[0]?.branch);
    await until(() => seenAtB('accept', 'ACK').length > 0, 'the ACK at the server core');
    const seenAck = seenAtB('accept', 'ACK')[0]!;
    expect(seenAck.tx).toBeUndefined();
    expect(seenAck.source).toEqual(A);
    expect(seenAck.request.to?.tag).toBe('b-accept');
    expect(seenAck.via).toEqual({ host: '127.0.0.1', port: A.port, received: '127.0.0.1', rport: A.port });
    // The INVITE server transaction (Accepted) did not take the ACK: its branch is not the INVITE's.
    expect(serverTu.filter((s) => s.callId === callId('accept'))).toEqual([]);
    expect(seenAtB('accept', 'INVITE')[0]!.tx?.state).toBe('Accepted');
    // Only the server's core ever sees this ACK; the client transaction sent none of its own.
    expect(inboundAtB('accept', 'ACK')).toHaveLength(1);
  });

  it('INVITE cancelled after a 180: CANCEL → 200, INVITE → 487 (ACKed by the client transaction)', async () => {
    const invite = collector();
    const cancel = collector();
    let cancelled: boolean | undefined;
    const tx = a.sendRequest(outbound('INVITE', 'cancel'), B, {
      response: (r, failure) => {
        invite.tu.response(r, failure);
        if (r.status === 180) cancelled = a.cancel(tx as InviteClientTransaction, B, cancel.tu);
      },
    }) as InviteClientTransaction;
    await until(() => invite.got.some((g) => g.status >= 200) && cancel.got.length > 0, 'the 487 and the 200 to CANCEL');
    expect(cancelled).toBe(true);
    expect(invite.statuses()).toEqual([180, 487]);
    expect(cancel.statuses()).toEqual([200]);
    const canceled = invite.got[1]!.response;
    expect(canceled.to?.tag).toBe('b-cancel'); // the 487 carries the tag of the 180 (§9.2)
    // The CANCEL was answered by B's layer, not its core; the INVITE's TU heard of it once.
    expect(seenAtB('cancel').map((s) => s.request.method)).toEqual(['INVITE']);
    expect(serverTu.filter((s) => s.callId === callId('cancel'))).toEqual([{ callId: callId('cancel'), what: 'cancelled' }]);
    const cancelAtB = inboundAtB('cancel', 'CANCEL');
    expect(cancelAtB.length).toBeGreaterThanOrEqual(1);
    const cancelVia = cancelAtB[0]!.message.vias[0]!;
    expect(cancelVia.branch).toBe(seenAtB('cancel', 'INVITE')[0]!.request.vias[0]?.branch); // §9.1: same branch as the INVITE
    expect([cancelVia.received, cancelVia.rport]).toEqual(['127.0.0.1', A.port]);
    // The 487 is ACKed by the client transaction and absorbed by the server transaction.
    await until(() => inboundAtB('cancel', 'ACK').length > 0, 'the ACK for the 487 at B');
    expect(seenAtB('cancel', 'ACK')).toEqual([]);
    for (const o of tapB.outbound.filter((o) => o.text.includes(callId('cancel')))) expect(o.destination).toEqual(A);
  });

  it('responses go to received:rport when rport is asked for, else to the sent-by port (RFC 3581 §4, RFC 3261 §18.2.2)', async () => {
    // Behind a "NAT": the Via names a port we are not on, but asks for rport. The response must
    // come back to the port the request really came from, and match the client transaction.
    const { got, statuses, tu } = collector();
    const natted = outbound('OPTIONS', 'nat', { via: `SIP/2.0/UDP 127.0.0.1:9;branch=${newBranch()};rport` });
    a.sendRequest(natted, B, tu);
    await until(() => got.length > 0, 'the 200 through rport');
    expect(statuses()).toEqual([200]);
    expect(seenAtB('nat')[0]!.via).toEqual({ host: '127.0.0.1', port: 9, received: '127.0.0.1', rport: A.port });
    expect(tapB.outbound.filter((o) => o.text.includes(callId('nat'))).map((o) => o.destination)).toEqual([A]);

    // No rport, and the sent-by is our address: no received, and the response goes to the
    // sent-by port, which here belongs to a third socket C.
    const c = udps[2]!;
    const atC: InboundMessage[] = [];
    c.setHandlers({ message: (m) => void atC.push(m) });
    const plain = outbound('OPTIONS', 'sentby', { via: `SIP/2.0/UDP 127.0.0.1:${c.local.port};branch=${newBranch()}` });
    await a.sendStateless(plain, B);
    await until(() => atC.length > 0, 'the 200 at the sent-by port');
    expect(seenAtB('sentby')[0]!.via).toEqual({ host: '127.0.0.1', port: c.local.port, received: undefined, rport: undefined });
    expect(seenAtB('sentby')[0]!.source).toEqual(A);
    const res = atC[0]!.message as SipResponse;
    expect(res.status).toBe(200);
    expect(res.callId).toBe(callId('sentby'));
    expect(atC[0]!.source).toEqual(B);
  });

  it('both layers forget every transaction once their timers end, with nothing unexpected on the way', async () => {
    const t0 = performance.now();
    await until(() => a.counts.client + a.counts.server + b.counts.client + b.counts.server === 0, 'both layers to count zero transactions', LONGEST + 3000);
    const waited = performance.now() - t0;
    expect(a.counts).toEqual({ client: 0, server: 0 });
    expect(b.counts).toEqual({ client: 0, server: 0 });
    expect(clocks.map((c) => c.pendingTimers)).toEqual([0, 0]);
    expect(waited).toBeLessThan(LONGEST + 3000);
    expect(eventsA).toEqual([]);
    expect(eventsB).toEqual([]);
    expect(strayAtA).toEqual([]);
    expect(requestsAtA).toEqual([]);
    // The core saw exactly one request per transaction (retransmissions absorbed), plus the 2xx ACK.
    expect(atB.map((s) => `${s.request.method} ${s.request.callId?.split('-')[0]}`).sort()).toEqual(
      ['ACK accept', 'INVITE accept', 'INVITE busy', 'INVITE cancel', 'OPTIONS nat', 'OPTIONS options', 'OPTIONS sentby'].sort(),
    );
    expect(serverTu.filter((s) => s.what.startsWith('failed'))).toEqual([]);
  }, LONGEST + 5000);
});
