// The UAC side of a call (RFC 3261 §13.2): provisional responses and early dialogs, the ACK for
// every 2xx (also after Timer M), forked 2xx, CANCEL (§9.1) through AbortSignal and `timeout`,
// and rejections.
import { describe, expect, it } from 'vitest';
import { sdpOfferAnswer } from '../../../src/sdp/index.js';
import { DialogEndedError, RequestFailedError, type CancelSignal, type DialogSession } from '../../../src/sip/dialog/index.js';
import { createResponse, type SipRequest, type SipResponse } from '../../../src/sip/parser/index.js';
import { RawPeer } from './raw-peer.js';
import { ALICE, BOB, BOB_URI, drain, errorsOf, labels, layerOf, offerFor, pass, settle, timesOf, until, wire, world } from './ua-harness.js';

const PEER = { address: '10.0.0.3', port: 5060 };
const peerSdp = sdpOfferAnswer({ address: PEER.address, port: 44000 });

/** A raw callee: `script` decides the responses to the first INVITE. */
function rawCallee(w: ReturnType<typeof world>, script: (invite: SipRequest, reply: (status: number, tag?: string, sdp?: boolean) => SipResponse) => void): RawPeer {
  const peer = new RawPeer(w.network, PEER, w.clock);
  let seen = false;
  peer.onMessage = (m, source) => {
    if (!m.isRequest || m.method !== 'INVITE' || seen) return;
    seen = true;
    script(m, (status, tag, sdp) => {
      const res = createResponse(m, status, undefined, {
        ...(tag !== undefined ? { toTag: tag } : {}),
        ...(status > 100 ? { headers: { Contact: `<${peer.uri}>` } } : {}),
        ...(sdp ? { body: peerSdp.createAnswer(m.bodyText, undefined), contentType: 'application/sdp' } : {}),
      });
      peer.send(res, source);
      return res;
    });
  };
  return peer;
}

