// Flood limits (issue 17): a user agent bounds the transactions and calls it keeps. Beyond a
// bound a new INVITE gets 503 Service Unavailable with Retry-After (RFC 3261 §21.5.4) — beyond
// maxTransactions statelessly, with no transaction kept — and what is already running goes on.
import { describe, expect, it } from 'vitest';
import type { IncomingCall } from '../../../src/sip/dialog/index.js';
import { UserAgent } from '../../../src/sip/dialog/index.js';
import type { Endpoint } from '../../../src/sip/transport/transport.js';
import { RawPeer } from './raw-peer.js';
import { BOB, BOB_URI, offerFor, pass, world } from './ua-harness.js';

const PEER: Endpoint = { address: '10.0.0.9', port: 5060 };

/** Bob with these limits, ringing every call he takes (kept in `calls`), and a raw peer to call him. */
function ringingBob(limits: { maxTransactions?: number; maxDialogs?: number; retryAfterS?: number }) {
  const w = world({ bob: { limits } });
  const calls: IncomingCall[] = [];
  w.bob.on('invite', (call) => {
    calls.push(call);
    call.ringing();
  });
  return { w, calls, peer: new RawPeer(w.network, PEER, w.clock) };
}

describe('maxDialogs', () => {
  it('beyond maxDialogs calls at once a new INVITE gets 503 with Retry-After; the calls under way are answered and end normally', async () => {
    const { w, calls, peer } = ringingBob({ maxDialogs: 3, retryAfterS: 7 });
    const invites = [1, 2, 3, 4, 5].map((n) => peer.request({ method: 'INVITE', uri: BOB_URI, callId: `flood-${n}`, fromTag: `f${n}`, body: offerFor(PEER, 4000 + 2 * n) }));
    for (const invite of invites) peer.send(invite, BOB);
    await pass(w.clock, 10);
    expect(calls.map((c) => c.callId)).toEqual(['flood-1', 'flood-2', 'flood-3']);
    const finals = peer.responses('INVITE').filter((r) => r.status >= 200);
    expect(finals.map((r) => `${r.callId} ${r.status}`)).toEqual(['flood-4 503', 'flood-5 503']);
    expect(finals.map((r) => r.header('Retry-After'))).toEqual(['7', '7']);
    expect(finals.every((r) => r.to?.tag !== undefined)).toBe(true);
    expect(w.events.bob.filter((e) => e.type === 'overload').map((e) => e.type === 'overload' && [e.limit, e.live])).toEqual([
      ['dialogs', 3],
      ['dialogs', 3],
    ]);
    expect(w.bob.counts).toMatchObject({ incoming: 3 });

    // The three accepted calls are answered; one ends, and the limit has room for a new call.
    for (const call of calls) void call.answer();
    await pass(w.clock, 10);
    const oks = peer.responses('INVITE').filter((r) => r.status === 200);
    expect(oks.map((r) => r.callId)).toEqual(['flood-1', 'flood-2', 'flood-3']);
    for (const ok of oks) peer.send(peer.request({ method: 'ACK', uri: BOB_URI, callId: ok.callId!, fromTag: ok.from!.tag!, to: String(ok.to), cseq: 1 }), BOB);
    await pass(w.clock, 10);
    expect(w.bob.counts).toMatchObject({ sessions: 3, incoming: 0 });
    peer.send(peer.request({ method: 'BYE', uri: BOB_URI, callId: 'flood-1', fromTag: 'f1', to: String(oks[0]!.to), cseq: 2 }), BOB);
    await pass(w.clock, 10);
    expect(peer.responses('BYE').map((r) => r.status)).toEqual([200]);
    peer.send(peer.request({ method: 'INVITE', uri: BOB_URI, callId: 'flood-6', fromTag: 'f6', body: offerFor(PEER, 4100) }), BOB);
    await pass(w.clock, 10);
    expect(calls.map((c) => c.callId)).toContain('flood-6');
    expect(w.bob.counts).toMatchObject({ sessions: 2, incoming: 1 });
  });

  it('rejects a maxDialogs that is not a whole number ≥ 0', () => {
    expect(() => new UserAgent({ bind: { host: '127.0.0.1', port: 0 }, identity: { user: 'x' }, limits: { maxDialogs: -1 } })).toThrow(RangeError);
  });
});

