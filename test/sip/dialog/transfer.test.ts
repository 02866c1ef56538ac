// REFER/NOTIFY (RFC 3515) and Replaces (RFC 3891) with three user agents on the MemoryNetwork:
// blind and attended transfer, a failed target, NOTIFY overtaking the 202, and the UAS rules for
// INVITEs with Replaces.
import { describe, expect, it } from 'vitest';
import { sdpOfferAnswer } from '../../../src/sdp/index.js';
import { type DialogSession, type IncomingCall, type ReferProgress, UserAgent, type UserAgentEvent } from '../../../src/sip/dialog/index.js';
import type { SipRequest, SipResponse } from '../../../src/sip/parser/index.js';
import { VirtualClock } from '../../../src/sip/transport/clock.js';
import { MemoryNetwork } from '../../../src/sip/transport/memory-network.js';
import type { Endpoint } from '../../../src/sip/transport/transport.js';
import { errorsOf, FilterTransport, pass, settle } from './ua-harness.js';
import { RawPeer } from './raw-peer.js';

const A: Endpoint = { address: '10.0.1.1', port: 5060 };
const B: Endpoint = { address: '10.0.1.2', port: 5060 };
const C: Endpoint = { address: '10.0.1.3', port: 5060 };
const uri = (user: string, at: Endpoint): string => `sip:${user}@${at.address}:${at.port}`;

interface Party {
  ua: UserAgent;
  transport: FilterTransport;
  events: UserAgentEvent[];
  /** Calls that arrived, in order. */
  calls: IncomingCall[];
  /** Answers incoming calls (default true). */
  answer: boolean | number;
}

function trio(): { clock: VirtualClock; network: MemoryNetwork; a: Party; b: Party; c: Party } {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ clock, seed: 7 });
  const party = (user: string, at: Endpoint, port: number): Party => {
    const transport = new FilterTransport(network.transport(at));
    const ua = new UserAgent({ transport, identity: { user }, clock, random: () => 0.5, offerAnswer: sdpOfferAnswer({ address: at.address, port }) });
    const p: Party = { ua, transport, events: [], calls: [], answer: true };
    ua.on('event', (e) => p.events.push(e));
    ua.on('invite', (call) => {
      p.calls.push(call);
      call.ringing();
      if (p.answer === true) call.answer().catch(() => undefined);
      else if (typeof p.answer === 'number') call.reject(p.answer);
    });
    return p;
  };
  return { clock, network, a: party('alice', A, 40000), b: party('bob', B, 42000), c: party('carol', C, 44000) };
}

/** `from` calls `to`; resolves with both ends. */
async function call(clock: VirtualClock, from: Party, to: Party, target: string): Promise<[DialogSession, DialogSession]> {
  const before = to.ua.activeSessions.length;
  const caller = await settle(clock, from.ua.invite(target, { sdp: sdpOfferAnswer({ address: '10.9.9.9', port: 30000 }).createOffer(undefined) }));
  await pass(clock, 50);
  const callee = to.ua.activeSessions.find((s) => s.callId === caller.callId);
  expect(callee, `callee session (had ${before})`).toBeDefined();
  return [caller, callee!];
}

const statuses = (p: readonly ReferProgress[]): number[] => p.map((x) => x.status);