describe('placing a call', () => {
  it('uses the Call-ID given in the options, so the caller knows it before the INVITE goes out', async () => {
    const w = world();
    let seen: string | undefined;
    rawCallee(w, (invite, reply) => {
      seen = invite.callId;
      reply(200, 'b1', true);
    });
    const session = await until(w.clock, w.alice.invite(`sip:peer@${PEER.address}:${PEER.port}`, { sdp: offerFor(ALICE, 40000), callId: 'chosen-1@example.com' }));
    expect(seen).toBe('chosen-1@example.com');
    expect(session.callId).toBe('chosen-1@example.com');
  });

  it('reports 100, 183 without tag, 180 and 183 with tag through onProgress and the progress event; resolves after the ACK', async () => {
    const w = world();
    rawCallee(w, (_invite, reply) => {
      reply(100);
      reply(183);
      reply(180, 'b1');
      reply(183, 'b1', true);
      w.clock.setTimer(1000, () => reply(200, 'b1', true));
    });
    const progress: Array<[number, string | undefined]> = [];
    const events: number[] = [];
    w.alice.on('progress', (p) => events.push(p.response.status));
    let ackOnWireAtResolve = false;
    const call = w.alice
      .invite(`sip:peer@${PEER.address}:${PEER.port}`, { sdp: offerFor(ALICE, 40000), onProgress: (r) => progress.push([r.status, r.to?.tag]) })
      .then((s) => {
        ackOnWireAtResolve = labels(w.network, ALICE).includes('ACK');
        return s;
      });
    const session = await until(w.clock, call);
    expect(progress).toEqual([[100, undefined], [183, undefined], [180, 'b1'], [183, 'b1']]);
    expect(events).toEqual([100, 183, 180, 183]);
    expect(ackOnWireAtResolve).toBe(true);
    expect(session.state).toBe('confirmed');
    expect(session.role).toBe('uac');
    expect(session.dialog.id.remoteTag).toBe('b1');
    expect(String(session.dialog.remoteTarget)).toBe(`sip:peer@${PEER.address}:${PEER.port}`);
    expect(session.remoteSdp).toContain('c=IN IP4 10.0.0.3');
    // the ACK goes to the Contact of the 2xx, in the dialog, with the INVITE's CSeq number
    const ack = wire(w.network, ALICE).find((r) => r.label === 'ACK')!;
    expect(ack.to).toEqual(PEER);
    expect(ack.message.to?.tag).toBe('b1');
    expect(ack.message.cseq).toMatchObject({ seq: 1, method: 'ACK' });
    expect(errorsOf(w.events.alice)).toEqual([]);
  });

  it('calls bob and is called by bob: both sides hold the same dialog and descriptions', async () => {
    const w = world();
    const answered: DialogSession[] = [];
    w.bob.on('invite', (call) => void call.answer().then((s) => answered.push(s)));
    w.alice.on('invite', (call) => void call.answer().then((s) => answered.push(s)));
    const started: string[] = [];
    w.alice.on('session', (s) => started.push(`alice:${s.role}`));
    w.bob.on('session', (s) => started.push(`bob:${s.role}`));
    const a = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    const b = await until(w.clock, w.bob.invite(`sip:alice@${ALICE.address}`, { sdp: offerFor(BOB, 42000) }));
    await pass(w.clock, 10);
    expect(answered.length).toBe(2);
    const [bobSide, aliceSide] = answered as [DialogSession, DialogSession];
    expect(bobSide.dialog.id).toEqual({ callId: a.callId, localTag: a.dialog.id.remoteTag, remoteTag: a.dialog.id.localTag });
    expect(aliceSide.dialog.id).toEqual({ callId: b.callId, localTag: b.dialog.id.remoteTag, remoteTag: b.dialog.id.localTag });
    expect(a.localSdp).toBe(bobSide.remoteSdp);
    expect(a.remoteSdp).toBe(bobSide.localSdp);
    expect(b.localSdp).toBe(aliceSide.remoteSdp);
    expect(started.sort()).toEqual(['alice:uac', 'alice:uas', 'bob:uac', 'bob:uas']);
    expect(w.alice.activeSessions.length).toBe(2);
    expect(w.bob.activeSessions.length).toBe(2);
  });

  it('once answered, the lingering INVITE transaction keeps the skeleton the call made (the same text), which still reads as the INVITE', async () => {
    const w = world();
    w.bob.on('invite', (call) => void call.answer().catch(() => undefined));
    const a = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    const clients = (layerOf(w.alice) as unknown as { clients: Map<string, unknown> }).clients;
    const invites = [...clients.values()].filter((tx) => (tx as { request: { method: string } }).request.method === 'INVITE');
    expect(invites).toHaveLength(1);
    const tx = invites[0] as { req: unknown; tu: { tu: { call: { current: unknown } } }; request: { callId?: string; header(n: string): string | undefined } };
    // (equal texts: the transaction took the call's, see OutgoingInvite.lingerLight; bench/inproc-uac.ts
    // with LINGER=1 shows the bytes it saves)
    expect(typeof tx.req).toBe('string');
    expect(tx.tu.tu.call.current).toBe(tx.req);
    expect(tx.request.callId).toBe(a.callId);
    expect(tx.request.header('CSeq')).toMatch(/ INVITE$/);
  });

  it('rejects with RequestFailedError carrying the 486', async () => {
    const w = world();
    w.bob.on('invite', (call) => call.reject(486));
    const err = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestFailedError);
    expect(err).toMatchObject({ name: 'RequestFailedError', kind: 'rejected', status: 486, code: 486 });
    expect((err as RequestFailedError).response?.status).toBe(486);
    await pass(w.clock, 10);
    // the transaction ACKed the 486 (RFC 3261 §17.1.1.3)
    expect(labels(w.network)).toEqual(['INVITE', '486 INVITE', 'ACK']);
  });
});

