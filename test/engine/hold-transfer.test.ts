// HOLD and TRANSFER end to end on UDP loopback: Hold/Retrieve and the peer's HELD/RETRIEVED on
// both sides of a call, BlindTransfer, MuteTransfer (attended), the transferee's TRANSFERRED and
// the transfer target's side (INVITE with Replaces). Scenarios run on the engine; where a scenario
// cannot express a case (a peer that refuses a re-INVITE, a session refresh, a REFER that is never
// NOTIFYed) a scripted UserAgent of the stack plays the peer.
//
// Ports: this file uses 32000–32391 only, 14 per test (engine portBase = block, instances at
// +0/+2/+4/+6, a scripted peer at +10 (SIP) and +12/+13 (RTP/RTCP)); all below the kernel's
// ephemeral range (32768+), so no socket bound to port 0 elsewhere can take them.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type RunEvent, type SipEvent } from '../../src/engine/index.js';
import { SdpNegotiationError } from '../../src/sdp/errors.js';
import { createAnswer, createOffer, holdOffer, parseSdp, resumeOffer, serializeSdp } from '../../src/sdp/index.js';
import { UserAgent, type DialogSession, type IncomingCall } from '../../src/sip/dialog/index.js';
import { createResponse } from '../../src/sip/parser/index.js';
import { runOn, runScenario, wait, type Ran } from './harness.js';

const BASE = 32000;
/** Each test's own block of 14 ports (i ≤ 27). */
const block = (i: number): number => {
  if (i > 27) throw new Error('out of this file’s ports');
  return BASE + 14 * i;
};

// ---- helpers ---------------------------------------------------------------------------------

/** The SDP direction attributes of a raw SIP message (media level). */
function directions(raw: string): string[] {
  return [...raw.matchAll(/^a=(sendrecv|sendonly|recvonly|inactive)\r?$/gm)].map((m) => m[1]!);
}

/** The audio port of the SDP in a raw SIP message. */
function audioPort(raw: string): number | undefined {
  const m = /^m=audio (\d+) /m.exec(raw);
  return m === null ? undefined : Number(m[1]);
}