describe('blind transfer (RFC 3515, RFC 5589 §6)', () => {
  it('A refers B to C: B calls C with Referred-By, A sees NOTIFY 100 then 200 and hangs up', async () => {
    const { clock, a, b, c } = trio();
    const [ab, ba] = await call(clock, a, b, uri('bob', B));
    const refers: string[] = [];
    ba.on('refer', (refer) => {
      refers.push(String(refer.target));
      refer.accept().catch(() => undefined);
    });
    const outcome = await settle(clock, ab.transfer(uri('carol', C)));
    expect(refers).toEqual([uri('carol', C)]);
    expect(outcome).toEqual({ status: 200, reason: 'OK', cause: 'notify' });
    await pass(clock, 100);
    // B's new call reached C, with Referred-By naming A (RFC 3892, copied from the REFER).
    expect(c.calls).toHaveLength(1);
    expect(c.calls[0]!.request.header('Referred-By')).toBe(`<sip:alice@${A.address}>`);
    expect(c.calls[0]!.from?.uri.toString()).toContain('sip:bob@');
    const bc = b.ua.activeSessions.find((s) => s.callId !== ba.callId);
    expect(bc?.state).toBe('confirmed');
    // transfer() hung up A's call after the 200 NOTIFY; B's call with A is over.
    expect(ab.signal.reason.reason).toBe('local-bye');
    expect(ba.signal.reason.reason).toBe('remote-bye');
    for (const p of [a, b, c]) expect(errorsOf(p.events)).toEqual([]);
  });

  it('reports every NOTIFY in order with its subscription state', async () => {
    const { clock, a, b } = trio();
    const [ab, ba] = await call(clock, a, b, uri('bob', B));
    ba.on('refer', (refer) => void refer.accept().catch(() => undefined));
    const seen: ReferProgress[] = [];
    const sub = await settle(clock, ab.refer(uri('carol', C), { onNotify: (p) => seen.push(p) }));
    const outcome = await settle(clock, sub.done);
    expect(statuses(sub.progress)).toEqual([100, 180, 200]);
    expect(sub.progress.map((p) => p.state)).toEqual(['active', 'active', 'terminated']);
    expect(seen).toEqual(sub.progress);
    expect(outcome.cause).toBe('notify');
    // Every NOTIFY named the subscription: Event: refer;id=<the REFER's CSeq> (RFC 3515 §2.4.6).
    for (const p of sub.progress) expect(p.request.header('Event')).toBe(`refer;id=${sub.request.cseq!.seq}`);
    expect(sub.progress[0]!.request.contentType).toBe('message/sipfrag;version=2.0');
    // A's call with B is still up: refer() alone does not hang up.
    expect(ab.state).toBe('confirmed');
  });

  it('reports a failed target in the final NOTIFY, and transfer() keeps the call', async () => {
    const { clock, a, b, c } = trio();
    c.answer = 486;
    const [ab, ba] = await call(clock, a, b, uri('bob', B));
    let newCall: Promise<unknown> | undefined;
    ba.on('refer', (refer) => {
      newCall = refer.accept();
      newCall.catch(() => undefined);
    });
    const outcome = await settle(clock, ab.transfer(uri('carol', C)));
    expect(outcome.status).toBe(486);
    expect(outcome.cause).toBe('notify');
    await expect(newCall).rejects.toMatchObject({ name: 'RequestFailedError', status: 486 });
    expect(ab.state).toBe('confirmed');
    expect(ba.state).toBe('confirmed');
  });

  it('keeps a NOTIFY that overtakes the 202 (the 202 is lost once)', async () => {
    const { clock, a, b } = trio();
    const [ab, ba] = await call(clock, a, b, uri('bob', B));
    ba.on('refer', (refer) => void refer.accept().catch(() => undefined));
    let dropped = 0;
    b.transport.block.out = (m) => !m.isRequest && (m as SipResponse).status === 202 && dropped++ === 0;
    const early: ReferProgress[] = [];
    let resolved = false;
    const pending = ab.refer(uri('carol', C), { onNotify: (p) => early.push(p) });
    void pending.then(() => (resolved = true));
    await pass(clock, 100);
    // Every NOTIFY (the whole transfer, on this instant network) arrived before the 202 did.
    expect(resolved).toBe(false);
    expect(statuses(early)).toEqual([100, 180, 200]);
    const sub = await settle(clock, pending); // the REFER retransmission at 500 ms gets the 202 again
    expect(dropped).toBe(2);
    expect(statuses(sub.progress)).toEqual([100, 180, 200]);
    expect(sub.state).toBe('terminated');
    expect(await settle(clock, sub.done)).toEqual({ status: 200, reason: 'OK', cause: 'notify' });
  });

  it('a REFER that arrives before our ACK reaches the listener the callee attaches on answer()', async () => {
    const { clock, a, b } = trio();
    // A calls B; A's first ACK is lost, and A sends REFER at once: B still waits for the ACK.
    let drops = 0;
    a.transport.block.out = (m) => m.isRequest && m.method === 'ACK' && drops++ === 0;
    const caller = settle(clock, a.ua.invite(uri('bob', B), { sdp: sdpOfferAnswer({ address: '10.9.9.9', port: 30000 }).createOffer(undefined) }));
    const ab = await caller;
    const targets: string[] = [];
    b.ua.on('session', (session) => session.on('refer', (refer) => {
      targets.push(String(refer.target));
      refer.accept().catch(() => undefined);
    }));
    const sub = await settle(clock, ab.refer(uri('carol', C)));
    expect(targets).toEqual([uri('carol', C)]);
    expect(drops).toBeGreaterThanOrEqual(1);
    expect((await settle(clock, sub.done)).status).toBe(200);
  });

  it('a referrer that hangs up right after the 202 ends the subscription quietly (RFC 6665 §4.2.2)', async () => {
    const { clock, a, b } = trio();
    const [ab, ba] = await call(clock, a, b, uri('bob', B));
    ba.on('refer', (refer) => void refer.accept().catch(() => undefined));
    await settle(clock, ab.refer(uri('carol', C)));
    await settle(clock, ab.bye());
    await pass(clock, 35_000, 100);
    expect(errorsOf(b.events)).toEqual([]);
    expect(errorsOf(a.events)).toEqual([]);
  });

  it('a NOTIFY answered 481 (the referrer stopped following) ends the subscription, not the call (RFC 5057 §5.1)', async () => {
    const { clock, a, b, c } = trio();
    const [ab, ba] = await call(clock, a, b, uri('bob', B));
    // Carol rings for a second, then is busy: Bob's final NOTIFY comes after Alice stopped following.
    c.answer = false;
    c.ua.on('invite', (incoming) => void clock.setTimer(1000, () => incoming.reject(486)));
    ba.on('refer', (refer) => void refer.accept().catch(() => undefined));
    const sub = await settle(clock, ab.refer(uri('carol', C), { timeout: 200 }));
    await pass(clock, 3000, 100);
    expect((await sub.done).cause).toBe('timeout');
    // Alice answered the late NOTIFY 481; the call between Alice and Bob goes on.
    expect(ba.signal.aborted).toBe(false);
    expect(ab.signal.aborted).toBe(false);
    const bye = await settle(clock, ab.bye());
    expect(bye?.status).toBe(200);
    expect(ba.signal.reason).toMatchObject({ reason: 'remote-bye' });
  });

  it('a REFER without a listener is declined (603); one without Refer-To is a 400', async () => {
    const { clock, a, b } = trio();
    const [ab] = await call(clock, a, b, uri('bob', B));
    await expect(settle(clock, ab.refer(uri('carol', C)))).rejects.toMatchObject({ status: 603, kind: 'rejected' });
    await expect(settle(clock, ab.request('REFER'))).rejects.toMatchObject({ status: 400 });
  });
});

