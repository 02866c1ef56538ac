// The load warm-up's foreign peer over real UDP on loopback, against sipflow's UserAgent: it calls
// in each of its styles (SIPp's, a PBX's, a softphone's compact headers) and the UA answers every
// one; it answers the UA's calls in each style, with an SDP answer the UA takes; a refused call is
// ACKed on the INVITE's branch and counted; a call nobody answers and a peer closed mid-call fail
// with their reason.

import { afterEach, describe, expect, it } from 'vitest';
import { ForeignPeer, FOREIGN_CALL_TIMEOUT_MS, FOREIGN_STYLES } from '../../src/engine/foreign-peer.js';
import { sdpOfferAnswer } from '../../src/sdp/index.js';
import { type DialogSession, type IncomingCall, UserAgent, type UserAgentEvent } from '../../src/sip/dialog/index.js';
import { parseMessage, type SipRequest } from '../../src/sip/parser/index.js';
import { RealClock, VirtualClock, type Clock } from '../../src/sip/transport/clock.js';
import type { Endpoint, Transport } from '../../src/sip/transport/transport.js';
import { UdpTransport } from '../../src/sip/transport/udp.js';

const bind = (local: Endpoint): Promise<Transport> => UdpTransport.bind({ host: local.address, port: local.port });
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function peer(clock: Clock = new RealClock()): Promise<ForeignPeer> {
  const p = await ForeignPeer.open(bind, '127.0.0.1', clock);
  open.push(p);
  return p;
}

async function agent(user: string): Promise<{ ua: UserAgent; errors: UserAgentEvent[] }> {
  const ua = new UserAgent({ bind: { host: '127.0.0.1', port: 0 }, identity: { user }, offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port: 44000 }) });
  open.push(ua);
  const errors: UserAgentEvent[] = [];
  ua.on('event', (e) => {
    if (e.type === 'error') errors.push(e);
  });
  await ua.ready;
  return { ua, errors };
}

