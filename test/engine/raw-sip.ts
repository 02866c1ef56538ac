// A hand-driven SIP peer on real UDP loopback for the engine tests: no transaction layer, no
// dialog layer. It sends exactly the text it is given (an INVITE it will never ACK …) and keeps
// everything that arrives, so a test can play a misbehaving peer against the engine.

import { createSocket, type Socket } from 'node:dgram';
import { createResponse, parseMessage, serializeMessage, type HeaderInit, type SipRequest, type SipResponse } from '../../src/sip/parser/index.js';

export interface RawReceived {
  readonly message: SipRequest | SipResponse;
  readonly text: string;
  readonly from: { address: string; port: number };
}

let counter = 0;

export class RawSip {
  readonly received: RawReceived[] = [];
  private readonly socket: Socket;
  readonly port: number;
  private waiters: Array<() => void> = [];
  /** Answer BYE, CANCEL and other requests but INVITE and ACK with 200 at once, and ACK a 300–699 to an INVITE (default true). */
  autoAnswer = true;
  /** Called with each new INVITE (retransmissions of one already seen are not passed on). */
  onInvite: ((invite: SipRequest) => void) | undefined;
  /** Called with every message that arrives (after it is recorded). */
  onMessage: ((message: SipRequest | SipResponse, from: { address: string; port: number }) => void) | undefined;
  private readonly invites = new Set<string>();