describe('attended transfer with Replaces (RFC 3891, RFC 5589 §7)', () => {
  it("A refers B to C replacing A–C: C's dialog with A is replaced by one with B; both of A's calls end", async () => {
    const { clock, a, b, c } = trio();
    const [ab, ba] = await call(clock, a, b, uri('bob', B));
    const [ac, ca] = await call(clock, a, c, uri('carol', C));
    ba.on('refer', (refer) => {
      expect(refer.replaces).toEqual({ callId: ac.callId, toTag: ac.dialog.id.remoteTag, fromTag: ac.dialog.id.localTag, earlyOnly: false });
      void refer.accept().catch(() => undefined);
    });
    const outcome = await settle(clock, ab.transfer(uri('carol', C), { replaces: ac }));
    expect(outcome.status).toBe(200);
    await pass(clock, 200);
    // C got an INVITE with Replaces naming its dialog with A, flagged as replacing it.
    const replacing = c.calls.at(-1)!;
    expect(replacing.request.header('Replaces')).toBe(`${ac.callId};to-tag=${ca.dialog.id.localTag};from-tag=${ca.dialog.id.remoteTag}`);
    expect(replacing.replaces).toBe(ca);
    // C's old dialog ended when the new one was confirmed; A saw C's BYE; A hung up B itself.
    expect(ca.signal.reason.reason).toBe('replaced');
    expect(ac.signal.reason.reason).toBe('remote-bye');
    expect(ab.signal.reason.reason).toBe('local-bye');
    const bc = b.ua.activeSessions.find((s) => s.callId !== ba.callId)!;
    const cb = c.ua.activeSessions.find((s) => s.callId === bc.callId);
    expect(cb?.state).toBe('confirmed');
    expect(a.ua.activeSessions).toEqual([]);
    for (const p of [a, b, c]) expect(errorsOf(p.events)).toEqual([]);
  });
});

