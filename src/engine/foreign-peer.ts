// A SIP peer with other stacks' manners, for the load warm-up (LoadRunOptions.warmupCalls). It
// calls a sipflow instance and answers sipflow's calls the way real peers write their messages:
// SIPp's built-in scenarios (a bare display name, a Contact without angle brackets, one codec,
// the connection line at session level), a PBX (quoted display names, rport, Allow, Supported,
// Session-Expires, P-Asserted-Identity, Record-Route, several codecs with telephone-event) and a
// softphone with compact header names (escaped quotes, an addr-spec To with a header parameter,
// Contact parameters, media-level c=, bandwidth and rtcp lines, a disabled video stream).
//
// Why: V8 compiles the hot path for the message shapes it has seen. A warm-up of sipflow calling
// itself sees only sipflow's own; when the first calls of a real peer arrive, about twenty hot
// functions (the name-addr and SDP parsers, response building, the executor) are thrown back to
// the interpreter at once, and at a high rate the backlog of those seconds can swamp the run.
//
// It is a scripted peer, not a user agent: it keeps a record per Call-ID, answers at once and never
// retransmits (it talks to instances on this machine). What it cannot finish in time counts as a
// failed warm-up call; it never stops the load.

import type { SipRequest, SipResponse } from '../sip/parser/message.js';
import type { Clock, TimerHandle } from '../sip/transport/clock.js';
import type { Endpoint, InboundMessage, Transport } from '../sip/transport/transport.js';

/** How long one call of the peer may take, ms, before it counts as failed. */
export const FOREIGN_CALL_TIMEOUT_MS = 5000;

/** The manners the peer takes in turn, one per call. */
export const FOREIGN_STYLES = ['sipp', 'pbx', 'compact'] as const;

/** One of {@link FOREIGN_STYLES}. */
export type ForeignStyle = (typeof FOREIGN_STYLES)[number];

/** What a run of calls by the peer ({@link ForeignPeer.callIn}) came to. */
export interface ForeignCallFigures {
  /** Calls started. */
  readonly calls: number;
  /** Calls that did not end with a 2xx to their BYE in time. */
  readonly failed: number;
  /** Why the first failed call failed. */
  readonly problem: string | undefined;
}

/** Where the peer is, as its messages write it. */
interface Here {
  /** The IP address. */
  readonly ip: string;
  /** `IP4` or `IP6`, for SDP. */
  readonly family: 'IP4' | 'IP6';
  /** host:port for URIs and Via (an IPv6 address in brackets). */
  readonly hostport: string;
}

/** A call the peer places. */
interface PlacedCall {
  /** The peer's count when it was placed: what makes its identifiers unique. */
  readonly n: number;
  readonly style: ForeignStyle;
  readonly callId: string;
  readonly fromTag: string;
  readonly branch: string;
  /** The Request-URI's user and host:port. */
  readonly user: string;
  readonly target: string;
  readonly destination: Endpoint;
  /** The callee's tag, once it answered. */
  toTag: string | undefined;
  /** Where in-dialog requests go: the 2xx's Contact (RFC 3261 §12.1.2), else the Request-URI. */
  remoteTarget: string | undefined;
  /** Whether the BYE went out. */
  byeSent: boolean;
  readonly timer: TimerHandle;
  readonly done: (problem: string | undefined) => void;
}

/** A call the peer answers: its style, and the responses to send again for a re-sent INVITE. */
interface AnsweredCall {
  readonly style: ForeignStyle;
  readonly sent: readonly string[];
}

const CRLF = '\r\n';
const encoder = new TextEncoder();

/** A whole message: start line, header lines, the body's length under `lengthName`, the body. */
function message(start: string, headers: readonly string[], body: string, lengthName: string): string {
  return `${start}${CRLF}${headers.join(CRLF)}${CRLF}${lengthName}: ${encoder.encode(body).length}${CRLF}${CRLF}${body}`;
}

/** SDP text from its lines. */
function sdp(lines: readonly string[]): string {
  return lines.join(CRLF) + CRLF;
}