describe('ForeignPeer', () => {
  it('calls a user agent in each of its styles, and the user agent answers and takes the BYE of every one', async () => {
    const bob = await agent('bob');
    const seen: { request: SipRequest; ended: Promise<string> }[] = [];
    bob.ua.on('invite', (call: IncomingCall) => {
      call.ringing();
      const session = call.answer();
      seen.push({ request: call.request, ended: session.then((s: DialogSession) => new Promise((resolve) => s.signal.addEventListener('abort', () => resolve(s.signal.reason.reason)))) });
    });
    const p = await peer();
    const figures = await p.callIn(bob.ua.local, 'bob', 6, 2);
    expect(figures).toEqual({ calls: 6, failed: 0, problem: undefined });
    expect(seen).toHaveLength(6);
    expect(await Promise.all(seen.map((s) => s.ended))).toEqual(Array(6).fill('remote-bye'));
    const first = seen.slice(0, 3).map((s) => s.request);
    // SIPp's: a bare display name, one codec, c= for the session
    expect(first[0]!.from?.displayName).toBe('sipp');
    expect(String(first[0]!.contacts[0])).toMatch(/^<sip:sipp@127\.0\.0\.1:\d+>$/);
    expect(first[0]!.bodyText).toMatch(/\r\nc=IN IP4 127\.0\.0\.1\r\nt=0 0\r\nm=audio \d+ RTP\/AVP 0\r\n/);
    // A PBX's: a quoted display name, rport, session timer and identity headers, three formats
    expect(first[1]!.from?.displayName).toBe('Front Desk');
    expect(first[1]!.vias[0]!.params.has('rport')).toBe(true);
    expect(first[1]!.header('session-expires')).toBe('1800');
    expect(first[1]!.bodyText).toContain('m=audio 40002 RTP/AVP 0 8 101\r\n');
    // A softphone's: compact names, escaped quotes, a To without brackets, media-level c=, a disabled video stream
    const compact = first[2]!;
    expect(compact.headerFields().map((f) => f.name)).toEqual(expect.arrayContaining(['v', 'f', 't', 'i', 'm', 'k', 'c', 'l']));
    expect(compact.from?.displayName).toBe('Alice "A" Smith');
    expect(compact.to?.uri.toString()).toMatch(/^sip:bob@127\.0\.0\.1:\d+$/);
    expect(compact.bodyText).toMatch(/m=audio 40004 RTP\/AVP 8 0 96 101\r\nc=IN IP4 127\.0\.0\.1\r\n/);
    expect(compact.bodyText).toContain('m=video 0 RTP/AVP 97');
    expect(bob.errors).toEqual([]);
  });

  it('answers a user agent\'s calls in each of its styles: provisionals, a 2xx with an answer it takes, 200 to the BYE', async () => {
    const alice = await agent('alice');
    const p = await peer();
    const target = `sip:someone@127.0.0.1:${p.local.port}`;
    const offer = sdpOfferAnswer({ address: '127.0.0.1', port: 44000 }).createOffer(undefined);
    for (const style of FOREIGN_STYLES) {
      const statuses: number[] = [];
      const session = await alice.ua.invite(target, { sdp: offer, onProgress: (r) => statuses.push(r.status) });
      expect(session.state, style).toBe('confirmed');
      // an answer of what was offered: PCMU, with telephone-event only where it was offered
      expect(session.remoteSdp, style).toMatch(/\r\nm=audio 4\d+ RTP\/AVP 0(\r\n| )/);
      expect(statuses, style).toEqual(style === 'pbx' ? [100, 180] : [180]);
      // the PBX's 2xx had a Record-Route: the BYE follows it
      expect(session.dialog.routeSet.map(String), style).toEqual(style === 'pbx' ? [`<sip:127.0.0.1:${p.local.port};lr>`] : []);
      expect((await session.bye())?.status, style).toBe(200);
    }
    expect(alice.errors).toEqual([]);
  });

  it('counts a refused call, and ACKs its final response on the INVITE\'s branch (RFC 3261 §17.1.1.3)', async () => {
    const sipflow = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
    open.push(sipflow);
    const received: SipRequest[] = [];
    sipflow.setHandlers({
      message: ({ message, source }) => {
        if ('status' in message) return;
        received.push(message);
        if (message.method !== 'INVITE') return;
        const h = (n: string): string => message.header(n) ?? '';
        const busy = `SIP/2.0 486 Busy Here\r\nVia: ${h('via')}\r\nFrom: ${h('from')}\r\nTo: ${h('to')};tag=busy\r\nCall-ID: ${h('call-id')}\r\nCSeq: ${h('cseq')}\r\nContent-Length: 0\r\n\r\n`;
        void sipflow.send(new TextEncoder().encode(busy), source);
      },
    });
    const p = await peer();
    expect(await p.callIn(sipflow.local, 'bob', 1, 1)).toEqual({ calls: 1, failed: 1, problem: '486 Busy Here to the INVITE (sipp)' });
    await new Promise((r) => setTimeout(r, 50));
    expect(received.map((r) => r.method)).toEqual(['INVITE', 'ACK']);
    const [invite, ack] = received as [SipRequest, SipRequest];
    expect(ack.vias[0]!.branch).toBe(invite.vias[0]!.branch);
    expect(ack.to?.tag).toBe('busy');
    expect(ack.cseq).toEqual({ seq: 1, method: 'ACK' });
  });

  it(`fails a call that ends nowhere after ${FOREIGN_CALL_TIMEOUT_MS} ms, and calls still placed when it closes`, async () => {
    const silent = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
    open.push(silent);
    const invites: string[] = [];
    silent.setHandlers({ message: ({ message }) => void invites.push(String(message.callId)) });
    const clock = new VirtualClock();
    const p = await peer(clock);
    const figures = p.callIn(silent.local, 'bob', 1, 1);
    while (invites.length === 0) await new Promise((r) => setTimeout(r, 5));
    clock.advance(FOREIGN_CALL_TIMEOUT_MS - 1);
    let done = false;
    void figures.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    clock.advance(1);
    expect(await figures).toEqual({ calls: 1, failed: 1, problem: `no end within ${FOREIGN_CALL_TIMEOUT_MS} ms (sipp)` });
    // Another call, and the peer closes under it.
    const second = p.callIn(silent.local, 'bob', 1, 1);
    while (invites.length === 1) await new Promise((r) => setTimeout(r, 5));
    await p.close();
    expect(await second).toEqual({ calls: 1, failed: 1, problem: 'the warm-up peer closed' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('writes its forms on the wire, in messages the parser takes with their Content-Length', async () => {
    const raw = await UdpTransport.bind({ host: '127.0.0.1', port: 0 });
    open.push(raw);
    const texts: string[] = [];
    raw.setHandlers({ message: ({ data }) => void texts.push(new TextDecoder('latin1').decode(data)) });
    const clock = new VirtualClock();
    const p = await peer(clock);
    const figures = p.callIn(raw.local, 'bob', 3, 3);
    while (texts.length < 3) await new Promise((r) => setTimeout(r, 5));
    // SIPp's Contact without brackets; the PBX's quoted name; the softphone's compact names and To
    expect(texts[0]).toMatch(/\r\nContact: sip:sipp@127\.0\.0\.1:\d+\r\n/);
    expect(texts[1]).toMatch(/\r\nFrom: "Front Desk" <sip:2001@127\.0\.0\.1>;tag=\w+\r\n/);
    expect(texts[2]).toMatch(/\r\nt: sip:bob@127\.0\.0\.1:\d+\r\n/);
    expect(texts[2]).toMatch(/\r\nl: \d+\r\n\r\n/);
    for (const text of texts) {
      const m = parseMessage(text) as SipRequest;
      expect(m.method).toBe('INVITE');
      expect(Number(m.header('content-length') ?? m.header('l'))).toBe(new TextEncoder().encode(text.slice(text.indexOf('\r\n\r\n') + 4)).length);
    }
    clock.advance(FOREIGN_CALL_TIMEOUT_MS);
    expect((await figures).failed).toBe(3);
  });
});