describe('INVITE with Replaces at the UAS (RFC 3891 §3)', () => {
  async function setup(): Promise<{ clock: VirtualClock; network: MemoryNetwork; a: Party; c: Party; ac: DialogSession; ca: DialogSession; peer: RawPeer }> {
    const t = trio();
    const [ac, ca] = await call(t.clock, t.a, t.c, uri('carol', C));
    const peer = new RawPeer(t.network, { address: '10.0.1.9', port: 5060 }, t.clock);
    return { clock: t.clock, network: t.network, a: t.a, c: t.c, ac, ca, peer };
  }

  async function inviteWith(ctx: { clock: VirtualClock; peer: RawPeer }, replaces: string): Promise<number> {
    const invite: SipRequest = ctx.peer.request({ method: 'INVITE', uri: uri('carol', C), headers: { Replaces: replaces, Require: 'replaces' } });
    ctx.peer.send(invite, C);
    await pass(ctx.clock, 300);
    const finals = ctx.peer.responses('INVITE').filter((r) => r.status >= 200 && r.callId === invite.callId);
    return finals.at(-1)?.status ?? 0;
  }

  it('481 when no dialog matches, and for tags the wrong way round', async () => {
    const ctx = await setup();
    expect(await inviteWith(ctx, 'nope@x;to-tag=1;from-tag=2')).toBe(481);
    expect(await inviteWith(ctx, `${ctx.ca.callId};to-tag=${ctx.ca.dialog.id.remoteTag};from-tag=${ctx.ca.dialog.id.localTag}`)).toBe(481);
  });

  it('486 for early-only against a confirmed dialog; 400 for a malformed Replaces', async () => {
    const ctx = await setup();
    expect(await inviteWith(ctx, `${ctx.ca.callId};to-tag=${ctx.ca.dialog.id.localTag};from-tag=${ctx.ca.dialog.id.remoteTag};early-only`)).toBe(486);
    expect(await inviteWith(ctx, `${ctx.ca.callId};to-tag=${ctx.ca.dialog.id.localTag}`)).toBe(400);
  });

  it('603 when the dialog has already ended', async () => {
    const ctx = await setup();
    await settle(ctx.clock, ctx.ac.bye());
    await pass(ctx.clock, 50);
    expect(await inviteWith(ctx, `${ctx.ca.callId};to-tag=${ctx.ca.dialog.id.localTag};from-tag=${ctx.ca.dialog.id.remoteTag}`)).toBe(603);
  });

  it('481 for an early dialog we did not initiate (a call still ringing here)', async () => {
    const t = trio();
    t.c.answer = false; // C rings and waits
    const pendingCall = t.a.ua.invite(uri('carol', C), { sdp: sdpOfferAnswer({ address: '10.9.9.9', port: 30000 }).createOffer(undefined) });
    pendingCall.catch(() => undefined);
    await pass(t.clock, 100);
    const ringing = t.c.calls[0]!;
    const peer = new RawPeer(t.network, { address: '10.0.1.9', port: 5060 }, t.clock);
    const status = await inviteWith({ clock: t.clock, peer }, `${ringing.callId};to-tag=${ringing.localTag};from-tag=${ringing.from!.tag}`);
    expect(status).toBe(481);
  });

  it('replaces an early dialog we initiated (call pickup): answered, and our INVITE is CANCELled', async () => {
    const t = trio();
    t.c.answer = false; // C rings and waits
    const pendingCall = t.a.ua.invite(uri('carol', C), { sdp: sdpOfferAnswer({ address: '10.9.9.9', port: 30000 }).createOffer(undefined) });
    const outcome = pendingCall.then(() => 'answered', (err: unknown) => err);
    await pass(t.clock, 100);
    const ringing = t.c.calls[0]!;
    // B picks the call up: its INVITE names A's early dialog as A sees it (to-tag = A's tag).
    const replaces = `${ringing.callId};to-tag=${ringing.from!.tag};from-tag=${ringing.localTag}`;
    const picked = settle(t.clock, t.b.ua.invite(uri('alice', A), { sdp: sdpOfferAnswer({ address: '10.9.9.8', port: 30002 }).createOffer(undefined), headers: { Replaces: replaces } }));
    const ba = await picked;
    expect(ba.state).toBe('confirmed');
    const replacing = t.a.calls[0]!;
    expect(replacing.isReplacing).toBe(true);
    expect(replacing.replaces).toBeUndefined(); // not a session of ours: an early outgoing call
    expect(replacing.replacesEarlyCallId).toBe(ringing.callId);
    await pass(t.clock, 200);
    // RFC 3891 §3: the early dialog we initiated is CANCELled once the new dialog is confirmed.
    expect(await outcome).toMatchObject({ name: 'RequestFailedError', kind: 'cancelled', status: 487 });
    expect(ringing.state).not.toBe('pending');
    expect(t.a.ua.activeSessions.map((s) => s.callId)).toEqual([ba.callId]);
  });

  it('an out-of-dialog NOTIFY gets 481; a NOTIFY for another event package in a dialog gets 489', async () => {
    const ctx = await setup();
    const notify = ctx.peer.request({ method: 'NOTIFY', uri: uri('carol', C), headers: { Event: 'refer', 'Subscription-State': 'active' }, body: 'SIP/2.0 100 Trying\r\n', contentType: 'message/sipfrag' });
    ctx.peer.send(notify, C);
    await pass(ctx.clock, 100);
    expect(ctx.peer.responses('NOTIFY').map((r) => r.status)).toEqual([481]);
    await expect(settle(ctx.clock, ctx.ac.request('NOTIFY', { headers: { Event: 'presence', 'Subscription-State': 'active' } }))).rejects.toMatchObject({ status: 489 });
    await expect(settle(ctx.clock, ctx.ac.request('NOTIFY', { headers: { Event: 'refer;id=77', 'Subscription-State': 'active' }, body: 'SIP/2.0 100 Trying\r\n', contentType: 'message/sipfrag' }))).rejects.toMatchObject({ status: 481 });
  });
});