describe('the ACK for every 2xx (RFC 3261 §13.2.2.4)', () => {
  it('re-sends the ACK for each retransmitted 2xx, also after Timer M ended the transaction (stray 2xx)', async () => {
    // alice's T1 is 100 ms, so Timer M ends her INVITE transaction at 6.4 s while bob, with
    // T1 = 500 ms, keeps re-sending the 200 for 32 s; bob never gets an ACK.
    const w = world({ alice: { timers: { t1: 100 } } });
    w.block.bob.in = (m) => m.isRequest && m.method === 'ACK';
    const noAck = new Promise<unknown>((resolve) => w.bob.on('invite', (call) => void call.answer().then(resolve, resolve)));
    const session = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    let clientTransactionsAt7s: number | undefined;
    w.clock.setTimer(7000 - w.clock.now(), () => (clientTransactionsAt7s = layerOf(w.alice).counts.client));
    expect(await settle(w.clock, noAck)).toMatchObject({ name: 'DialogEndedError', reason: 'no-ack' });
    expect(clientTransactionsAt7s).toBe(0); // Timer M had ended alice's INVITE transaction: the later 200s were stray
    await pass(w.clock, 100);
    const oks = timesOf(w.network, '200 INVITE', BOB);
    const acks = timesOf(w.network, 'ACK', ALICE);
    expect(oks).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(acks).toEqual(oks);
    // Each one the same ACK, byte for byte (the session keeps the bytes it sent, not the request).
    const sent = w.network.trace.filter((r) => r.from.port === ALICE.port && r.from.address === ALICE.address && Buffer.from(r.data).toString('latin1').startsWith('ACK '));
    expect(sent).toHaveLength(oks.length);
    expect(new Set(sent.map((r) => Buffer.from(r.data).toString('latin1'))).size).toBe(1);
    expect(w.events.alice.some((e) => e.type === 'stray-2xx')).toBe(false);
    // bob gave up with BYE (no-ack): alice's session ended remote-bye
    expect(session.signal.aborted).toBe(true);
    expect(session.signal.reason).toBeInstanceOf(DialogEndedError);
    expect(session.signal.reason.reason).toBe('remote-bye');
    expect(errorsOf(w.events.alice)).toEqual([]);
    expect(errorsOf(w.events.bob)).toEqual([]);
  });

  it('re-sends the ACK for a 2xx retransmitted after the session ended, while the INVITE transaction is still Accepted', async () => {
    // The call keeps only the ACK for those 64·T1 (RFC 6026), not the ended session.
    const w = world();
    let ok: SipResponse | undefined;
    const peer = rawCallee(w, (_invite, reply) => void (ok = reply(200, 'r1', true)));
    const session = await until(w.clock, w.alice.invite(`sip:peer@${PEER.address}:${PEER.port}`, { sdp: offerFor(ALICE, 40000) }));
    // The peer never answers the BYE; the session is over once it is sent (RFC 3261 §15.1.1).
    void session.bye();
    await pass(w.clock, 10);
    expect(session.signal.aborted).toBe(true);
    for (const wait of [1000, 2000]) {
      await pass(w.clock, wait);
      peer.send(ok!, ALICE);
    }
    await pass(w.clock, 10);
    const acks = w.network.trace.filter((r) => r.from.port === ALICE.port && r.from.address === ALICE.address && Buffer.from(r.data).toString('latin1').startsWith('ACK '));
    expect(acks).toHaveLength(3);
    expect(new Set(acks.map((r) => Buffer.from(r.data).toString('latin1'))).size).toBe(1);
    expect(w.events.alice.some((e) => e.type === 'stray-2xx')).toBe(false);
    expect(errorsOf(w.events.alice)).toEqual([]);
  });

  it('ACKs a second 2xx from another fork, then BYEs it; the first dialog stays up', async () => {
    const w = world();
    const peer = rawCallee(w, (_invite, reply) => {
      reply(180, 'f1');
      reply(180, 'f2');
      reply(200, 'f1', true);
      w.clock.setTimer(100, () => reply(200, 'f2', true));
    });
    const session = await until(w.clock, w.alice.invite(`sip:peer@${PEER.address}:${PEER.port}`, { sdp: offerFor(ALICE, 40000) }));
    await pass(w.clock, 500);
    const acks = peer.requests('ACK').map((r) => r.to?.tag);
    const byes = peer.requests('BYE').map((r) => r.to?.tag);
    expect(acks).toEqual(['f1', 'f2']);
    expect(byes).toEqual(['f2']);
    expect(session.dialog.id.remoteTag).toBe('f1');
    expect(session.state).toBe('confirmed');
    expect(session.signal.aborted).toBe(false);
    expect(w.alice.activeSessions).toEqual([session]);
    // the BYE follows the fork's ACK on the wire
    expect(labels(w.network, ALICE).slice(1)).toEqual(['ACK', 'ACK', 'BYE']);
    await until(w.clock, session.bye());
    expect(peer.requests('BYE').map((r) => r.to?.tag)).toEqual(['f2', 'f1']);
    expect(errorsOf(w.events.alice)).toEqual([]);
  });
});