  private constructor(socket: Socket, port: number) {
    this.socket = socket;
    this.port = port;
    socket.on('message', (data, rinfo) => {
      let message: SipRequest | SipResponse;
      try {
        message = parseMessage(new Uint8Array(data));
      } catch {
        return;
      }
      this.received.push({ message, text: data.toString('utf8'), from: { address: rinfo.address, port: rinfo.port } });
      // BYE, CANCEL and the like get a 200 at once; INVITE and ACK are the test's business.
      if (this.autoAnswer && message.isRequest && message.method !== 'INVITE' && message.method !== 'ACK') void this.respond(message, 200, rinfo.port);
      // A 300–699 to our INVITE is ACKed in its transaction, as any UAC does (RFC 3261 §17.1.1.3).
      if (this.autoAnswer && !message.isRequest && message.status >= 300 && message.cseq?.method === 'INVITE') {
        const ack = [`ACK ${String(message.to!.uri)} SIP/2.0`, `Via: ${message.header('Via')}`, `From: ${message.header('From')}`, `To: ${message.header('To')}`, `Call-ID: ${message.callId}`, `CSeq: ${message.cseq.seq} ACK`, 'Max-Forwards: 70', 'Content-Length: 0', '', ''];
        void this.send(ack, rinfo.port);
      }
      if (message.isRequest && message.method === 'INVITE') {
        const key = `${message.callId} ${message.cseq?.seq}`;
        if (!this.invites.has(key)) {
          this.invites.add(key);
          this.onInvite?.(message);
        }
      }
      this.onMessage?.(message, { address: rinfo.address, port: rinfo.port });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Binds 127.0.0.1:`port`. */
  static open(port: number): Promise<RawSip> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new RawSip(socket, port));
      });
    });
  }

  /** Sends `text` (lines joined with CRLF when given as a list) to 127.0.0.1:`port`. */
  send(text: string | readonly string[], port: number): Promise<void> {
    const data = Buffer.from(typeof text === 'string' ? text : text.join('\r\n'), 'utf8');
    return new Promise((resolve, reject) => this.socket.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  /** Answers `request` (received from 127.0.0.1:`port`) with `status`. */
  respond(request: SipRequest, status: number, port: number, options: { reason?: string; toTag?: string; sdp?: string; headers?: HeaderInit } = {}): Promise<void> {
    const response = createResponse(request, status, options.reason, {
      ...(options.toTag !== undefined ? { toTag: options.toTag } : {}),
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
      ...(options.sdp !== undefined ? { body: options.sdp, contentType: 'application/sdp' } : {}),
    });
    return this.send(Buffer.from(serializeMessage(response)).toString('utf8'), port);
  }

  /** Responses received so far (optionally to `method` only), by status. */
  statuses(method?: string): number[] {
    return this.received.flatMap((r) => (!r.message.isRequest && (method === undefined || r.message.cseq?.method === method) ? [r.message.status] : []));
  }

  /** Waits until a received message satisfies `test` (rejects after `timeoutMs`). */
  async waitFor(test: (m: SipRequest | SipResponse) => boolean, timeoutMs = 2000): Promise<SipRequest | SipResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((r) => test(r.message));
      if (found !== undefined) return found.message;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`raw peer on ${this.port}: nothing matching arrived within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * An INVITE from `sip:<user>@127.0.0.1:<our port>` to `sip:<to>@127.0.0.1:<port>`, with `sdp`
   * as its offer when given. Returns the text and its Call-ID and branch.
   */
  invite(init: { user: string; to: string; port: number; sdp?: string }): { text: string; callId: string; branch: string } {
    const n = ++counter;
    const callId = `raw-${n}-${process.pid}@127.0.0.1`;
    const branch = `z9hG4bKraw${n}x${Date.now()}`;
    const body = init.sdp ?? '';
    const text = [
      `INVITE sip:${init.to}@127.0.0.1:${init.port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch}`,
      'Max-Forwards: 70',
      `From: <sip:${init.user}@127.0.0.1:${this.port}>;tag=rawtag${n}`,
      `To: <sip:${init.to}@127.0.0.1:${init.port}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:${init.user}@127.0.0.1:${this.port}>`,
      ...(body !== '' ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    return { text, callId, branch };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** A minimal SDP offer (PCMU) from 127.0.0.1:`port`. */
export function rawOffer(port: number): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
}

/** What {@link rawRequest} puts in a request. Every address is 127.0.0.1. */
export interface RawRequestInit {
  method: string;
  /** The user and port of the Request-URI and the To header, and To's tag when there is one. */
  toUser: string;
  toPort: number;
  toTag?: string;
  /** The user and port of From, Contact and Via's sent-by, and From's tag. */
  fromUser: string;
  fromPort: number;
  fromTag: string;
  callId: string;
  /** Via's branch. */
  branch: string;
  /** The CSeq number (followed by `method`), or the whole CSeq value as given (a malformed one, say); default 1. */
  cseq?: number | string;
  /** Default 70. */
  maxForwards?: number;
  /** Header lines added after Contact. */
  headers?: readonly string[];
  /** An SDP body (with Content-Type: application/sdp); none by default. */
  sdp?: string;
}

/**
 * The text of a request as a hand-driven peer sends it from its own socket: start line, Via, From,
 * To, Call-ID, CSeq, Max-Forwards, Contact, `headers`, then Content-Type (with an SDP body) and
 * Content-Length, lines joined with CRLF. Anything can be put in, well-formed or not.
 */
export function rawRequest(r: RawRequestInit): string {
  const body = r.sdp ?? '';
  return [
    `${r.method} sip:${r.toUser}@127.0.0.1:${r.toPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${r.fromPort};branch=${r.branch}`,
    `From: <sip:${r.fromUser}@127.0.0.1:${r.fromPort}>;tag=${r.fromTag}`,
    `To: <sip:${r.toUser}@127.0.0.1:${r.toPort}>${r.toTag !== undefined ? `;tag=${r.toTag}` : ''}`,
    `Call-ID: ${r.callId}`,
    `CSeq: ${typeof r.cseq === 'string' ? r.cseq : `${r.cseq ?? 1} ${r.method}`}`,
    `Max-Forwards: ${r.maxForwards ?? 70}`,
    `Contact: <sip:${r.fromUser}@127.0.0.1:${r.fromPort}>`,
    ...(r.headers ?? []),
    ...(body !== '' ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A bare SDP offer (PCMU, no attributes) of media at 127.0.0.1 port 9 (discard), for requests whose media nobody uses. */
export const RAW_BARE_OFFER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';