/** The INVITE's offer as the style writes it, RTP on `rtp`. */
function offerOf(style: ForeignStyle, here: Here, rtp: number): string {
  const { ip, family } = here;
  switch (style) {
    case 'sipp':
      return sdp(['v=0', `o=user1 53655765 2353687637 IN ${family} ${ip}`, 's=-', `c=IN ${family} ${ip}`, 't=0 0', `m=audio ${rtp} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000']);
    case 'pbx':
      return sdp([
        'v=0', `o=- 1765062000 1765062000 IN ${family} ${ip}`, 's=Asterisk', `c=IN ${family} ${ip}`, 't=0 0',
        `m=audio ${rtp} RTP/AVP 0 8 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16', 'a=ptime:20', 'a=maxptime:150', 'a=sendrecv',
      ]);
    case 'compact':
      return sdp([
        'v=0', `o=alice 2890844526 2890844526 IN ${family} ${ip}`, 's=Talk', 't=0 0', 'a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL',
        `m=audio ${rtp} RTP/AVP 8 0 96 101`, `c=IN ${family} ${ip}`, 'b=AS:80', 'a=rtpmap:96 opus/48000/2', 'a=fmtp:96 useinbandfec=1',
        'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', `a=rtcp:${rtp + 1}`, 'm=video 0 RTP/AVP 97', 'a=rtpmap:97 H264/90000',
      ]);
  }
}

/**
 * An answer to sipflow's offer as the style writes it: the first of PCMU and PCMA it offered, and
 * telephone-event with its payload type when offered (RFC 3264 §6.1: only what was offered), one
 * m= line for each of the offer's, the ones it cannot take with port 0.
 */
function answerOf(style: ForeignStyle, offer: string, here: Here, rtp: number): string {
  const { ip, family } = here;
  const lines: string[] = [];
  if (style === 'compact') lines.push('v=0', `o=bob 2890844730 2890844731 IN ${family} ${ip}`, 's=Talk', 't=0 0');
  else if (style === 'pbx') lines.push('v=0', `o=- 1765062001 1765062002 IN ${family} ${ip}`, 's=Asterisk', `c=IN ${family} ${ip}`, 't=0 0');
  else lines.push('v=0', `o=user1 53655765 2353687637 IN ${family} ${ip}`, 's=-', `c=IN ${family} ${ip}`, 't=0 0');
  let audioAnswered = false;
  for (const section of offer.split(/\r?\nm=/).slice(1)) {
    const [kind = '', , proto = 'RTP/AVP', ...formats] = section.split(/\r?\n/, 1)[0]!.split(' ');
    const pcm = formats.find((f) => f === '0' || f === '8');
    if (kind !== 'audio' || audioAnswered || pcm === undefined) {
      lines.push(`m=${kind} 0 ${proto} ${formats[0] ?? '0'}`);
      continue;
    }
    audioAnswered = true;
    const dtmf = /^a=rtpmap:(\d+) telephone-event\/8000/m.exec(section)?.[1];
    const chosen = dtmf !== undefined && style !== 'sipp' ? [pcm, dtmf] : [pcm];
    lines.push(`m=audio ${rtp} ${proto} ${chosen.join(' ')}`);
    if (style === 'compact') lines.push(`c=IN ${family} ${ip}`, 'b=AS:64');
    lines.push(`a=rtpmap:${pcm} ${pcm === '0' ? 'PCMU' : 'PCMA'}/8000`);
    if (chosen.length > 1) lines.push(`a=rtpmap:${dtmf} telephone-event/8000`, `a=fmtp:${dtmf} 0-16`);
    if (style === 'pbx') lines.push('a=ptime:20', 'a=sendrecv');
    if (style === 'compact') lines.push(`a=rtcp:${rtp + 1}`);
  }
  return sdp(lines);
}

