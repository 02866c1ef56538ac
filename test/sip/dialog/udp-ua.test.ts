// Two UserAgents over real UDP on 127.0.0.1: a call end to end, responses routed by rport
// (RFC 3581) when the Via sent-by is wrong, and close() leaving no socket or timer behind.
import { describe, expect, it } from 'vitest';
import { sdpOfferAnswer } from '../../../src/sdp/index.js';
import { type DialogSession, UserAgent, type UserAgentEvent } from '../../../src/sip/dialog/index.js';

/** Handles of the kinds a user agent owns (sockets, timers), counted by type. */
function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'UDPWRAP' || kind === 'Timeout') counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

function ua(user: string, port: number, extra: Partial<ConstructorParameters<typeof UserAgent>[0]> = {}): { ua: UserAgent; events: UserAgentEvent[] } {
  const agent = new UserAgent({
    bind: { host: '127.0.0.1', port: 0 },
    identity: { user },
    offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port }),
    ...extra,
  });
  const events: UserAgentEvent[] = [];
  agent.on('event', (e) => events.push(e));
  return { ua: agent, events };
}

describe('UserAgent over UDP on loopback', () => {
  it('places, answers, holds and ends a call; close() leaves no socket or timer', async () => {
    const before = handles();
    const alice = ua('alice', 40000);
    const bob = ua('bob', 42000);
    await Promise.all([alice.ua.ready, bob.ua.ready]);
    const answered = new Promise<DialogSession>((resolve, reject) => {
      bob.ua.on('invite', (call) => {
        expect(call.from?.uri.toString()).toContain('sip:alice@');
        // the same URI, read from the text without building the From
        expect(call.fromUri).toBe(call.from!.uri.toString());
        // a copy: changing it changes neither the INVITE nor what our responses copy of it
        const fromTag = call.from!.tag;
        call.from!.tag = 'changed';
        call.to!.displayName = 'Changed';
        expect(call.from!.tag).toBe(fromTag);
        expect(call.to!.displayName).toBeUndefined();
        call.ringing();
        call.answer().then(resolve, reject);
      });
    });
    const statuses: number[] = [];
    const session = await alice.ua.invite(`sip:bob@127.0.0.1:${bob.ua.local.port}`, {
      sdp: sdpOfferAnswer({ address: '127.0.0.1', port: 40000 }).createOffer(undefined),
      onProgress: (r) => statuses.push(r.status),
    });
    const bobSession = await answered;
    expect(statuses).toContain(180);
    expect(session.remoteSdp).toContain('m=audio 42000');
    expect(bobSession.remoteSdp).toContain('m=audio 40000');
    const reinvited = new Promise((resolve) => bobSession.once('reinvite', resolve));
    await session.reinvite(session.localSdp!.replace('a=sendrecv', 'a=sendonly'));
    expect(session.remoteSdp).toContain('a=recvonly');
    await reinvited;
    const info = new Promise<string>((resolve) => bobSession.once('info', (e) => resolve(e.request.bodyText)));
    await session.info('Signal=1\r\nDuration=100\r\n');
    expect(await info).toBe('Signal=1\r\nDuration=100\r\n');
    // close() ends the call with BYE, then releases everything.
    await alice.ua.close();
    expect(session.signal.reason.reason).toBe('closed');
    await new Promise((r) => setTimeout(r, 50));
    expect(bobSession.signal.aborted).toBe(true);
    expect(bobSession.signal.reason.reason).toBe('remote-bye');
    await bob.ua.close();
    expect(alice.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(bob.events.filter((e) => e.type === 'error')).toEqual([]);
    await new Promise((r) => setImmediate(r));
    // Nothing of ours is left: no more sockets or timers than before (others may have ended meanwhile).
    for (const [kind, n] of handles()) expect(n, kind).toBeLessThanOrEqual(before.get(kind) ?? 0);
  });

  it('refuses to send with a contactHost that cannot stand in a Via, saying why', async () => {
    const alice = ua('alice', 40000, { contactHost: 'bad host' });
    await alice.ua.ready;
    await expect(alice.ua.invite('sip:bob@127.0.0.1:9', { sdp: sdpOfferAnswer({ address: '127.0.0.1', port: 40000 }).createOffer(undefined) })).rejects.toThrow(/Via|host/i);
    await alice.ua.close();
  });

  it('gets its responses through rport when the Via sent-by cannot be reached (RFC 3581)', async () => {
    // Alice advertises an address nobody listens on; Bob's responses must still reach her
    // (received/rport on the top Via), so the call completes.
    const alice = ua('alice', 40000, { contactHost: '127.0.0.99' });
    const bob = ua('bob', 42000);
    await Promise.all([alice.ua.ready, bob.ua.ready]);
    let via = '';
    bob.ua.on('invite', (call) => {
      via = call.request.header('Via') ?? '';
      call.answer().catch(() => undefined); // may still await the ACK when the test closes
    });
    const session = await alice.ua.invite(`sip:bob@127.0.0.1:${bob.ua.local.port}`, { sdp: sdpOfferAnswer({ address: '127.0.0.1', port: 40000 }).createOffer(undefined) });
    expect(via).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.99:\d+;branch=z9hG4bK[^;]+;rport=\d+;received=127\.0\.0\.1$|^SIP\/2\.0\/UDP 127\.0\.0\.99:\d+;branch=z9hG4bK[^;]+;received=127\.0\.0\.1;rport=\d+$/);
    expect(session.state).toBe('confirmed');
    // Alice hangs up (Bob's BYE would go to the unreachable Contact and wait out closeTimeout).
    expect((await session.bye())?.status).toBe(200);
    await Promise.all([alice.ua.close(), bob.ua.close()]);
    expect(alice.events.filter((e) => e.type === 'error')).toEqual([]);
  });
});