describe('early dialogs (RFC 3261 §12.1.2, §13.2.2.4)', () => {
  /** A callee that answers the INVITE with a 180 and a 200 whose Contacts it chooses (none: no Contact). */
  function contacts(w: ReturnType<typeof world>, ringing: string | undefined, ok: string | undefined): RawPeer {
    const peer = new RawPeer(w.network, PEER, w.clock);
    peer.onMessage = (m, source) => {
      if (!m.isRequest || m.method !== 'INVITE') return;
      const reply = (status: number, contact: string | undefined, sdp: boolean): void =>
        peer.send(
          createResponse(m, status, undefined, {
            toTag: 'e1',
            ...(contact !== undefined ? { headers: { Contact: contact } } : {}),
            ...(sdp ? { body: peerSdp.createAnswer(m.bodyText, undefined), contentType: 'application/sdp' } : {}),
          }),
          source,
        );
      reply(180, ringing, false);
      reply(200, ok, true);
    };
    return peer;
  }

  it("the 2xx's Contact is the remote target, whatever the 180 said", async () => {
    const w = world();
    const peer = contacts(w, `<sip:ringing@${PEER.address}:${PEER.port}>`, `<sip:answered@${PEER.address}:${PEER.port}>`);
    const session = await until(w.clock, w.alice.invite(`sip:peer@${PEER.address}:${PEER.port}`, { sdp: offerFor(ALICE, 40000) }));
    await until(w.clock, session.bye());
    expect(peer.requests('ACK').map((r) => String(r.uri))).toEqual([`sip:answered@${PEER.address}:${PEER.port}`]);
    expect(peer.requests('BYE').map((r) => String(r.uri))).toEqual([`sip:answered@${PEER.address}:${PEER.port}`]);
    expect(errorsOf(w.events.alice)).toEqual([]);
  });

  it("a 2xx without a Contact keeps its early dialog's remote target (the 180's Contact)", async () => {
    const w = world();
    const peer = contacts(w, `<sip:ringing@${PEER.address}:${PEER.port}>`, undefined);
    const session = await until(w.clock, w.alice.invite(`sip:peer@${PEER.address}:${PEER.port}`, { sdp: offerFor(ALICE, 40000) }));
    await until(w.clock, session.bye());
    expect(peer.requests('BYE').map((r) => String(r.uri))).toEqual([`sip:ringing@${PEER.address}:${PEER.port}`]);
  });

  it('with no Contact in either, the Request-URI of the INVITE', async () => {
    const w = world();
    const peer = contacts(w, undefined, undefined);
    const session = await until(w.clock, w.alice.invite(`sip:peer@${PEER.address}:${PEER.port}`, { sdp: offerFor(ALICE, 40000) }));
    await until(w.clock, session.bye());
    expect(peer.requests('BYE').map((r) => String(r.uri))).toEqual([`sip:peer@${PEER.address}:${PEER.port}`]);
  });
});