/** The header value of a raw SIP message. */
function header(raw: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:\\s*(.*?)\\r?$`, 'mi').exec(raw);
  return m?.[1];
}

/** A new engine with the harness's defaults (short close, 300 ms NOTIFY grace). */
function engineAt(portBase: number, extra: Partial<ConstructorParameters<typeof Engine>[0]> = {}): Engine {
  return new Engine({ portBase, closeTimeoutMs: 500, notifyGraceMs: 300, ...extra });
}

/** Resolves with the first run event of `engine` that `match` takes (rejects after `ms`). */
function nextEvent(engine: Engine, match: (e: RunEvent) => boolean, ms = 5000): Promise<RunEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no such run event in time'));
    }, ms);
    const off = engine.on((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** A node reached a state. */
const nodeState =
  (nodeId: string, state: string) =>
  (e: RunEvent): boolean =>
    e.type === 'scenario:node-state' && e.nodeId === nodeId && e.newState === state;

/**
 * A peer scripted on the stack's own UserAgent, with a plain UDP socket for its RTP that counts
 * what the engine sends it. `refuseOffers` makes it answer offers (re-INVITEs) with 488.
 */
class ScriptedPeer {
  readonly ua: UserAgent;
  readonly rtp: Socket;
  readonly rtpPort: number;
  /** RTP datagrams received so far. */
  rtpPackets = 0;
  refuseOffers = false;
  /** Answer hold offers (sendonly) with `inactive` instead of `recvonly` (RFC 3264 §6.1 allows both). */
  holdInactive = false;
  readonly sessions: DialogSession[] = [];
  readonly invites: IncomingCall[] = [];
  private readonly senders = new Set<ReturnType<typeof setInterval>>();

  private constructor(ua: UserAgent, rtp: Socket, rtpPort: number) {
    this.ua = ua;
    this.rtp = rtp;
    this.rtpPort = rtpPort;
    rtp.on('message', () => this.rtpPackets++);
  }

  static async start(user: string, sipPort: number, rtpPort: number): Promise<ScriptedPeer> {
    const rtp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      rtp.once('error', reject);
      rtp.bind(rtpPort, '127.0.0.1', () => resolve());
    });
    let peer: ScriptedPeer | undefined;
    const base = { address: '127.0.0.1', port: rtpPort };
    const ua = new UserAgent({
      bind: { host: '127.0.0.1', port: sipPort },
      identity: { user },
      closeTimeout: 500,
      offerAnswer: {
        createOffer: (current) => current ?? serializeSdp(createOffer(base)),
        createAnswer: (offer, current) => {
          if (peer?.refuseOffers) throw new SdpNegotiationError('refused by the scripted peer', { code: 488 });
          const answer = serializeSdp(createAnswer(parseSdp(offer), { ...base, ...(current !== undefined ? { previous: parseSdp(current) } : {}) }));
          return peer?.holdInactive ? answer.replace(/^a=recvonly\r?$/m, 'a=inactive\r') : answer;
        },
      },
    });
    await ua.ready;
    peer = new ScriptedPeer(ua, rtp, rtpPort);
    ua.on('session', (s) => peer.sessions.push(s));
    return peer;
  }

  get uri(): string {
    return `sip:${this.ua.identity.user}@127.0.0.1:${this.ua.local.port}`;
  }

  /** Our offer (sendrecv) on our RTP port. */
  offer(): string {
    return serializeSdp(createOffer({ address: '127.0.0.1', port: this.rtpPort }));
  }

  /** Rings and answers every incoming call at once; one with a Replaces goes to `replacing` instead, when given. */
  answerCalls(replacing?: (call: IncomingCall) => void): void {
    this.ua.on('invite', (call) => {
      this.invites.push(call);
      if (call.isReplacing && replacing !== undefined) {
        replacing(call);
        return;
      }
      call.ringing();
      const offer = call.remoteSdp!;
      void call.answer(serializeSdp(createAnswer(parseSdp(offer), { address: '127.0.0.1', port: this.rtpPort }))).catch(() => undefined);
    });
  }

  /**
   * Sends PCMU RTP (silence, `everyMs` apart) from our RTP socket to wherever `targets` says, as a
   * phone sends audio, until the returned function is called.
   */
  sendRtp(targets: () => readonly { address: string; port: number }[], everyMs = 20): () => void {
    let seq = 1000;
    let ts = 160_000;
    const ssrc = 0x5eed0001;
    const timer = setInterval(() => {
      const packet = Buffer.alloc(12 + 160, 0xff);
      packet[0] = 0x80;
      packet[1] = 0; // PCMU
      packet.writeUInt16BE(seq++ & 0xffff, 2);
      packet.writeUInt32BE(ts >>> 0, 4);
      packet.writeUInt32BE(ssrc, 8);
      ts += 160;
      for (const t of targets()) this.rtp.send(packet, t.port, t.address);
    }, everyMs);
    this.senders.add(timer);
    return () => {
      clearInterval(timer);
      this.senders.delete(timer);
    };
  }

  /** RTP packets that arrive during `ms`. */
  async countRtp(ms: number): Promise<number> {
    const before = this.rtpPackets;
    await wait(ms);
    return this.rtpPackets - before;
  }

  async close(): Promise<void> {
    for (const timer of this.senders) clearInterval(timer);
    this.senders.clear();
    await this.ua.close().catch(() => undefined);
    await new Promise<void>((resolve) => this.rtp.close(() => resolve()));
  }
}

/** Where a session's peer wants its RTP: the address and port of its SDP. */
function rtpTarget(sdp: string | undefined): { address: string; port: number }[] {
  if (sdp === undefined) return [];
  const address = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
  const port = audioPort(sdp);
  return address === undefined || port === undefined ? [] : [{ address, port }];
}

const peers: ScriptedPeer[] = [];
async function peerAt(port: number, user = '900'): Promise<ScriptedPeer> {
  const p = await ScriptedPeer.start(user, port + 10, port + 12);
  peers.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

// ---- Hold / Retrieve and HELD / RETRIEVED --------------------------------------------------

describe('Hold and Retrieve', () => {
  it('the caller holds and retrieves: re-INVITE sendonly/sendrecv, answered recvonly/sendrecv; the callee sees HELD then RETRIEVED', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [{ command: 'MakeCall', targetUri: '200' }, { id: 'a-hold', command: 'Hold' }, { id: 'a-retrieve', command: 'Retrieve' }, { event: 'TIMEOUT', timeout: 100 }, 'Release'],
          },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { id: 'b-held', event: 'HELD', timeout: 2000 }, { id: 'b-retrieved', event: 'RETRIEVED', timeout: 2000 }, { event: 'DISCONNECTED', timeout: 2000 }] },
        },
      },
      { portBase: block(0) },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    for (const id of ['a-hold', 'a-retrieve', 'b-held', 'b-retrieved']) expect(ran.node(id).state).toBe('completed');
    // On the wire: alice's re-INVITEs and bob's answers.
    const alice = ran.sips('alice');
    const reinvites = alice.filter((e) => e.direction === 'sent' && e.method === 'INVITE').slice(1);
    expect(reinvites.map((e) => directions(e.raw))).toEqual([['sendonly'], ['sendrecv']]);
    const answers = alice.filter((e) => e.direction === 'received' && e.status === 200 && e.cseq.endsWith('INVITE')).slice(1);
    expect(answers.map((e) => directions(e.raw))).toEqual([['recvonly'], ['sendrecv']]);
    // The re-INVITEs keep the call's RTP port.
    const first = alice.find((e) => e.direction === 'sent' && e.method === 'INVITE')!;
    expect(reinvites.map((e) => audioPort(e.raw))).toEqual([audioPort(first.raw), audioPort(first.raw)]);
    // Every message of the call is under its key.
    expect(alice.every((e) => e.callId === 'call-1')).toBe(true);
    expect(ran.logs('alice')).toEqual(expect.arrayContaining(['Hold succeeded', 'Retrieve succeeded']));
    expect(ran.logs('bob')).toEqual(expect.arrayContaining(['Call HELD by remote party', 'Call RETRIEVED by remote party']));
    // Our own hold is not the peer's: alice raised nothing.
    expect(ran.logs('alice').filter((m) => m.includes('by remote party'))).toEqual([]);
    expect(ran.internalErrors()).toEqual([]);
  }, 15_000);

  it('works on the other side too: the callee holds, the caller sees HELD and RETRIEVED', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { id: 'a-held', event: 'HELD', timeout: 2000 }, { id: 'a-retrieved', event: 'RETRIEVED', timeout: 2000 }, { event: 'DISCONNECTED', timeout: 2000 }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { id: 'b-hold', command: 'Hold' }, { id: 'b-retrieve', command: 'Retrieve' }, 'Release'] },
        },
      },
      { portBase: block(1) },
    );
    expect(ran.failure).toBeUndefined();
    for (const id of ['a-held', 'a-retrieved', 'b-hold', 'b-retrieve']) expect(ran.node(id).state).toBe('completed');
    const bob = ran.sips('bob');
    expect(bob.filter((e) => e.direction === 'sent' && e.method === 'INVITE').map((e) => directions(e.raw))).toEqual([['sendonly'], ['sendrecv']]);
    expect(bob.filter((e) => e.direction === 'received' && e.status === 200 && e.cseq.endsWith('INVITE')).map((e) => directions(e.raw))).toEqual([['recvonly'], ['sendrecv']]);
    expect(ran.result.calls.map((c) => [c.instanceId, c.end?.reason])).toEqual([
      ['alice', 'remote-bye'],
      ['bob', 'local-bye'],
    ]);
  }, 15_000);

  it('an event that happens before its node waits is not lost: bob reaches HELD and RETRIEVED after alice already held and retrieved', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { id: 'a-hold', command: 'Hold' }, { id: 'a-retrieve', command: 'Retrieve' }, { id: 'a-wait', event: 'TIMEOUT', timeout: 1200 }, 'Release'] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { id: 'b-late', event: 'TIMEOUT', timeout: 700 }, { id: 'b-held', event: 'HELD', timeout: 300 }, { id: 'b-retrieved', event: 'RETRIEVED', timeout: 300 }, { event: 'DISCONNECTED', timeout: 2000 }] },
        },
      },
      { portBase: block(2) },
    );
    expect(ran.failure).toBeUndefined();
    // The hold and the resume were both over before bob's HELD started waiting.
    const ended = (id: string): number => ran.result.nodes.find((n) => n.nodeId === id)!.endedAt!;
    const started = (id: string): number => ran.result.nodes.find((n) => n.nodeId === id)!.startedAt!;
    expect(ended('a-retrieve')).toBeLessThanOrEqual(started('b-held'));
    expect(ran.node('b-held').state).toBe('completed');
    expect(ran.node('b-retrieved').state).toBe('completed');
  }, 15_000);

  it('a refused Hold fails with the status, and the call stays sendrecv (our media still flowing)', async () => {
    const port = block(3);
    const peer = await peerAt(port);
    peer.answerCalls();
    peer.refuseOffers = true;
    const engine = engineAt(port);
    const refused = nextEvent(engine, nodeState('a-hold', 'failed'));
    const running = runOn(engine, {
      instances: {
        alice: {
          dn: '100',
          steps: [
            { command: 'MakeCall', targetUri: peer.uri },
            { id: 'a-hold', command: 'Hold', onFailure: [{ id: 'a-after', event: 'TIMEOUT', timeout: 900 }, { id: 'a-release', command: 'Release' }] },
          ],
        },
      },
    });
    await refused;
    // The peer re-INVITEs without an offer: the engine's 2xx offers its description in force,
    // which must still be sendrecv (a failed Hold leaves nothing on hold).
    const session = peer.sessions[0]!;
    peer.refuseOffers = false;
    const ok = await session.reinvite();
    const rtp = await peer.countRtp(300);
    const ran = await running;
    expect(ran.result.status).toBe('passed');
    expect(ran.node('a-hold')).toMatchObject({ state: 'failed' });
    expect(ran.node('a-hold').error).toMatch(/^Hold: ReInvite failed: 488\b/);
    expect(ran.node('a-release').state).toBe('completed');
    expect(directions(ok.bodyText)).toEqual(['sendrecv']);
    expect(rtp).toBeGreaterThan(5);
    // The refused offer was sendonly; the 488 went back; no HELD-like state remained.
    const alice = ran.sips('alice');
    expect(alice.filter((e) => e.direction === 'sent' && e.method === 'INVITE').map((e) => directions(e.raw))).toEqual([['sendrecv'], ['sendonly']]);
    expect(alice.some((e) => e.direction === 'received' && e.status === 488)).toBe(true);
    expect(ran.result.calls[0]!.end?.reason).toBe('local-bye');
  }, 15_000);

  it('a refused Retrieve fails with the status, and the call stays on hold (sendonly)', async () => {
    const port = block(7);
    const peer = await peerAt(port);
    peer.answerCalls();
    const engine = engineAt(port);
    const held = nextEvent(engine, nodeState('a-hold', 'completed'));
    const refused = nextEvent(engine, nodeState('a-retrieve', 'failed'));
    const running = runOn(engine, {
      instances: {
        alice: {
          dn: '100',
          steps: [
            { command: 'MakeCall', targetUri: peer.uri },
            { id: 'a-hold', command: 'Hold' },
            { id: 'a-retrieve', command: 'Retrieve', onFailure: [{ event: 'TIMEOUT', timeout: 600 }, { id: 'a-release', command: 'Release' }] },
          ],
        },
      },
    });
    await held;
    peer.refuseOffers = true;
    await refused;
    peer.refuseOffers = false;
    const ok = await peer.sessions[0]!.reinvite();
    const ran = await running;
    expect(ran.result.status).toBe('passed');
    expect(ran.node('a-retrieve').error).toMatch(/^Retrieve: ReInvite failed: 488\b/);
    expect(directions(ok.bodyText)).toEqual(['sendonly']);
    expect(ran.node('a-release').state).toBe('completed');
  }, 15_000);

  it('our media follows the answer: a hold answered inactive stops our RTP, and Retrieve starts it again', async () => {
    const port = block(20);
    const peer = await peerAt(port);
    peer.answerCalls();
    peer.holdInactive = true;
    const engine = engineAt(port);
    const called = nextEvent(engine, nodeState('a-call', 'completed'));
    const held = nextEvent(engine, nodeState('a-hold', 'completed'));
    const retrieved = nextEvent(engine, nodeState('a-retrieve', 'completed'));
    const running = runOn(engine, {
      instances: {
        alice: {
          dn: '100',
          steps: [
            { id: 'a-call', command: 'MakeCall', targetUri: peer.uri },
            { event: 'TIMEOUT', timeout: 400 },
            { id: 'a-hold', command: 'Hold' },
            { event: 'TIMEOUT', timeout: 500 },
            { id: 'a-retrieve', command: 'Retrieve' },
            { event: 'TIMEOUT', timeout: 500 },
            'Release',
          ],
        },
      },
    });
    await called;
    await wait(50);
    const before = await peer.countRtp(300);
    await held;
    await wait(100);
    const during = await peer.countRtp(300);
    await retrieved;
    await wait(60);
    const after = await peer.countRtp(300);
    const ran = await running;
    expect(ran.failure).toBeUndefined();
    const answers = ran.sips('alice').filter((e) => e.direction === 'received' && e.status === 200 && e.cseq.endsWith('INVITE'));
    expect(answers.map((e) => directions(e.raw))).toEqual([['sendrecv'], ['inactive'], ['sendrecv']]);
    expect(before).toBeGreaterThan(5);
    expect(during).toBe(0);
    expect(after).toBeGreaterThan(5);
  }, 15_000);
});

describe('HELD and RETRIEVED (the peer holds us)', () => {
  it('a sendonly offer is HELD and answered recvonly: our RTP stops; a sendrecv one is RETRIEVED and our RTP resumes', async () => {
    const port = block(4);
    const peer = await peerAt(port);
    const engine = engineAt(port);
    const answered = nextEvent(engine, nodeState('b-answer', 'completed'));
    const running = runOn(engine, {
      instances: {
        bob: {
          dn: '200',
          steps: ['INCOMING', { id: 'b-answer', command: 'Answer' }, { id: 'b-held', event: 'HELD', timeout: 3000 }, { id: 'b-retrieved', event: 'RETRIEVED', timeout: 3000 }, { event: 'DISCONNECTED', timeout: 3000 }],
        },
      },
    });
    await wait(50);
    const session = await peer.ua.invite(`sip:200@127.0.0.1:${port}`, { sdp: peer.offer() });
    await answered;
    const before = await peer.countRtp(300);
    const held = nextEvent(engine, nodeState('b-held', 'completed'));
    const holdOk = await session.reinvite(serializeSdp(holdOffer(parseSdp(session.localSdp!))));
    await held;
    await wait(100); // packets already in flight
    const during = await peer.countRtp(300);
    const retrieved = nextEvent(engine, nodeState('b-retrieved', 'completed'));
    const resumeOk = await session.reinvite(serializeSdp(resumeOffer(parseSdp(session.localSdp!))));
    await retrieved;
    await wait(60);
    const after = await peer.countRtp(300);
    await session.bye();
    const ran = await running;
    expect(ran.failure).toBeUndefined();
    expect(directions(holdOk.bodyText)).toEqual(['recvonly']);
    expect(directions(resumeOk.bodyText)).toEqual(['sendrecv']);
    expect(before).toBeGreaterThan(5);
    expect(during).toBe(0);
    expect(after).toBeGreaterThan(5);
    expect(ran.result.calls[0]!.end?.reason).toBe('remote-bye');
  }, 15_000);

  it('an inactive offer is HELD too', async () => {
    const port = block(5);
    const peer = await peerAt(port);
    const engine = engineAt(port);
    const answered = nextEvent(engine, nodeState('b-answer', 'completed'));
    const running = runOn(engine, {
      instances: { bob: { dn: '200', steps: ['INCOMING', { id: 'b-answer', command: 'Answer' }, { id: 'b-held', event: 'HELD', timeout: 3000 }, { event: 'DISCONNECTED', timeout: 3000 }] } },
    });
    await wait(50);
    const session = await peer.ua.invite(`sip:200@127.0.0.1:${port}`, { sdp: peer.offer() });
    await answered;
    const held = nextEvent(engine, nodeState('b-held', 'completed'));
    const ok = await session.reinvite(serializeSdp(holdOffer(parseSdp(session.localSdp!), 'inactive')));
    await held;
    await session.bye();
    const ran = await running;
    expect(ran.failure).toBeUndefined();
    expect(directions(ok.bodyText)).toEqual(['inactive']);
    expect(ran.events.some((e) => e.type === 'scenario:action-log' && e.nodeId === 'b-held' && e.sipMessage?.note === 'inactive')).toBe(true);
  }, 15_000);

  it('a re-INVITE that changes nothing (a session refresh) raises neither RETRIEVED nor HELD; a refresh while held raises nothing either', async () => {
    const port = block(6);
    const peer = await peerAt(port);
    const engine = engineAt(port);
    const answered = nextEvent(engine, nodeState('b-answer', 'completed'));
    const running = runOn(engine, {
      instances: {
        bob: {
          dn: '200',
          steps: [
            'INCOMING',
            { id: 'b-answer', command: 'Answer' },
            // The refresh comes while this waits: it must not complete it.
            { id: 'b-no-retrieved', event: 'RETRIEVED', timeout: 800, onFailure: 'b-no-held' },
            { id: 'b-no-held', event: 'HELD', timeout: 100, onFailure: 'b-held' },
            // The real hold, then a refresh while held, then the resume.
            { id: 'b-held', event: 'HELD', timeout: 3000 },
            { id: 'b-retrieved', event: 'RETRIEVED', timeout: 3000 },
            { id: 'b-no-more', event: 'HELD', timeout: 300, onFailure: 'b-gone' },
            { id: 'b-gone', event: 'DISCONNECTED', timeout: 3000 },
          ],
        },
      },
    });
    await wait(50);
    const session = await peer.ua.invite(`sip:200@127.0.0.1:${port}`, { sdp: peer.offer() });
    await answered;
    const noHeld = nextEvent(engine, nodeState('b-no-held', 'failed'));
    const noMore = nextEvent(engine, nodeState('b-no-more', 'failed'));
    // A session refresh: the same description again.
    const refresh = await session.reinvite(session.localSdp!);
    await noHeld;
    const hold = serializeSdp(holdOffer(parseSdp(session.localSdp!)));
    await session.reinvite(hold);
    await session.reinvite(hold); // refresh while held: no second HELD
    await session.reinvite(serializeSdp(resumeOffer(parseSdp(session.localSdp!))));
    await noMore;
    await session.bye();
    const ran = await running;
    expect(ran.failure).toBeUndefined();
    expect(directions(refresh.bodyText)).toEqual(['sendrecv']);
    expect(ran.node('b-no-retrieved').state).toBe('failed');
    expect(ran.node('b-no-held').state).toBe('failed');
    expect(ran.node('b-held').state).toBe('completed');
    expect(ran.node('b-retrieved').state).toBe('completed');
    expect(ran.node('b-no-more').state).toBe('failed');
    expect(ran.logs('bob').filter((m) => m === 'Call HELD by remote party')).toHaveLength(1);
    expect(ran.logs('bob').filter((m) => m === 'Call RETRIEVED by remote party')).toHaveLength(1);
  }, 15_000);
});

// ---- BlindTransfer and TRANSFERRED -------------------------------------------------------

/** The value of the first message's header, among one instance's SIP events that `match`. */
function first(ran: Ran, instanceId: string, match: (e: SipEvent) => boolean): SipEvent {
  const found = ran.sips(instanceId).find(match);
  if (found === undefined) throw new Error(`no such SIP message on ${instanceId}: ${ran.wire(instanceId).join(', ')}`);
  return found;
}

/** The sipfrag status line of a NOTIFY. */
function sipfrag(raw: string): string | undefined {
  return /SIP\/2\.0 (\d{3})[^\r\n]*\r?\n?$/.exec(raw.split(/\r?\n\r?\n/).slice(1).join('\n\n'))?.[1];
}

const ended = (ran: Ran, id: string): number => ran.nodeResult(id).endedAt!;
const started = (ran: Ran, id: string): number => ran.nodeResult(id).startedAt!;

describe('BlindTransfer and TRANSFERRED', () => {
  it('alice transfers bob to carol (a DN): REFER, 202, NOTIFY before our BYE; bob’s call to carol takes his key, DISCONNECTED waits for it', async () => {
    const port = block(8);
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { id: 'a-transfer', command: 'BlindTransfer', targetUri: '300' }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000 }, { id: 'b-gone', event: 'DISCONNECTED', timeout: 3000 }] },
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, 'Answer', { event: 'TIMEOUT', timeout: 400 }, { id: 'c-release', command: 'Release' }] },
        },
      },
      // A long grace time: the BYE must follow the first NOTIFY, not wait for the grace.
      { portBase: port, notifyGraceMs: 3000 },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.node('a-transfer').state).toBe('completed');
    expect(ran.node('b-transferred').state).toBe('completed');
    expect(ran.node('a-transfer').runs).toBe(1);
    const aliceSip = ran.sips('alice');
    const notified = aliceSip.find((e) => e.direction === 'received' && e.method === 'NOTIFY')!;
    const hungUp = aliceSip.find((e) => e.direction === 'sent' && e.method === 'BYE')!;
    expect(hungUp.timestamp - notified.timestamp).toBeLessThan(1000);
    // The REFER names carol's instance, and alice hangs up only after the first NOTIFY.
    const refer = first(ran, 'alice', (e) => e.direction === 'sent' && e.method === 'REFER');
    expect(header(refer.raw, 'Refer-To')).toBe(`<sip:300@127.0.0.1:${port + 4}>`);
    expect(refer.callId).toBe('call-1');
    const wire = ran.wire('alice');
    expect(wire.slice(wire.indexOf('sent REFER'))).toEqual(expect.arrayContaining(['received 202', 'received NOTIFY', 'sent BYE']));
    expect(wire.indexOf('received NOTIFY')).toBeLessThan(wire.indexOf('sent BYE'));
    // Bob's INVITE to carol carries Referred-By and bob's call's own RTP port.
    const bobAnswer = first(ran, 'bob', (e) => e.direction === 'sent' && e.status === 200 && e.cseq.endsWith('INVITE'));
    const toCarol = first(ran, 'bob', (e) => e.direction === 'sent' && e.method === 'INVITE');
    expect(header(toCarol.raw, 'Referred-By')).toContain('sip:100@');
    expect(audioPort(toCarol.raw)).toBe(audioPort(bobAnswer.raw));
    // The key call-1 on bob is now the call with carol; it ended when carol hung up, not with alice's BYE.
    const bobCall = ran.call('bob', 'call-1');
    const carolCall = ran.call('carol', 'call-1');
    expect(bobCall.sipCallId).toBe(carolCall.sipCallId);
    expect(bobCall.peer).toBe('300');
    expect(bobCall.end?.reason).toBe('remote-bye');
    expect(carolCall.end?.reason).toBe('local-bye');
    expect(ran.call('alice', 'call-1').end?.reason).toBe('local-bye');
    expect(ended(ran, 'b-gone')).toBeGreaterThanOrEqual(started(ran, 'c-release'));
    // NOTIFYs: 100 first, 200 last.
    const notifies = ran.sips('bob').filter((e) => e.direction === 'sent' && e.method === 'NOTIFY');
    expect(notifies.map((e) => sipfrag(e.raw))[0]).toBe('100');
    expect(ran.internalErrors()).toEqual([]);
  }, 15_000);

  it('after TRANSFERRED, Hold, Retrieve, SendDTMF and Release on the same key act on the NEW call (media included)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { command: 'BlindTransfer', targetUri: '300' }] },
          bob: {
            dn: '200',
            steps: ['INCOMING', 'Answer', { event: 'TRANSFERRED', timeout: 3000 }, { id: 'b-hold', command: 'Hold' }, { id: 'b-retrieve', command: 'Retrieve' }, { id: 'b-dtmf', command: 'SendDTMF', digits: '7' }, { event: 'TIMEOUT', timeout: 200 }, { id: 'b-release', command: 'Release' }],
          },
          carol: {
            dn: '300',
            steps: [
              { event: 'INCOMING', timeout: 3000 },
              'Answer',
              { id: 'c-held', event: 'HELD', timeout: 3000 },
              { id: 'c-retrieved', event: 'RETRIEVED', timeout: 3000 },
              { id: 'c-dtmf', event: 'DTMFReceived', expectedDigit: '7', timeout: 3000 },
              { id: 'c-gone', event: 'DISCONNECTED', timeout: 3000 },
            ],
          },
        },
      },
      { portBase: block(9) },
    );
    expect(ran.failure).toBeUndefined();
    for (const id of ['b-hold', 'b-retrieve', 'b-dtmf', 'b-release', 'c-held', 'c-retrieved', 'c-dtmf', 'c-gone']) expect(ran.node(id).state).toBe('completed');
    // The re-INVITEs and the BYE went to carol, in the new dialog; alice saw none of them.
    const carolCallId = ran.call('carol', 'call-1').sipCallId;
    const bobSent = ran.sips('bob').filter((e) => e.direction === 'sent' && (e.method === 'INVITE' || e.method === 'BYE'));
    expect(bobSent.map((e) => [e.method, e.sipCallId === carolCallId])).toEqual([
      ['INVITE', true],
      ['INVITE', true],
      ['INVITE', true],
      ['BYE', true],
    ]);
    expect(ran.wire('alice').filter((w) => w === 'received INVITE')).toEqual([]);
    expect(ran.call('carol', 'call-1').end?.reason).toBe('remote-bye');
  }, 15_000);

  it('targetUser + targetHost with waitForNotify: completes on the final 2xx NOTIFY, and only then sends BYE', async () => {
    const port = block(10);
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { id: 'a-transfer', command: 'BlindTransfer', targetUser: '300', targetHost: `127.0.0.1:${port + 4}`, waitForNotify: true, timeout: 3000 }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'TRANSFERRED', timeout: 3000 }, { event: 'TIMEOUT', timeout: 300 }, 'Release'] },
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, { event: 'TIMEOUT', timeout: 300 }, 'Answer', { event: 'DISCONNECTED', timeout: 3000 }] },
        },
      },
      { portBase: port },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.node('a-transfer').state).toBe('completed');
    const refer = first(ran, 'alice', (e) => e.direction === 'sent' && e.method === 'REFER');
    expect(header(refer.raw, 'Refer-To')).toBe(`<sip:300@127.0.0.1:${port + 4}>`);
    const alice = ran.sips('alice');
    const finalNotify = alice.findIndex((e) => e.direction === 'received' && e.method === 'NOTIFY' && sipfrag(e.raw) === '200');
    const bye = alice.findIndex((e) => e.direction === 'sent' && e.method === 'BYE');
    expect(finalNotify).toBeGreaterThan(0);
    expect(bye).toBeGreaterThan(finalNotify);
    // Carol rang for 300 ms before answering: the 180 was NOTIFYed too.
    expect(alice.filter((e) => e.direction === 'received' && e.method === 'NOTIFY').map((e) => sipfrag(e.raw))).toEqual(['100', '180', '200']);
  }, 15_000);

  it('a sip: URI as targetUri is used as is', async () => {
    const port = block(11);
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { command: 'BlindTransfer', targetUri: `sip:carol-line@127.0.0.1:${port + 4}` }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000 }, { event: 'DISCONNECTED', timeout: 3000 }] },
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, 'Answer', { event: 'TIMEOUT', timeout: 200 }, 'Release'] },
        },
      },
      { portBase: port },
    );
    expect(ran.failure).toBeUndefined();
    const refer = first(ran, 'alice', (e) => e.direction === 'sent' && e.method === 'REFER');
    expect(header(refer.raw, 'Refer-To')).toBe(`<sip:carol-line@127.0.0.1:${port + 4}>`);
    expect(first(ran, 'carol', (e) => e.direction === 'received' && e.method === 'INVITE').raw.startsWith(`INVITE sip:carol-line@127.0.0.1:${port + 4} SIP/2.0`)).toBe(true);
  }, 15_000);

  it('waitForNotify fails on a final NOTIFY of 300 or more (the target Rejects 486); the transferee’s TRANSFERRED fails; the old leg is still up', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200' },
              { id: 'a-transfer', command: 'BlindTransfer', targetUri: '300', waitForNotify: true, timeout: 3000, onFailure: [{ id: 'a-hold', command: 'Hold' }, { id: 'a-release', command: 'Release' }] },
            ],
          },
          bob: {
            dn: '200',
            steps: ['INCOMING', 'Answer', { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000, onFailure: [{ id: 'b-held', event: 'HELD', timeout: 3000 }, { id: 'b-gone', event: 'DISCONNECTED', timeout: 3000 }] }],
          },
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, { command: 'Reject', status: 486 }] },
        },
      },
      { portBase: block(12) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('a-transfer').state).toBe('failed');
    expect(ran.node('a-transfer').error).toMatch(/486/);
    expect(ran.node('b-transferred').state).toBe('failed');
    expect(ran.node('b-transferred').error).toMatch(/486/);
    // The old leg: alice's Hold reached bob, and her Release ended it.
    expect(ran.node('a-hold').state).toBe('completed');
    expect(ran.node('b-held').state).toBe('completed');
    expect(ran.node('b-gone').state).toBe('completed');
    expect(ran.wire('alice').filter((w) => w === 'sent BYE')).toHaveLength(1);
    expect(ran.call('bob', 'call-1').end?.reason).toBe('remote-bye');
    expect(ran.call('bob', 'call-1').sipCallId).toBe(ran.call('alice', 'call-1').sipCallId);
  }, 15_000);

  it('without a NOTIFY, the BYE waits the grace time (notifyGraceMs) after the 202', async () => {
    const port = block(13);
    const peer = await peerAt(port);
    peer.answerCalls();
    // The transferee accepts the REFER (202) but never NOTIFYs.
    peer.ua.on('session', (s) =>
      s.on('refer', (refer) => {
        (refer as unknown as { tx: { respond(r: unknown): void } }).tx.respond(createResponse(refer.request, 202));
      }),
    );
    const ran = await runScenario(
      { instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: peer.uri }, { id: 'a-transfer', command: 'BlindTransfer', targetUri: 'sip:300@127.0.0.1:9' }] } } },
      { portBase: port, notifyGraceMs: 400 },
    );
    expect(ran.failure).toBeUndefined();
    const alice = ran.sips('alice');
    const accepted = alice.find((e) => e.direction === 'received' && e.status === 202)!;
    const bye = alice.find((e) => e.direction === 'sent' && e.method === 'BYE')!;
    expect(bye.timestamp - accepted.timestamp).toBeGreaterThanOrEqual(350);
    expect(bye.timestamp - accepted.timestamp).toBeLessThan(1500);
    expect(alice.some((e) => e.method === 'NOTIFY')).toBe(false);
  }, 15_000);

  it('REFERs are accepted on the caller side too: bob called alice, alice transfers him to carol', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: ['INCOMING', 'Answer', { id: 'a-transfer', command: 'BlindTransfer', targetUri: '300' }] },
          bob: { dn: '200', steps: [{ command: 'MakeCall', targetUri: '100' }, { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000 }, { event: 'TIMEOUT', timeout: 200 }, { id: 'b-release', command: 'Release' }] },
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, 'Answer', { id: 'c-gone', event: 'DISCONNECTED', timeout: 3000 }] },
        },
      },
      { portBase: block(14) },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.node('b-transferred').state).toBe('completed');
    expect(ran.wire('bob')).toContain('sent 202');
    expect(ran.call('bob', 'call-1').sipCallId).toBe(ran.call('carol', 'call-1').sipCallId);
    expect(ran.call('carol', 'call-1').end?.reason).toBe('remote-bye');
    expect(ran.call('carol', 'call-1').peer).toBe('200');
  }, 15_000);
});

// ---- MuteTransfer (attended) and the transfer target's side -------------------------------

/** The Replaces a Refer-To carries, decoded (`callid;to-tag=…;from-tag=…`). */
function replacesIn(referTo: string): string | undefined {
  const m = /[?&]Replaces=([^&>]*)/i.exec(referTo);
  return m === null ? undefined : decodeURIComponent(m[1]!);
}

/** The tag parameter of a From or To header in a raw message. */
function tagOf(raw: string, name: 'From' | 'To'): string | undefined {
  return /;\s*tag=([^;\s>]+)/i.exec(header(raw, name) ?? '')?.[1];
}

describe('MuteTransfer (attended) and TRANSFERRED with Replaces', () => {
  it('alice placed both calls: REFER on primary with Replaces naming the consult dialog as carol sees it; carol’s consult call continues with bob on its RTP port', async () => {
    const port = block(15);
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200', callId: 'primary' },
              { command: 'Hold', callId: 'primary' },
              { command: 'MakeCall', targetUri: '300', callId: 'consult' },
              { id: 'a-transfer', command: 'MuteTransfer', primaryCallId: 'primary', consultCallId: 'consult', timeout: 3000 },
            ],
          },
          bob: {
            dn: '200',
            steps: ['INCOMING', 'Answer', { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000 }, { event: 'TIMEOUT', timeout: 300 }, { id: 'b-release', command: 'Release' }],
          },
          carol: {
            dn: '300',
            steps: [
              { id: 'c-incoming', event: 'INCOMING', callId: 'consult', timeout: 3000 },
              { command: 'Answer', callId: 'consult' },
              { id: 'c-gone', event: 'DISCONNECTED', callId: 'consult', timeout: 3000 },
            ],
          },
        },
      },
      { portBase: port },
    );
    expect(ran.failure).toBeUndefined();
    for (const id of ['a-transfer', 'b-transferred', 'c-gone']) expect(ran.node(id).state).toBe('completed');
    expect(ran.node('c-incoming').runs).toBe(1);

    // The REFER went on the primary leg; its Refer-To is carol's Contact with a Replaces for the consult dialog.
    const refer = first(ran, 'alice', (e) => e.direction === 'sent' && e.method === 'REFER');
    expect(refer.callId).toBe('primary');
    const consultInvite = first(ran, 'carol', (e) => e.direction === 'received' && e.method === 'INVITE');
    const consultOk = first(ran, 'carol', (e) => e.direction === 'sent' && e.status === 200 && e.cseq.endsWith('INVITE'));
    const referTo = header(refer.raw, 'Refer-To')!;
    expect(referTo.startsWith(`<sip:300@127.0.0.1:${port + 4}`)).toBe(true);
    // As carol sees it: to-tag is carol's own tag, from-tag alice's.
    const expected = `${consultInvite.sipCallId};to-tag=${tagOf(consultOk.raw, 'To')};from-tag=${tagOf(consultInvite.raw, 'From')}`;
    expect(replacesIn(referTo)).toBe(expected);

    // Carol got bob's INVITE with that Replaces and answered it at once: no 180, no INCOMING node.
    const carol = ran.sips('carol');
    const replacing = carol.filter((e) => e.direction === 'received' && e.method === 'INVITE')[1]!;
    expect(header(replacing.raw, 'Replaces')).toBe(expected);
    const after = carol.slice(carol.indexOf(replacing) + 1).filter((e) => e.direction === 'sent' && e.cseq.endsWith(' INVITE'));
    expect(after[0]?.status).toBe(200);
    expect(after.some((e) => e.status === 180)).toBe(false);
    // … on the consult call's RTP port.
    expect(audioPort(after[0]!.raw)).toBe(audioPort(consultOk.raw));
    // Carol ended the replaced dialog herself (RFC 3891): a BYE to alice.
    expect(carol.some((e) => e.direction === 'sent' && e.method === 'BYE' && e.sipCallId === consultInvite.sipCallId)).toBe(true);

    // Alice completed on the final 2xx NOTIFY and then ended both legs.
    const alice = ran.sips('alice');
    const final = alice.findIndex((e) => e.direction === 'received' && e.method === 'NOTIFY' && sipfrag(e.raw) === '200');
    const primaryBye = alice.findIndex((e) => e.direction === 'sent' && e.method === 'BYE');
    expect(final).toBeGreaterThan(0);
    expect(primaryBye).toBeGreaterThan(final);
    expect(ran.call('alice', 'primary').end).toBeDefined();
    expect(ran.call('alice', 'consult').end).toBeDefined();

    // Carol's key now holds the call with bob; it ended with bob's Release, not with the replaced dialog.
    const carolCall = ran.call('carol', 'consult');
    expect(carolCall.sipCallId).toBe(ran.call('bob', 'call-1').sipCallId);
    expect(carolCall.peer).toBe('200');
    expect(carolCall.end?.reason).toBe('remote-bye');
    expect(ended(ran, 'c-gone')).toBeGreaterThanOrEqual(started(ran, 'b-release'));
    expect(ran.internalErrors()).toEqual([]);
  }, 15_000);

  it('both calls came in to alice (bob and carol placed them): the Replaces is oriented as carol sees it, and the transfer works end to end', async () => {
    const port = block(16);
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { event: 'INCOMING', callId: 'primary', timeout: 3000 },
              { command: 'Answer', callId: 'primary' },
              { event: 'INCOMING', callId: 'consult', timeout: 3000 },
              { command: 'Answer', callId: 'consult' },
              { id: 'a-transfer', command: 'MuteTransfer', primaryCallId: 'primary', consultCallId: 'consult', timeout: 3000 },
            ],
          },
          bob: { dn: '200', steps: [{ command: 'MakeCall', targetUri: '100' }, { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000 }, { event: 'TIMEOUT', timeout: 200 }, { id: 'b-release', command: 'Release' }] },
          carol: { dn: '300', steps: [{ event: 'TIMEOUT', timeout: 300 }, { command: 'MakeCall', targetUri: '100', callId: 'consult' }, { id: 'c-gone', event: 'DISCONNECTED', callId: 'consult', timeout: 3000 }] },
        },
      },
      { portBase: port },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.node('a-transfer').state).toBe('completed');
    expect(ran.node('b-transferred').state).toBe('completed');
    const refer = first(ran, 'alice', (e) => e.direction === 'sent' && e.method === 'REFER');
    const carolInvite = first(ran, 'carol', (e) => e.direction === 'sent' && e.method === 'INVITE');
    const carolOk = first(ran, 'carol', (e) => e.direction === 'received' && e.status === 200 && e.cseq.endsWith('INVITE'));
    // Carol placed the consult call: her tag is the From tag of her INVITE, and it is the to-tag.
    expect(replacesIn(header(refer.raw, 'Refer-To')!)).toBe(`${carolInvite.sipCallId};to-tag=${tagOf(carolInvite.raw, 'From')};from-tag=${tagOf(carolOk.raw, 'To')}`);
    const carolCall = ran.call('carol', 'consult');
    expect(carolCall.sipCallId).toBe(ran.call('bob', 'call-1').sipCallId);
    expect(carolCall.end?.reason).toBe('remote-bye');
    expect(ended(ran, 'c-gone')).toBeGreaterThanOrEqual(started(ran, 'b-release'));
  }, 15_000);

  it('a final NOTIFY of 300 or more fails the node with the status and leaves both legs as they were', async () => {
    const port = block(17);
    const peer = await peerAt(port, '300');
    // The transfer target refuses the INVITE with Replaces.
    peer.answerCalls((call) => call.reject(486));
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200', callId: 'primary' },
              { command: 'MakeCall', targetUri: peer.uri, callId: 'consult' },
              {
                id: 'a-transfer',
                command: 'MuteTransfer',
                primaryCallId: 'primary',
                consultCallId: 'consult',
                timeout: 3000,
                onFailure: [
                  { id: 'a-hold-primary', command: 'Hold', callId: 'primary' },
                  { id: 'a-hold-consult', command: 'Hold', callId: 'consult' },
                  { id: 'a-release-consult', command: 'Release', callId: 'consult' },
                  { id: 'a-release-primary', command: 'Release', callId: 'primary' },
                ],
              },
            ],
          },
          bob: {
            dn: '200',
            steps: ['INCOMING', 'Answer', { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000, onFailure: [{ id: 'b-held', event: 'HELD', timeout: 3000 }, { id: 'b-gone', event: 'DISCONNECTED', timeout: 3000 }] }],
          },
        },
      },
      { portBase: port },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('a-transfer').state).toBe('failed');
    expect(ran.node('a-transfer').error).toMatch(/486/);
    for (const id of ['a-hold-primary', 'a-hold-consult', 'a-release-consult', 'a-release-primary', 'b-held', 'b-gone']) expect(ran.node(id).state).toBe('completed');
    expect(ran.node('b-transferred').error).toMatch(/486/);
    expect(ran.call('alice', 'primary').end?.reason).toBe('local-bye');
    expect(ran.call('alice', 'consult').end?.reason).toBe('local-bye');
    expect(ran.call('bob', 'call-1').end?.reason).toBe('remote-bye');
    expect(peer.sessions[0]!.endReason?.reason).toBe('remote-bye');
  }, 15_000);

  it('the timeout fails the node and leaves both legs as they were', async () => {
    const port = block(18);
    const peer = await peerAt(port, '300');
    // The transfer target rings and answers nothing for 1.2 s, then refuses: the final NOTIFY
    // (486) comes after alice's MuteTransfer timed out, while both legs are still up.
    peer.answerCalls((call) => {
      call.ringing();
      setTimeout(() => call.state === 'pending' && call.reject(486), 1200);
    });
    const ran = await runScenario(
      {
        instances: {
          alice: {
            dn: '100',
            steps: [
              { command: 'MakeCall', targetUri: '200', callId: 'primary' },
              { command: 'MakeCall', targetUri: peer.uri, callId: 'consult' },
              {
                id: 'a-transfer',
                command: 'MuteTransfer',
                primaryCallId: 'primary',
                consultCallId: 'consult',
                timeout: 600,
                onFailure: [
                  { id: 'a-hold-primary', command: 'Hold', callId: 'primary' },
                  { id: 'a-hold-consult', command: 'Hold', callId: 'consult' },
                  { event: 'TIMEOUT', timeout: 1400 },
                  { id: 'a-release-consult', command: 'Release', callId: 'consult' },
                  { id: 'a-release-primary', command: 'Release', callId: 'primary' },
                ],
              },
            ],
          },
          bob: {
            dn: '200',
            steps: ['INCOMING', 'Answer', { id: 'b-transferred', event: 'TRANSFERRED', timeout: 4000, onFailure: [{ id: 'b-gone', event: 'DISCONNECTED', timeout: 3000 }] }],
          },
        },
      },
      { portBase: port },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('a-transfer').state).toBe('failed');
    expect(ran.node('a-transfer').error).toMatch(/time/i);
    for (const id of ['a-hold-primary', 'a-hold-consult', 'a-release-consult', 'a-release-primary', 'b-gone']) expect(ran.node(id).state).toBe('completed');
    // Alice sent BYE only with her Releases, after the timeout.
    const alice = ran.sips('alice');
    expect(alice.filter((e) => e.direction === 'sent' && e.method === 'BYE').map((e) => e.callId)).toEqual(['consult', 'primary']);
    // Both BYEs were answered 200: the legs were still up when alice released them.
    expect(alice.filter((e) => e.direction === 'received' && e.cseq.endsWith(' BYE')).map((e) => [e.callId, e.status]), 'the answers to alice’s BYEs (481: that leg was already gone)').toEqual([
      ['consult', 200],
      ['primary', 200],
    ]);
    expect(ran.call('bob', 'call-1').end?.reason).toBe('remote-bye');
  }, 15_000);

  it('an INVITE with a Replaces that matches none of our calls gets 481 and never reaches INCOMING', async () => {
    const port = block(19);
    const peer = await peerAt(port);
    const engine = engineAt(port);
    const running = runOn(engine, { instances: { carol: { dn: '300', steps: [{ id: 'c-incoming', event: 'INCOMING', timeout: 1000, onFailure: [{ event: 'TIMEOUT', timeout: 50 }] }] } } });
    await wait(50);
    const outcome = await peer.ua
      .invite(`sip:300@127.0.0.1:${port}`, { sdp: peer.offer(), headers: { Replaces: 'no-such-call@127.0.0.1;to-tag=abc;from-tag=def' } })
      .then(
        () => 'answered',
        (err: { status?: number }) => err.status,
      );
    const ran = await running;
    expect(outcome).toBe(481);
    expect(ran.node('c-incoming').state).toBe('failed');
    expect(ran.result.calls).toEqual([]);
  }, 15_000);
});

describe('more transfer cases', () => {
  it('a DISCONNECTED already waiting on the transferee while the REFER is carried out waits for the new call’s end, not for the transferor’s BYE', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { command: 'BlindTransfer', targetUri: '300' }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { id: 'b-gone', event: 'DISCONNECTED', timeout: 3000 }] },
          // Carol rings a while: alice's BYE reaches bob's old dialog before the new call is up.
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, { event: 'TIMEOUT', timeout: 300 }, 'Answer', { event: 'TIMEOUT', timeout: 300 }, { id: 'c-release', command: 'Release' }] },
        },
      },
      { portBase: block(21) },
    );
    expect(ran.failure).toBeUndefined();
    const bob = ran.sips('bob');
    const aliceBye = bob.findIndex((e) => e.direction === 'received' && e.method === 'BYE');
    const carolOk = bob.findIndex((e) => e.direction === 'received' && e.status === 200 && e.cseq.endsWith(' INVITE') && e.sipCallId !== bob[0]!.sipCallId);
    expect(aliceBye).toBeGreaterThan(0);
    expect(aliceBye).toBeLessThan(carolOk);
    expect(ended(ran, 'b-gone')).toBeGreaterThanOrEqual(started(ran, 'c-release'));
    expect(ran.call('bob', 'call-1').sipCallId).toBe(ran.call('carol', 'call-1').sipCallId);
    expect(ran.call('bob', 'call-1').end?.reason).toBe('remote-bye');
  }, 15_000);

  it('a TRANSFERRED that starts after the transfer is over still sees it', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { id: 'a-transfer', command: 'BlindTransfer', targetUri: '300', waitForNotify: true, timeout: 3000 }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 700 }, { id: 'b-transferred', event: 'TRANSFERRED', timeout: 200 }, { id: 'b-release', command: 'Release' }] },
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, 'Answer', { id: 'c-gone', event: 'DISCONNECTED', timeout: 3000 }] },
        },
      },
      { portBase: block(22) },
    );
    expect(ran.failure).toBeUndefined();
    expect(ended(ran, 'a-transfer')).toBeLessThanOrEqual(started(ran, 'b-transferred'));
    expect(ran.node('b-transferred').state).toBe('completed');
    expect(ran.call('carol', 'call-1').end?.reason).toBe('remote-bye');
  }, 15_000);

  it('a blind transfer whose target refuses: the transferee’s TRANSFERRED fails with the status, and his call ends (the transferor already hung up)', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { id: 'a-transfer', command: 'BlindTransfer', targetUri: '300' }] },
          bob: { dn: '200', steps: ['INCOMING', 'Answer', { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000, onFailure: [{ id: 'b-gone', event: 'DISCONNECTED', timeout: 3000 }] }] },
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, { event: 'TIMEOUT', timeout: 300 }, { command: 'Reject', status: 486 }] },
        },
      },
      { portBase: block(23) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('a-transfer').state).toBe('completed');
    expect(ran.node('b-transferred').state).toBe('failed');
    expect(ran.node('b-transferred').error).toMatch(/486/);
    expect(ran.node('b-gone').state).toBe('completed');
    const bobCall = ran.call('bob', 'call-1');
    expect(bobCall.sipCallId).toBe(ran.call('alice', 'call-1').sipCallId);
    expect(bobCall.end?.reason).toBe('remote-bye');
  }, 15_000);

  it('a transferred call can be transferred again: alice sends bob to carol, carol sends him on to dave', async () => {
    const ran = await runScenario(
      {
        instances: {
          alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { command: 'BlindTransfer', targetUri: '300' }] },
          bob: {
            dn: '200',
            steps: ['INCOMING', 'Answer', { id: 'b-first', event: 'TRANSFERRED', timeout: 3000 }, { id: 'b-second', event: 'TRANSFERRED', timeout: 3000 }, { event: 'TIMEOUT', timeout: 200 }, { id: 'b-release', command: 'Release' }],
          },
          carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, 'Answer', { id: 'c-transfer', command: 'BlindTransfer', targetUri: '400', waitForNotify: true, timeout: 3000 }] },
          dave: { dn: '400', steps: [{ event: 'INCOMING', timeout: 3000 }, 'Answer', { id: 'd-gone', event: 'DISCONNECTED', timeout: 3000 }] },
        },
      },
      { portBase: block(24) },
    );
    expect(ran.failure).toBeUndefined();
    for (const id of ['b-first', 'b-second', 'c-transfer', 'd-gone']) expect(ran.node(id).state).toBe('completed');
    expect(ran.call('bob', 'call-1').sipCallId).toBe(ran.call('dave', 'call-1').sipCallId);
    expect(ran.call('bob', 'call-1').peer).toBe('400');
    expect(ran.call('dave', 'call-1').end?.reason).toBe('remote-bye');
    expect(ran.call('carol', 'call-1').end?.reason).toBe('local-bye');
  }, 15_000);
});

describe('HELD and RETRIEVED: other ways to say hold', () => {
  it('a session-level a=sendonly and an RFC 2543 c=0.0.0.0 offer are holds too; the resumes are RETRIEVED', async () => {
    const port = block(25);
    const peer = await peerAt(port);
    const engine = engineAt(port);
    const answered = nextEvent(engine, nodeState('b-answer', 'completed'));
    const running = runOn(engine, {
      instances: {
        bob: {
          dn: '200',
          steps: [
            'INCOMING',
            { id: 'b-answer', command: 'Answer' },
            { id: 'b-held-1', event: 'HELD', timeout: 3000 },
            { id: 'b-retrieved-1', event: 'RETRIEVED', timeout: 3000 },
            { id: 'b-held-2', event: 'HELD', timeout: 3000 },
            { id: 'b-retrieved-2', event: 'RETRIEVED', timeout: 3000 },
            { event: 'DISCONNECTED', timeout: 3000 },
          ],
        },
      },
    });
    await wait(50);
    const session = await peer.ua.invite(`sip:200@127.0.0.1:${port}`, { sdp: peer.offer() });
    await answered;
    const bump = (sdp: string, n: number): string => sdp.replace(/^(o=\S+ \S+ )(\d+)/m, (_m, head: string, v: string) => `${head}${BigInt(v) + BigInt(n)}`);
    const original = session.localSdp!;
    // Session-level sendonly, no media-level attribute.
    const sessionLevel = bump(original.replace(/^a=sendrecv\r\n/m, '').replace(/^(t=.*\r\n)/m, '$1a=sendonly\r\n'), 1);
    const ok1 = await session.reinvite(sessionLevel);
    await session.reinvite(bump(original, 2));
    // RFC 2543 hold: c=0.0.0.0 with sendrecv.
    const nullHold = bump(original.replace(/^c=IN IP4 127\.0\.0\.1/m, 'c=IN IP4 0.0.0.0'), 3);
    await session.reinvite(nullHold);
    const retrieved = nextEvent(engine, nodeState('b-retrieved-2', 'completed'));
    await session.reinvite(bump(original, 4));
    await retrieved;
    await session.bye();
    const ran = await running;
    expect(ran.failure).toBeUndefined();
    expect(directions(ok1.bodyText)).toEqual(['recvonly']);
    for (const id of ['b-held-1', 'b-retrieved-1', 'b-held-2', 'b-retrieved-2']) expect(ran.node(id).state).toBe('completed');
  }, 15_000);
});

describe('media after a transfer: the old peer’s trailing RTP', () => {
  // A transferor that is a real phone keeps sending audio until its BYE, which comes after the
  // final NOTIFY; packets of it that arrive once our call has moved to the new peer must not take
  // our media back to it (symmetric RTP must not latch onto the stream the transfer replaced).
  // The transferor here sends every 1 ms rather than 20, so that its packets, not the new
  // peer's, are the first to arrive after the switch: without that, whether the old stream wins
  // is a matter of luck, and the test would be flaky instead of failing.
  it('blind: after TRANSFERRED, bob’s audio and DTMF go to carol even while the transferor still sends him RTP', async () => {
    const port = block(26);
    const peer = await peerAt(port, '100');
    const engine = engineAt(port);
    const answered = nextEvent(engine, nodeState('b-answer', 'completed'));
    const running = runOn(engine, {
      instances: {
        bob: {
          dn: '200',
          steps: ['INCOMING', { id: 'b-answer', command: 'Answer' }, { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000 }, { event: 'TIMEOUT', timeout: 100 }, { id: 'b-dtmf', command: 'SendDTMF', digits: '9' }, { event: 'TIMEOUT', timeout: 400 }, { id: 'b-release', command: 'Release' }],
        },
        carol: { dn: '300', steps: [{ event: 'INCOMING', timeout: 3000 }, 'Answer', { id: 'c-dtmf', event: 'DTMFReceived', expectedDigit: '9', timeout: 2000 }, { id: 'c-gone', event: 'DISCONNECTED', timeout: 3000 }] },
      },
    });
    await wait(50);
    const primary = await peer.ua.invite(`sip:200@127.0.0.1:${port}`, { sdp: peer.offer() });
    await answered;
    const stop = peer.sendRtp(() => rtpTarget(primary.remoteSdp), 1);
    const sub = await primary.refer(`sip:300@127.0.0.1:${port + 2}`);
    const outcome = await sub.done;
    // Still talking for a while after the final NOTIFY, as a phone that hangs up late does.
    await wait(150);
    const afterTransfer = await peer.countRtp(400);
    await wait(400);
    stop();
    await primary.bye();
    const ran = await running;
    expect(outcome.status).toBe(200);
    expect(ran.node('b-transferred').state).toBe('completed');
    // Bob no longer sends to the transferor…
    expect(afterTransfer, 'RTP packets bob still sent to the transferor after the transfer').toBe(0);
    // … and carol hears bob's digit.
    expect(ran.node('c-dtmf').state).toBe('completed');
    expect(ran.failure).toBeUndefined();
  }, 15_000);

  it('attended: after the transfer, bob and carol hear each other (DTMF both ways) even while the transferor still sends RTP on both old legs', async () => {
    const port = block(27);
    const peer = await peerAt(port, '100');
    const engine = engineAt(port);
    const bobAnswered = nextEvent(engine, nodeState('b-answer', 'completed'));
    const carolAnswered = nextEvent(engine, nodeState('c-answer', 'completed'));
    const running = runOn(engine, {
      instances: {
        bob: {
          dn: '200',
          steps: [
            'INCOMING',
            { id: 'b-answer', command: 'Answer' },
            { id: 'b-transferred', event: 'TRANSFERRED', timeout: 3000 },
            { event: 'TIMEOUT', timeout: 100 },
            { id: 'b-dtmf', command: 'SendDTMF', digits: '1' },
            { id: 'b-hears', event: 'DTMFReceived', expectedDigit: '2', timeout: 2000, onFailure: 'b-release' },
            { id: 'b-release', command: 'Release' },
          ],
        },
        carol: {
          dn: '300',
          steps: [
            { event: 'INCOMING', callId: 'consult', timeout: 3000 },
            { id: 'c-answer', command: 'Answer', callId: 'consult' },
            { id: 'c-hears', event: 'DTMFReceived', expectedDigit: '1', callId: 'consult', timeout: 2000, onFailure: 'c-dtmf' },
            { id: 'c-dtmf', command: 'SendDTMF', digits: '2', callId: 'consult' },
            { id: 'c-gone', event: 'DISCONNECTED', callId: 'consult', timeout: 4000 },
          ],
        },
      },
    });
    await wait(50);
    const primary = await peer.ua.invite(`sip:200@127.0.0.1:${port}`, { sdp: peer.offer() });
    await bobAnswered;
    const consult = await peer.ua.invite(`sip:300@127.0.0.1:${port + 2}`, { sdp: peer.offer() });
    await carolAnswered;
    const stop = peer.sendRtp(() => [...rtpTarget(primary.remoteSdp), ...rtpTarget(consult.remoteSdp)], 1);
    const sub = await primary.refer(`sip:300@127.0.0.1:${port + 2}`, { replaces: consult });
    const outcome = await sub.done;
    await wait(150);
    const afterTransfer = await peer.countRtp(400);
    await wait(1200);
    stop();
    await primary.bye();
    const ran = await running;
    expect(outcome.status).toBe(200);
    expect(consult.endReason?.reason).toBe('remote-bye'); // carol ended the replaced dialog
    expect(ran.node('b-transferred').state).toBe('completed');
    expect(afterTransfer, 'RTP packets bob and carol still sent to the transferor after the transfer').toBe(0);
    expect(ran.node('c-hears').state).toBe('completed');
    expect(ran.node('b-hears').state).toBe('completed');
    expect(ran.result.status).toBe('passed');
  }, 15_000);
});
