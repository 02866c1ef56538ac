// The UAS side of a call (RFC 3261 §13.3): answer() resolving on the ACK, the UAS core's 2xx
// retransmissions (§13.3.1.4) and their end, no ACK → BYE, late offer, early dialogs, CANCEL,
// rejections.
import { describe, expect, it } from 'vitest';
import { parseSdp } from '../../../src/sdp/index.js';
import { type DialogSession, DialogStateError, type IncomingCall } from '../../../src/sip/dialog/index.js';
import { createRequest } from '../../../src/sip/parser/index.js';
import { RawPeer } from './raw-peer.js';
import { ALICE, BOB, BOB_URI, errorsOf, labels, offerFor, pass, settle, timesOf, until, wire, world } from './ua-harness.js';

const isAck = (m: { isRequest: boolean; method?: string }): boolean => m.isRequest && m.method === 'ACK';

/** Bob's DialogSession for a call that has not been ACKed yet (the UA files it under its dialog key). */
function pendingSession(w: ReturnType<typeof world>): DialogSession {
  const dialogs = (w.bob as unknown as { dialogs: Map<string, unknown> }).dialogs;
  return [...dialogs.values()].find((u) => (u as DialogSession).role === 'uas') as DialogSession;
}

describe('answering', () => {
  it('answer() resolves when the ACK arrives, not before', async () => {
    const w = world({ defaults: { delay: 100 } });
    let resolvedAt: number | undefined;
    w.bob.on('invite', (call) => void call.answer().then(() => (resolvedAt = w.clock.now())));
    const session = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    expect(w.clock.now()).toBe(200); // INVITE at 0 → bob at 100 → 200 back at 200
    expect(resolvedAt).toBeUndefined();
    await pass(w.clock, 150);
    expect(resolvedAt).toBe(300);
    expect(timesOf(w.network, '200 INVITE')).toEqual([100]); // no retransmission: the ACK came within T1
    expect(session.state).toBe('confirmed');
  });

  it('re-sends the 2xx at T1, 2T1, 4T1 … capped at T2; with no ACK for 64·T1 sends BYE, rejects no-ack, aborts the session', async () => {
    const w = world();
    w.block.bob.in = isAck;
    let call: IncomingCall | undefined;
    const answered = new Promise<unknown>((resolve) =>
      w.bob.on('invite', (c) => {
        call = c;
        c.answer().then(resolve, resolve);
      }),
    );
    const aliceSession = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    const bobSession = pendingSession(w);
    expect(bobSession.state).toBe('confirmed');
    const outcome = await settle(w.clock, answered);
    expect(outcome).toMatchObject({ name: 'DialogEndedError', reason: 'no-ack' });
    expect(w.clock.now()).toBe(64 * 500);
    expect(timesOf(w.network, '200 INVITE', BOB)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(timesOf(w.network, 'BYE', BOB)).toEqual([32000]);
    expect(bobSession.signal.aborted).toBe(true);
    expect(bobSession.signal.reason).toMatchObject({ name: 'DialogEndedError', reason: 'no-ack' });
    expect(call?.state).toBe('answered');
    await pass(w.clock, 10);
    expect(aliceSession.signal.reason.reason).toBe('remote-bye');
    expect(w.bob.activeSessions).toEqual([]);
    expect(errorsOf(w.events.bob)).toEqual([]);
  });

  it('with other timers the schedule follows them (T1 = 100, T2 = 400)', async () => {
    const w = world({ bob: { timers: { t1: 100, t2: 400 } } });
    w.block.bob.in = isAck;
    const answered = new Promise<unknown>((resolve) => w.bob.on('invite', (c) => void c.answer().then(resolve, resolve)));
    void w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) });
    await settle(w.clock, answered);
    const times = timesOf(w.network, '200 INVITE', BOB);
    expect(times.slice(0, 6)).toEqual([0, 100, 300, 700, 1100, 1500]);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([100, 200, 400, ...Array(14).fill(400)]);
    expect(timesOf(w.network, 'BYE', BOB)).toEqual([6400]);
  });

  it('stops re-sending the 2xx when the ACK finally arrives', async () => {
    const w = world();
    let blocked = 0;
    w.block.bob.in = (m) => isAck(m) && ++blocked <= 3; // the ACKs for the 200s at 0, 500 and 1500 are lost
    let bobSession: DialogSession | undefined;
    w.bob.on('invite', (c) => void c.answer().then((s) => (bobSession = s)));
    await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    await pass(w.clock, 40_000);
    expect(timesOf(w.network, '200 INVITE', BOB)).toEqual([0, 500, 1500, 3500]);
    expect(timesOf(w.network, 'ACK', ALICE)).toEqual([0, 500, 1500, 3500]);
    expect(bobSession?.state).toBe('confirmed');
    expect(w.bob.activeSessions).toEqual([bobSession]);
  });

  it('a BYE before the ACK (the ACK lost) stands for it: answer() resolves, then the session ends remote-bye', async () => {
    const w = world();
    w.block.bob.in = isAck;
    const order: string[] = [];
    // Listeners on the UA's 'session' event (sent as answer() resolves) hear the BYE and the end.
    w.bob.on('session', (s) => {
      order.push(`session:${s.state}`);
      s.on('bye', () => order.push('bye'));
      s.on('ended', (e) => order.push(`ended:${e.reason}`));
    });
    // So does the application that takes the session from answer(): it gets it still up.
    const answered = new Promise<DialogSession>((resolve, reject) =>
      w.bob.on('invite', (c) =>
        void c.answer().then((s) => {
          order.push(`answered:${s.signal.aborted ? 'ended' : 'up'}`);
          s.on('bye', () => order.push('app:bye'));
          s.signal.addEventListener('abort', () => order.push('app:abort'));
          resolve(s);
        }, reject),
      ),
    );
    const session = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) }));
    await pass(w.clock, 600);
    await until(w.clock, session.bye());
    const bobSession = await answered;
    await pass(w.clock, 10);
    expect(order).toEqual(['session:confirmed', 'answered:up', 'bye', 'app:bye', 'app:abort', 'ended:remote-bye']);
    expect(bobSession.signal.reason).toMatchObject({ name: 'DialogEndedError', reason: 'remote-bye' });
    expect(w.bob.activeSessions).toEqual([]);
    await pass(w.clock, 5000);
    expect(timesOf(w.network, '200 INVITE', BOB)).toEqual([0, 500]); // retransmissions stopped with the BYE
    expect(timesOf(w.network, '200 BYE', BOB)).toHaveLength(1);
  });

  it('a BYE before the ACK, late offer: answer() resolves with no remote SDP (the answer was in the lost ACK)', async () => {
    const w = world();
    w.block.bob.in = isAck;
    const answered = new Promise<DialogSession>((resolve, reject) => w.bob.on('invite', (c) => void c.answer().then(resolve, reject)));
    const session = await until(w.clock, w.alice.invite(BOB_URI));
    await pass(w.clock, 100);
    await until(w.clock, session.bye());
    const bobSession = await answered;
    expect(bobSession.remoteSdp).toBeUndefined();
    await pass(w.clock, 10);
    expect(bobSession.signal.reason).toMatchObject({ reason: 'remote-bye' });
  });
});