describe('counts.retransmissions', () => {
  it('counts the 2xx re-sent until the ACK (RFC 3261 §13.3.1.4) and the ACK re-sent for it (§13.2.2.4), each on its side', async () => {
    const w = world();
    w.bob.on('invite', (call) => void call.answer());
    let lost = 0;
    w.block.alice.out = (m) => m.isRequest && (m as SipRequest).method === 'ACK' && lost++ === 0; // the first ACK is lost
    const session = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    expect(session.state).toBe('confirmed');
    await pass(w.clock, 600); // the 2xx again at 500 ms, and the ACK again for it
    expect(lost).toBe(2);
    expect(w.bob.counts.retransmissions).toBe(1);
    expect(w.alice.counts.retransmissions).toBe(1);
    await pass(w.clock, 5000);
    expect([w.alice.counts.retransmissions, w.bob.counts.retransmissions]).toEqual([1, 1]);
  });
});

describe('giving up: CANCEL (RFC 3261 §9.1)', () => {
  it('aborted after 180: CANCEL, 487, rejects cancelled; the callee sees cancelled', async () => {
    const w = world();
    let callee: AbortSignal | undefined;
    w.bob.on('invite', (call) => {
      callee = call.signal;
      call.ringing();
    });
    const ac = new AbortController();
    const call = w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), signal: ac.signal, onProgress: (r) => r.status === 180 && ac.abort() });
    const err = await until(w.clock, call).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestFailedError', kind: 'cancelled', status: 487 });
    expect((err as RequestFailedError).response?.status).toBe(487);
    expect(callee?.aborted).toBe(true);
    expect(callee?.reason).toMatchObject({ name: 'DialogEndedError', reason: 'cancelled' });
    await pass(w.clock, 10);
    expect(labels(w.network)).toEqual(['INVITE', '180 INVITE', 'CANCEL', '200 CANCEL', '487 INVITE', 'ACK']);
  });

  it('aborted before any provisional: the CANCEL waits for the 100, the promise rejects at once', async () => {
    const w = world();
    let callee: AbortSignal | undefined;
    w.bob.on('invite', (call) => void (callee = call.signal)); // silent: the transaction's 100 comes at 200 ms
    const ac = new AbortController();
    const call = w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), signal: ac.signal });
    call.catch(() => undefined);
    await pass(w.clock, 50);
    ac.abort();
    const err = await until(w.clock, call, 10).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'cancelled', status: 487 });
    expect(labels(w.network)).toEqual(['INVITE']); // no CANCEL before a provisional
    await pass(w.clock, 300);
    expect(timesOf(w.network, 'CANCEL')).toEqual([200]);
    expect(callee?.reason).toMatchObject({ reason: 'cancelled' });
    expect(labels(w.network)).toEqual(['INVITE', '100 INVITE', 'CANCEL', '200 CANCEL', '487 INVITE', 'ACK']);
  });

  it('takes any CancelSignal, not only an AbortSignal: cancels on its abort, and lets go of its listener once settled', async () => {
    /** The smallest CancelSignal: one listener at a time. */
    class Cancel implements CancelSignal {
      aborted = false;
      reason: unknown = undefined;
      listener: (() => void) | undefined;
      addEventListener(_type: 'abort', listener: () => void): void {
        this.listener = listener;
      }
      removeEventListener(_type: 'abort', listener: () => void): void {
        if (this.listener === listener) this.listener = undefined;
      }
      abort(reason: unknown): void {
        this.aborted = true;
        this.reason = reason;
        const fn = this.listener;
        this.listener = undefined;
        fn?.();
      }
    }
    const w = world();
    w.bob.on('invite', (call) => call.ringing());
    const cancel = new Cancel();
    const call = w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), signal: cancel, onProgress: (r) => r.status === 180 && cancel.abort('enough') });
    const err = await until(w.clock, call).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestFailedError', kind: 'cancelled', status: 487 });
    await pass(w.clock, 10);
    expect(labels(w.network)).toEqual(['INVITE', '180 INVITE', 'CANCEL', '200 CANCEL', '487 INVITE', 'ACK']);

    // answered: the listener is removed, so a later abort does nothing
    const w2 = world();
    w2.bob.on('invite', (c) => void c.answer());
    const kept = new Cancel();
    const session = await until(w2.clock, w2.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), signal: kept }));
    expect(kept.listener).toBeUndefined();
    expect(session.state).toBe('confirmed');
  });

  it('an already aborted signal sends nothing', async () => {
    const w = world();
    const err = await w.alice.invite(BOB_URI, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'cancelled', status: 487 });
    await pass(w.clock, 10);
    expect(w.network.trace.length).toBe(0);
  });

  it('timeout: CANCEL after the option runs out, rejects kind timeout', async () => {
    const w = world();
    w.bob.on('invite', (call) => call.ringing());
    const err = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), timeout: 3000 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestFailedError', kind: 'timeout', status: 487 });
    expect(timesOf(w.network, 'CANCEL')).toEqual([3000]);
  });

  it('timeout when the callee never ends the INVITE after our CANCEL: still kind timeout (the §9.1 64·T1 timer)', async () => {
    const w = world();
    const peer = rawCallee(w, (_invite, reply) => void reply(180, 'r1')); // 200s the CANCEL (autoAnswer), never sends 487
    const err = await settle(w.clock, w.alice.invite(`sip:peer@${PEER.address}:${PEER.port}`, { sdp: offerFor(ALICE, 40000), timeout: 1000 })).catch((e: unknown) => e);
    expect(peer.arrivals('CANCEL')).toEqual([1000]);
    expect(err).toMatchObject({ name: 'RequestFailedError', kind: 'timeout', status: 487 });
    expect(w.clock.now()).toBe(1000 + 64 * 500);
  });

  it('aborted while ringing but answered before the CANCEL arrived: the 2xx is ACKed and BYEd, the promise rejects', async () => {
    const w = world({ defaults: { delay: 20 } });
    let answering: Promise<unknown> | undefined;
    w.bob.on('invite', (call) => {
      call.ringing();
      w.clock.setTimer(30, () => (answering = call.answer().catch((e: unknown) => e)));
    });
    const ac = new AbortController();
    // the 180 reaches alice at 20 ms; the 200 leaves bob at 30 ms, before alice's CANCEL (sent at 20) arrives at 40
    const call = w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), signal: ac.signal, onProgress: (r) => r.status === 180 && ac.abort() });
    const err = await settle(w.clock, call, 5000).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestFailedError', kind: 'cancelled' });
    await pass(w.clock, 200);
    expect(labels(w.network, ALICE)).toEqual(['INVITE', 'CANCEL', 'ACK', 'BYE']);
    // bob's answer() resolved on the ACK; the BYE that followed ended his session
    const bobSession = (await answering) as DialogSession;
    expect(bobSession.signal.reason).toMatchObject({ name: 'DialogEndedError', reason: 'remote-bye' });
  });
});

describe('leaks', () => {
  it('a call and its BYE leave no timer and no transaction once the timers ran out', async () => {
    const w = world();
    w.bob.on('invite', (call) => void call.answer());
    const s = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    await until(w.clock, s.bye());
    await drain(w.clock);
    expect(w.clock.pendingTimers).toBe(0);
    expect(layerOf(w.alice).counts).toEqual({ client: 0, server: 0 });
    expect(layerOf(w.bob).counts).toEqual({ client: 0, server: 0 });
  });
});