/** The INVITE, ACK or BYE of a placed call, as its style writes them. */
function requestOf(call: PlacedCall, method: 'INVITE' | 'ACK' | 'BYE', branch: string, here: Here, rtp: number): string {
  const { style, callId, fromTag, user, target } = call;
  const toTag = call.toTag === undefined ? '' : `;tag=${call.toTag}`;
  const uri = method === 'INVITE' || call.remoteTarget === undefined ? `sip:${user}@${target}` : call.remoteTarget;
  const cseq = method === 'BYE' ? 2 : 1;
  const body = method === 'INVITE' ? offerOf(style, here, rtp) : '';
  const me = here.hostport;
  switch (style) {
    case 'sipp': {
      const headers = [
        `Via: SIP/2.0/UDP ${me};branch=${branch}`, `From: sipp <sip:sipp@${me}>;tag=${fromTag}`, `To: ${user} <sip:${user}@${target}>${toTag}`,
        `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, `Contact: sip:sipp@${me}`, 'Max-Forwards: 70', 'Subject: Performance Test',
      ];
      if (body !== '') headers.push('Content-Type: application/sdp');
      return message(`${method} ${uri} SIP/2.0`, headers, body, 'Content-Length');
    }
    case 'pbx': {
      const headers = [
        `Via: SIP/2.0/UDP ${me};rport;branch=${branch}`, 'Max-Forwards: 70', `From: "Front Desk" <sip:2001@${here.ip.includes(':') ? `[${here.ip}]` : here.ip}>;tag=${fromTag}`,
        `To: <sip:${user}@${target}>${toTag}`, `Contact: <sip:2001@${me}>`, `Call-ID: ${callId}`, `CSeq: ${10450 + cseq} ${method}`,
      ];
      if (method === 'INVITE') {
        headers.push(
          'Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER',
          'Supported: timer, replaces, norefersub', 'Session-Expires: 1800', 'Min-SE: 90',
          `P-Asserted-Identity: "Front Desk" <sip:2001@${me}>`, 'User-Agent: Asterisk PBX 20.5.0', 'Content-Type: application/sdp',
        );
      }
      return message(`${method} ${uri} SIP/2.0`, headers, body, 'Content-Length');
    }
    case 'compact': {
      const headers = [
        `v: SIP/2.0/UDP ${me};branch=${branch};rport`, `f: "Alice \\"A\\" Smith" <sip:alice@example.com>;tag=${fromTag}`, `t: sip:${user}@${target}${toTag}`,
        `i: ${callId}`, `CSeq: ${20 + cseq} ${method}`, `m: <sip:alice@${me};transport=udp>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-00d0c9a1b2c3>"`,
        'Max-Forwards: 70',
      ];
      if (method === 'INVITE') headers.push('k: replaces, outbound', 'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE', 'c: application/sdp');
      return message(`${method} ${method === 'INVITE' ? `${uri};transport=udp` : uri} SIP/2.0`, headers, body, 'l');
    }
  }
}

/**
 * A response to `request` as the style writes it: Via, From, To (with `toTag` unless the request's
 * To has one or the status is 100), Call-ID and CSeq copied from the request (RFC 3261 §8.2.6.2).
 */
function responseOf(style: ForeignStyle, request: SipRequest, status: number, reason: string, toTag: string, here: Here, body: string): string {
  const vias = request.headers('via');
  const from = request.header('from') ?? '';
  const to = request.header('to') ?? '';
  const tagged = status === 100 || request.toTag !== undefined ? to : `${to};tag=${toTag}`;
  const callId = request.header('call-id') ?? '';
  const cseq = request.header('cseq') ?? '';
  const me = here.hostport;
  const headers: string[] = [];
  switch (style) {
    case 'sipp':
      for (const via of vias) headers.push(`Via: ${via}`);
      headers.push(`From: ${from}`, `To: ${tagged}`, `Call-ID: ${callId}`, `CSeq: ${cseq}`);
      if (status !== 100 && request.method !== 'BYE') headers.push(`Contact: <sip:${me};transport=UDP>`);
      if (body !== '') headers.push('Content-Type: application/sdp');
      return message(`SIP/2.0 ${status} ${reason}`, headers, body, 'Content-Length');
    case 'pbx':
      for (const via of vias) headers.push(`Via: ${via}`);
      if (status >= 200 && status < 300 && request.method === 'INVITE') headers.push(`Record-Route: <sip:${me};lr>`);
      headers.push(`Call-ID: ${callId}`, `From: ${from}`, `To: ${tagged}`, `CSeq: ${cseq}`, 'Server: Asterisk PBX 20.5.0');
      if (status !== 100 && request.method === 'INVITE') {
        headers.push('Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, REFER', `Contact: <sip:${'user' in request.uri ? (request.uri.user ?? 's') : 's'}@${me}>`, 'Supported: timer, replaces, norefersub');
      }
      if (body !== '') headers.push('Content-Type: application/sdp');
      return message(`SIP/2.0 ${status} ${reason}`, headers, body, 'Content-Length');
    case 'compact':
      headers.push(`v: ${vias.join(', ')}`, `f: ${from}`, `t: ${tagged}`, `i: ${callId}`, `CSeq: ${cseq}`);
      if (status !== 100 && request.method === 'INVITE') headers.push(`m: <sip:bob@${me}>;expires=3600`);
      if (body !== '') headers.push('c: application/sdp');
      return message(`SIP/2.0 ${status} ${reason}`, headers, body, 'l');
  }
}