describe('maxTransactions', () => {
  it('at the limit the oldest lingering transactions are ended to make room, and new requests are taken', async () => {
    const { w, calls, peer } = ringingBob({ maxTransactions: 4 });
    // Three answered OPTIONS linger (Completed, 64·T1) and a ringing INVITE is at work: the table is full.
    const options = [0, 1, 2].map((n) => peer.request({ method: 'OPTIONS', uri: BOB_URI, callId: `opt-${n}` }));
    for (const o of options) peer.send(o, BOB);
    peer.send(peer.request({ method: 'INVITE', uri: BOB_URI, callId: 'call-1', fromTag: 'c1', body: offerFor(PEER, 4000) }), BOB);
    await pass(w.clock, 10);
    expect(w.bob.counts.transactions.server).toBe(4);
    peer.send(peer.request({ method: 'INVITE', uri: BOB_URI, callId: 'call-2', fromTag: 'c2', body: offerFor(PEER, 4002) }), BOB);
    await pass(w.clock, 10);
    peer.send(peer.request({ method: 'OPTIONS', uri: BOB_URI, callId: 'opt-9' }), BOB);
    await pass(w.clock, 10);
    // No 503: each time the oldest lingering OPTIONS made room (down to 98 % of 4, so one each).
    expect(peer.responses().filter((r) => r.status === 503)).toEqual([]);
    expect(calls.map((c) => c.callId)).toEqual(['call-1', 'call-2']);
    expect(peer.responses('OPTIONS').map((r) => `${r.callId} ${r.status}`)).toEqual(['opt-0 200', 'opt-1 200', 'opt-2 200', 'opt-9 200']);
    expect(w.events.bob.filter((e) => e.type === 'retired').map((e) => e.type === 'retired' && [e.count, e.live])).toEqual([
      [1, 3],
      [1, 3],
    ]);
    expect(w.events.bob.some((e) => e.type === 'overload')).toBe(false);
    expect(w.bob.counts.transactions.server).toBe(4);
    // The one still lingering still answers a retransmission with its 200; the INVITEs at work were not touched.
    const retransmissions = w.bob.counts.retransmissions;
    peer.send(options[2]!, BOB);
    await pass(w.clock, 10);
    expect(peer.responses('OPTIONS').map((r) => `${r.callId} ${r.status}`).at(-1)).toBe('opt-2 200');
    expect(w.bob.counts.retransmissions).toBe(retransmissions + 1);
    expect(calls.map((c) => c.state)).toEqual(['pending', 'pending']);
  });

  it('with every transaction at work a new request gets a stateless 503 (no transaction kept), a request in a dialog is still taken', async () => {
    const { w, calls, peer } = ringingBob({ maxTransactions: 4 });
    // Four ringing INVITEs: four transactions at work, none lingering.
    for (let n = 1; n <= 4; n++) peer.send(peer.request({ method: 'INVITE', uri: BOB_URI, callId: `call-${n}`, fromTag: `c${n}`, body: offerFor(PEER, 4000 + 2 * n) }), BOB);
    await pass(w.clock, 10);
    expect(w.bob.counts.transactions.server).toBe(4);
    peer.send(peer.request({ method: 'INVITE', uri: BOB_URI, callId: 'call-5', fromTag: 'c5', body: offerFor(PEER, 4010) }), BOB);
    peer.send(peer.request({ method: 'OPTIONS', uri: BOB_URI, callId: 'opt-9' }), BOB);
    await pass(w.clock, 10);
    const refused = peer.responses().filter((r) => r.status === 503);
    expect(refused.map((r) => `${r.cseq?.method} ${r.callId} ${r.header('Retry-After')}`)).toEqual(['INVITE call-5 5', 'OPTIONS opt-9 5']);
    expect(w.bob.counts.transactions.server).toBe(4);
    expect(calls.map((c) => c.callId)).toEqual(['call-1', 'call-2', 'call-3', 'call-4']);
    expect(w.events.bob.some((e) => e.type === 'retired')).toBe(false);
    // A call under way is answered and ended: its ACK and BYE are still taken.
    void calls[0]!.answer();
    await pass(w.clock, 10);
    const ok = peer.responses('INVITE').find((r) => r.status === 200)!;
    peer.send(peer.request({ method: 'ACK', uri: BOB_URI, callId: 'call-1', fromTag: 'c1', to: String(ok.to), cseq: 1 }), BOB);
    peer.send(peer.request({ method: 'BYE', uri: BOB_URI, callId: 'call-1', fromTag: 'c1', to: String(ok.to), cseq: 2 }), BOB);
    await pass(w.clock, 10);
    expect(peer.responses('BYE').map((r) => r.status)).toEqual([200]);
    expect(w.bob.counts.sessions).toBe(0);
    // Its INVITE's transaction (Accepted, ACKed) and its BYE's (Completed) now only linger: a second
    // later (the layer does not look again sooner after a look that found no room), they make room.
    await pass(w.clock, 1000, 100);
    peer.send(peer.request({ method: 'OPTIONS', uri: BOB_URI, callId: 'opt-10' }), BOB);
    await pass(w.clock, 10);
    expect(peer.responses('OPTIONS').at(-1)?.status).toBe(200);
    expect(w.events.bob.filter((e) => e.type === 'retired').map((e) => e.type === 'retired' && [e.count, e.live])).toEqual([[2, 3]]);
    // Once the transactions have ended, the table is empty.
    for (const call of calls.slice(1)) call.reject(486);
    await pass(w.clock, 40_000, 1000);
    expect(w.bob.counts.transactions).toEqual({ client: 0, server: 0 });
  });
});