describe('offer in the 2xx (late offer, RFC 3264 §5)', () => {
  it('INVITE without SDP: bob offers in the 200, alice answers in the ACK; both sides hold the right descriptions', async () => {
    const w = world();
    let bobSession: DialogSession | undefined;
    w.bob.on('invite', (c) => {
      expect(c.remoteSdp).toBeUndefined();
      void c.answer().then((s) => (bobSession = s));
    });
    const alice = await until(w.clock, w.alice.invite(BOB_URI));
    await pass(w.clock, 10);
    const invite = wire(w.network).find((r) => r.label === 'INVITE')!.message;
    const ok = wire(w.network).find((r) => r.label === '200 INVITE')!.message;
    const ack = wire(w.network).find((r) => r.label === 'ACK')!.message;
    expect(invite.body.byteLength).toBe(0);
    expect(ok.contentType).toBe('application/sdp');
    expect(ack.contentType).toBe('application/sdp');
    expect(alice.remoteSdp).toBe(ok.bodyText);
    expect(alice.localSdp).toBe(ack.bodyText);
    expect(bobSession?.localSdp).toBe(ok.bodyText);
    expect(bobSession?.remoteSdp).toBe(ack.bodyText);
    expect(parseSdp(alice.localSdp!).media[0]?.port).toBe(40000);
    expect(parseSdp(alice.remoteSdp!).media[0]?.port).toBe(42000);
  });
});