/** Responses the style sends to an INVITE before its 2xx. */
const PROVISIONALS: Readonly<Record<ForeignStyle, readonly (readonly [number, string])[]>> = {
  sipp: [[180, 'Ringing']],
  pbx: [[100, 'Trying'], [180, 'Ringing']],
  compact: [[180, 'Ringing']],
};

/**
 * The scripted peer: {@link ForeignPeer.callIn} places calls on a target, and INVITEs that reach it
 * are answered at once (provisional, then 200 with an SDP answer) and their BYE with 200, each call
 * in the next of {@link FOREIGN_STYLES}.
 */
export class ForeignPeer {
  private readonly here: Here;
  private readonly placed = new Map<string, PlacedCall>();
  private readonly answered = new Map<string, AnsweredCall>();
  /** Calls placed and answered so far: each takes the next style and new identifiers. */
  private count = 0;
  /** What makes this peer's identifiers its own. */
  private readonly prefix = Math.random().toString(36).slice(2, 10);

  private constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
  ) {
    const { address, port } = transport.local;
    const v6 = address.includes(':');
    this.here = { ip: address, family: v6 ? 'IP6' : 'IP4', hostport: v6 ? `[${address}]:${port}` : `${address}:${port}` };
    transport.setHandlers({ message: (inbound) => this.receive(inbound) });
  }

  /** The peer on a transport bound by `bind` at `address` (port chosen by the system). */
  static async open(bind: (local: Endpoint) => Promise<Transport>, address: string, clock: Clock): Promise<ForeignPeer> {
    return new ForeignPeer(await bind({ address, port: 0 }), clock);
  }

  /** Where the peer listens: calls to `sip:<anyone>@` this reach it. */
  get local(): Endpoint {
    return this.transport.local;
  }

  /**
   * Places `calls` calls on `user` at `destination`, `concurrency` at once: INVITE, ACK of the 2xx,
   * BYE at once, done on the BYE's 2xx. Resolves when all have ended; never rejects.
   */
  async callIn(destination: Endpoint, user: string, calls: number, concurrency: number): Promise<ForeignCallFigures> {
    let started = 0;
    let failed = 0;
    let problem: string | undefined;
    const next = async (): Promise<void> => {
      while (started < calls) {
        started++;
        const outcome = await this.place(destination, user);
        if (outcome !== undefined) {
          failed++;
          problem ??= outcome;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, calls)) }, next));
    return { calls: started, failed, problem };
  }

  /** Stops receiving; calls still placed fail. */
  async close(): Promise<void> {
    for (const call of [...this.placed.values()]) this.finish(call, 'the warm-up peer closed');
    await this.transport.close();
  }

  /** One call; resolves with why it failed, or undefined. */
  private place(destination: Endpoint, user: string): Promise<string | undefined> {
    const n = this.count++;
    const style = FOREIGN_STYLES[n % FOREIGN_STYLES.length]!;
    const target = destination.address.includes(':') ? `[${destination.address}]:${destination.port}` : `${destination.address}:${destination.port}`;
    return new Promise((resolve) => {
      const call: PlacedCall = {
        n,
        style,
        callId: `${n}-${this.prefix}@${this.here.ip.includes(':') ? `[${this.here.ip}]` : this.here.ip}`,
        fromTag: `${this.prefix}${n}`,
        branch: this.branch(n, 'i'),
        user,
        target,
        destination,
        toTag: undefined,
        remoteTarget: undefined,
        byeSent: false,
        timer: this.clock.setTimer(FOREIGN_CALL_TIMEOUT_MS, () => this.finish(call, `no end within ${FOREIGN_CALL_TIMEOUT_MS} ms (${style})`)),
        done: resolve,
      };
      this.placed.set(call.callId, call);
      this.send(requestOf(call, 'INVITE', call.branch, this.here, 40000 + 2 * (n % 1000)), destination, call);
    });
  }

  private finish(call: PlacedCall, problem: string | undefined): void {
    if (this.placed.get(call.callId) !== call) return;
    this.placed.delete(call.callId);
    this.clock.clearTimer(call.timer);
    call.done(problem);
  }

  /** A branch of this peer's: the RFC 3261 magic cookie, then its own (§8.1.1.7). */
  private branch(n: number, what: string): string {
    return `z9hG4bK${this.prefix}${what}${n}`;
  }

  private send(text: string, destination: Endpoint, call?: PlacedCall): void {
    this.transport.send(encoder.encode(text), destination).catch((err: unknown) => {
      if (call !== undefined) this.finish(call, `could not send: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private receive(inbound: InboundMessage): void {
    const { message: m } = inbound;
    if ('status' in m) this.response(m);
    else this.request(m, inbound.source);
  }

  /** A response to a call the peer placed. */
  private response(response: SipResponse): void {
    const call = this.placed.get(response.callId ?? '');
    if (call === undefined) return;
    const method = response.cseq?.method;
    if (method === 'BYE') {
      if (response.status >= 200) this.finish(call, response.status < 300 ? undefined : `${response.status} ${response.reason} to the BYE (${call.style})`);
      return;
    }
    if (method !== 'INVITE' || response.status < 200) return;
    if (response.status >= 300) {
      // RFC 3261 §17.1.1.3: the ACK of a non-2xx final is in the INVITE's transaction (same branch).
      call.toTag = response.toTag;
      this.send(requestOf(call, 'ACK', call.branch, this.here, 0), call.destination);
      this.finish(call, `${response.status} ${response.reason} to the INVITE (${call.style})`);
      return;
    }
    // RFC 3261 §13.2.2.4: a 2xx is ACKed end to end, a new transaction; a re-sent 2xx is ACKed again.
    call.toTag ??= response.toTag;
    const first = response.contacts[0];
    const contact = first !== undefined && 'uri' in first ? first.uri : undefined;
    // (SIPp's scenarios send them to the Request-URI; the others follow RFC 3261 §12.1.2.)
    if (call.style !== 'sipp' && contact !== undefined) call.remoteTarget ??= String(contact);
    this.send(requestOf(call, 'ACK', this.branch(call.n, 'a'), this.here, 0), call.destination);
    if (!call.byeSent) {
      call.byeSent = true;
      this.send(requestOf(call, 'BYE', this.branch(call.n, 'b'), this.here, 0), call.destination, call);
    }
  }

  /** A request from sipflow: an INVITE to answer, its ACK, a BYE. */
  private request(request: SipRequest, source: Endpoint): void {
    const callId = request.callId ?? '';
    const method = request.method;
    if (method === 'ACK') return;
    if (method === 'INVITE') {
      const known = this.answered.get(callId);
      if (known !== undefined) {
        // A re-sent INVITE: the same responses again (RFC 3261 §17.2.1 re-sends the last one).
        this.send(known.sent[known.sent.length - 1]!, source);
        return;
      }
      const n = this.count++;
      const style = FOREIGN_STYLES[n % FOREIGN_STYLES.length]!;
      const tag = `${this.prefix}t${n}`;
      const sent = PROVISIONALS[style].map(([status, reason]) => responseOf(style, request, status, reason, tag, this.here, ''));
      sent.push(responseOf(style, request, 200, 'OK', tag, this.here, answerOf(style, request.bodyText, this.here, 42000 + 2 * (n % 1000))));
      this.answered.set(callId, { style, sent });
      for (const text of sent) this.send(text, source);
      return;
    }
    const style = this.answered.get(callId)?.style ?? 'sipp';
    if (method === 'BYE') this.answered.delete(callId);
    // A BYE (or anything else in a call: CANCEL, OPTIONS, INFO …) is taken: 200.
    this.send(responseOf(style, request, 200, 'OK', `${this.prefix}x`, this.here, ''), source);
  }
}