describe('CANCEL and rejection', () => {
  it('a cancelled call cannot be answered; its state and signal say cancelled', async () => {
    const w = world();
    let call: IncomingCall | undefined;
    w.bob.on('invite', (c) => {
      call = c;
      c.ringing();
    });
    const ac = new AbortController();
    const p = w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), signal: ac.signal, onProgress: () => ac.abort() });
    await until(w.clock, p).catch(() => undefined);
    expect(call?.state).toBe('cancelled');
    expect(call?.signal.reason).toMatchObject({ name: 'DialogEndedError', reason: 'cancelled' });
    await expect(call!.answer()).rejects.toBeInstanceOf(DialogStateError);
    expect(() => call!.reject()).toThrow(DialogStateError);
  });

  it('onEnd() tells the end of an unanswered call with the reason its signal gives; removed, answered or too late, it says nothing', async () => {
    const w = world();
    const heard: string[] = [];
    let call: IncomingCall | undefined;
    w.bob.on('invite', (c) => {
      call = c;
      c.onEnd((e) => heard.push(`first:${e.reason}`));
      const remove = c.onEnd(() => heard.push('removed'));
      c.onEnd((e) => heard.push(`third:${e.reason}`));
      remove();
      remove();
      c.ringing();
    });
    const ac = new AbortController();
    await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), signal: ac.signal, onProgress: () => ac.abort() })).catch(() => undefined);
    expect(heard).toEqual(['first:cancelled', 'third:cancelled']);
    // Its signal, read only now, is made aborted, with the same reason.
    expect(call?.signal.aborted).toBe(true);
    expect(call?.signal.reason).toMatchObject({ name: 'DialogEndedError', reason: 'cancelled' });
    call!.onEnd(() => heard.push('late'));
    expect(heard).toHaveLength(2);

    // An answered call never ends unanswered: its listener is not called, not even when the session ends.
    const answered: string[] = [];
    let bobSession: DialogSession | undefined;
    w.bob.on('invite', (c) => {
      c.onEnd(() => answered.push('unanswered end'));
      void c.answer().then((s) => (bobSession = s));
    });
    const aliceSession = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40002) }));
    await pass(w.clock, 10);
    await until(w.clock, aliceSession.bye());
    await pass(w.clock, 10);
    expect(bobSession?.state).toBe('terminated');
    expect(answered).toEqual([]);
  });

  it('reject() sends the status with our tag, aborts the signal (rejected) and checks its range', async () => {
    const w = world();
    let call: IncomingCall | undefined;
    w.bob.on('invite', (c) => {
      call = c;
      expect(() => c.reject(200)).toThrow(RangeError);
      c.reject(603, 'Decline');
    });
    const err = await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rejected', status: 603, reason: 'Decline' });
    expect(call?.state).toBe('rejected');
    expect(call?.signal.reason.reason).toBe('rejected');
    const res = wire(w.network).find((r) => r.label === '603 INVITE')!.message;
    expect(res.to?.tag).toBe(call?.localTag);
  });

  it('an offer with no codec in common is answered 488 and answer() rejects', async () => {
    const w = world();
    let outcome: unknown;
    w.bob.on('invite', (c) => void c.answer().catch((e: unknown) => (outcome = e)));
    const g729 = offerFor(ALICE, 40000).replace(/m=audio (\d+) RTP\/AVP .*/, 'm=audio $1 RTP/AVP 18').replace(/a=rtpmap:(?!18).*\r\n/g, '');
    const err = await until(w.clock, w.alice.invite(BOB_URI, { sdp: g729 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'rejected', status: 488 });
    expect(outcome).toBeInstanceOf(Error);
  });

  it('answer() without SDP and without an offerAnswer handler rejects with a TypeError', async () => {
    const w = world({ bob: { offerAnswer: undefined } });
    let outcome: unknown;
    w.bob.on('invite', (c) => {
      void c.answer().catch((e: unknown) => (outcome = e));
      c.reject(500);
    });
    await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000) })).catch(() => undefined);
    expect(outcome).toBeInstanceOf(TypeError);
  });
});

describe('Record-Route in the responses that set up the dialog (RFC 3261 §12.1.1)', () => {
  it('the 180 and the 200 carry every Record-Route of the INVITE, in order; the dialog routes through them', async () => {
    const w = world();
    const peer = new RawPeer(w.network, { address: '10.0.0.3', port: 5060 }, w.clock);
    let session: DialogSession | undefined;
    w.bob.on('invite', (c) => {
      c.ringing();
      void c.answer().then((s) => (session = s));
    });
    const invite = peer.request({ method: 'INVITE', uri: BOB_URI, callId: 'rr-1', body: offerFor(ALICE, 40000) });
    invite.addHeader('Record-Route', '<sip:p1.example.com;lr>');
    invite.addHeader('Record-Route', '<sip:p2.example.com;lr>');
    peer.send(invite, BOB);
    await pass(w.clock, 10);
    const answers = peer.responses('INVITE').filter((r) => r.status === 180 || r.status === 200);
    expect(answers.map((r) => r.status)).toEqual([180, 200]);
    for (const r of answers) expect(r.headers('Record-Route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    const ok = answers[1]!;
    peer.send(createRequest({ method: 'ACK', uri: BOB_URI, via: String(invite.vias[0]), from: String(invite.from), to: String(ok.to), callId: 'rr-1', cseq: 1 }), BOB);
    await pass(w.clock, 10);
    expect(session?.dialog.routeSet.map(String)).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
  });

  it('a 486 carries none (it sets up no dialog)', async () => {
    const w = world();
    const peer = new RawPeer(w.network, { address: '10.0.0.3', port: 5060 }, w.clock);
    w.bob.on('invite', (c) => c.reject(486));
    const invite = peer.request({ method: 'INVITE', uri: BOB_URI, callId: 'rr-2', body: offerFor(ALICE, 40000) });
    invite.addHeader('Record-Route', '<sip:p1.example.com;lr>');
    peer.send(invite, BOB);
    await pass(w.clock, 10);
    expect(peer.responses('INVITE').map((r) => [r.status, r.headers('Record-Route')])).toEqual([[486, []]]);
  });
});

describe('early dialog (RFC 3261 §12.1.1, §15.1.2)', () => {
  it('a BYE on the early dialog gets 200, the INVITE 487, and the call ends remote-bye', async () => {
    const w = world();
    const peer = new RawPeer(w.network, { address: '10.0.0.3', port: 5060 }, w.clock);
    let call: IncomingCall | undefined;
    w.bob.on('invite', (c) => {
      call = c;
      c.ringing();
    });
    const invite = peer.request({ method: 'INVITE', uri: BOB_URI, callId: 'early-1', body: offerFor(ALICE, 40000) });
    peer.send(invite, BOB);
    await pass(w.clock, 10);
    const ringing = peer.responses('INVITE').find((r) => r.status === 180)!;
    expect(ringing.to?.tag).toBe(call?.localTag);
    expect(ringing.header('Contact')).toBe(`<sip:bob@${BOB.address}:${BOB.port}>`);
    // OPTIONS inside the early dialog is answered; then BYE ends it
    const to = String(ringing.to);
    peer.send(peer.request({ method: 'OPTIONS', uri: BOB_URI, callId: 'early-1', cseq: 2, to }), BOB);
    peer.send(peer.request({ method: 'BYE', uri: BOB_URI, callId: 'early-1', cseq: 3, to }), BOB);
    await pass(w.clock, 10);
    expect(peer.responses('OPTIONS').map((r) => r.status)).toEqual([200]);
    expect(peer.responses('BYE').map((r) => r.status)).toEqual([200]);
    expect(peer.responses('INVITE').map((r) => r.status)).toEqual([180, 487]);
    expect(call?.state).toBe('cancelled');
    expect(call?.signal.reason).toMatchObject({ reason: 'remote-bye' });
    // a second BYE finds no dialog any more
    peer.send(peer.request({ method: 'BYE', uri: BOB_URI, callId: 'early-1', cseq: 4, to }), BOB);
    await pass(w.clock, 10);
    expect(peer.responses('BYE').map((r) => r.status)).toEqual([200, 481]);
    // ACK the 487 so the transaction rests
    peer.send(createRequest({ method: 'ACK', uri: BOB_URI, via: String(invite.vias[0]), from: String(invite.from), to, callId: 'early-1', cseq: 1 }), BOB);
    await pass(w.clock, 2000);
    expect(peer.responses('INVITE').map((r) => r.status)).toEqual([180, 487]);
    expect(labels(w.network, BOB).filter((l) => l === '487 INVITE').length).toBe(1);
  });

  it('183 with early media SDP carries the description and the same tag as the 200', async () => {
    const w = world();
    w.bob.on('invite', (c) => {
      c.progress(offerFor(BOB, 42000));
      w.clock.setTimer(500, () => void c.answer());
    });
    const seen: Array<{ status: number; sdp: boolean; tag: string | undefined }> = [];
    await until(w.clock, w.alice.invite(BOB_URI, { sdp: offerFor(ALICE, 40000), onProgress: (r) => seen.push({ status: r.status, sdp: r.body.byteLength > 0, tag: r.to?.tag }) }));
    const ok = wire(w.network).find((r) => r.label === '200 INVITE')!.message;
    expect(seen).toEqual([{ status: 183, sdp: true, tag: ok.to?.tag }]);
  });
});
