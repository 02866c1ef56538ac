// The user agent (RFC 3261 §8, §12–15): the transaction user over one transport. It validates
// what arrives (§8.2), routes in-dialog requests to their dialog (§12.2.2), answers OPTIONS
// (§11.2), places and receives calls, and ends everything on close().

import { addMadeHeader, firstValueText, peekTag, peekVias, type SipRequest, type SipResponse } from '../parser/message.js';
import { parseKnownHeader } from '../parser/typed-headers.js';
import { createResponse, type HeaderInit } from '../parser/serialize.js';
import { madeVia, type Via } from '../parser/via.js';
import type { Uri } from '../parser/uri.js';
import { InviteServerTransaction } from '../transaction/invite-server.js';
import { checkLimit, type ClientTransaction, DEFAULT_RETRY_AFTER_S, type ServerTransaction, TransactionLayer, type TransactionLayerEvent } from '../transaction/layer.js';
import { newBranch, newTag } from '../transaction/tags.js';
import type { TimerSettings } from '../transaction/timers.js';
import type { ClientTransactionUser, ServerTransactionUser, TransactionFailure } from '../transaction/transaction.js';
import { type Clock, RealClock, type TimerHandle } from '../transport/clock.js';
import { type Endpoint, type Transport, TransportError } from '../transport/transport.js';
import { UdpTransport } from '../transport/udp.js';
import { type Credentials, digestClientFor, sendAuthenticated } from './auth.js';
import { type RegisterOptions, Registration } from './registration.js';
import { advertisedHost, contactFor, outOfDialogRequest, parseTarget, proxyUri, type UserAgentIdentity } from './addressing.js';
import { dialogKey, headerPairs } from './dialog.js';
import { TypedEmitter } from './emitter.js';
import { DialogStateError, failure, sendFailure } from './errors.js';
import { IncomingCall } from './incoming-call.js';
import { nextHopLiteral, resolveNextHop } from './next-hop.js';
import type { OfferAnswerHandler } from './offer-answer.js';
import { type InviteOptions, OutgoingInvite } from './outgoing-call.js';
import { DialogSession } from './session.js';
import type { DialogUsage, SentStateless, UaContext } from './ua-context.js';
import { acceptsSdp, capabilitiesFor, capabilitiesResponse, notAcceptable, UA_ACCEPT } from './uas-capabilities.js';
import { validateRequest } from './validate-request.js';
import { parseReplaces } from './replaces.js';
import { RecentSet } from '../parser/recent-set.js';

/** How many ended dialogs the user agent remembers at least for Replaces (RFC 3891 §3, 603); at most twice that. */
const ENDED_DIALOGS_KEPT = 4096;

export type { UserAgentIdentity };

/** Options of {@link UserAgent}. */
export interface UserAgentOptions {
  /** Address and port to bind a UDP socket to (port 0: any free port; read it from {@link UserAgent.local}). */
  bind?: { host: string; port: number };
  /** An existing transport to use instead of `bind` (the user agent then closes it on close()). */
  transport?: Transport;
  /** Our identity. */
  identity: UserAgentIdentity;
  /**
   * The address we put in Via and Contact. Defaults to the bound address, or, when bound to
   * 0.0.0.0 / ::, the first non-internal IPv4 address of the host (127.0.0.1 if there is none).
   */
  contactHost?: string;
  /** An outbound proxy URI (e.g. `sip:pbx.example.com:5060`): every out-of-dialog request goes to it (a pre-loaded loose Route, RFC 3261 §8.1.2). */
  proxy?: string;
  /** Time source; a {@link RealClock} by default. */
  clock?: Clock;
  /** T1, T2, T4, Timer D. */
  timers?: Partial<TimerSettings>;
  /** Makes SDP offers and answers when the application does not (re-INVITEs, late offers). See `sdpOfferAnswer()`. */
  offerAnswer?: OfferAnswerHandler;
  /** Option tags we support (Supported header); none by default. */
  extensions?: readonly string[];
  /**
   * Digest credentials (RFC 7616) for challenges (401/407) to our requests: INVITE, BYE, REFER,
   * OPTIONS, REGISTER … Never reported in events or errors.
   */
  credentials?: Credentials;
  /** Random source in [0, 1) for the RFC 3261 §14.1 glare delays; `Math.random` by default. */
  random?: () => number;
  /** How long close() waits for answers to its BYEs and CANCELs before closing the socket, in ms. Default 2000. */
  closeTimeout?: number;
  /** A User-Agent header value for every request we send (RFC 3261 §20.41), e.g. `sipflow/0.1`; none by default. */
  userAgent?: string;
  /** What this user agent takes on at once before it refuses new work with 503; see {@link UserAgentLimits}. */
  limits?: UserAgentLimits;
}

/**
 * Bounds on what one user agent keeps at once, so a flood of requests cannot exhaust memory.
 * Beyond a bound, a new INVITE (or other request from outside a dialog) is answered 503 Service
 * Unavailable with a Retry-After (RFC 3261 §21.5.4) and nothing already running is affected.
 */
export interface UserAgentLimits {
  /**
   * Live transactions, client and server. At the limit a new request from outside any dialog
   * gets a stateless 503 (no transaction is kept for it); requests in a dialog are still taken up
   * to a quarter beyond. Default {@link DEFAULT_MAX_TRANSACTIONS} (100,000).
   */
  maxTransactions?: number;
  /**
   * Calls at once: sessions (answered, whether their ACK came yet or not) plus incoming and
   * outgoing calls not yet answered. At the limit a new INVITE gets 503. Default
   * {@link DEFAULT_MAX_DIALOGS} (20,000).
   */
  maxDialogs?: number;
  /** The Retry-After of those 503s, seconds. Default 5. */
  retryAfterS?: number;
}

/** Default {@link UserAgentLimits.maxDialogs}. */
export const DEFAULT_MAX_DIALOGS = 20_000;

/** What a user agent holds right now, for leak checks and monitoring; every count is 0 on an idle user agent. */
export interface UserAgentCounts {
  /** Live client and server transactions (an answered INVITE's lasts 64·T1 after the 2xx, RFC 6026). */
  readonly transactions: { readonly client: number; readonly server: number };
  /** Dialogs (early and confirmed) requests can be matched to. */
  readonly dialogs: number;
  /** Confirmed sessions. */
  readonly sessions: number;
  /** Incoming calls not yet answered, rejected or cancelled. */
  readonly incoming: number;
  /** Outgoing calls without a final response. */
  readonly outgoing: number;
  /** Requests sent and not finally answered. */
  readonly unanswered: number;
  /**
   * INVITEs sent that no response at all has reached yet (their client transactions are still in
   * Calling, RFC 3261 §17.1.1.2). A peer sends 100 (Trying) within 200 ms (§17.2.1), so this count
   * grows only when the peer, or this process reading its responses, has fallen behind.
   */
  readonly invitesWithoutResponse: number;
  /**
   * Messages sent again since the user agent started (RFC 3261 timers A, E and G, responses
   * re-sent for retransmitted requests, 2xx re-sent until the ACK, ACKs re-sent for retransmitted
   * 2xx).
   */
  readonly retransmissions: number;
}

/** Something the user agent noticed, for logs and traces: the transaction layer's reports and its own. */
export type UserAgentEvent =
  | TransactionLayerEvent
  | { type: 'unmatched-ack'; request: SipRequest; source: Endpoint }
  | { type: 'stray-2xx'; response: SipResponse; source: Endpoint }
  | { type: 'answered'; request: SipRequest; status: number; reason: string }
  /** A new INVITE refused with 503 because `maxDialogs` calls were under way. */
  | { type: 'overload'; request: SipRequest; source: Endpoint; limit: 'dialogs'; live: number }
  | { type: 'error'; error: unknown; where: string };

/** Events of a {@link UserAgent}. */
export interface UserAgentEvents {
  [event: string]: unknown;
  /** An incoming call. Without a listener, calls are refused with 480. */
  invite: IncomingCall;
  /** A provisional response to one of our INVITEs. */
  progress: { readonly request: SipRequest; readonly response: SipResponse };
  /** A call was established (either direction): the session after the 2xx/ACK exchange. */
  session: DialogSession;
  /** Diagnostics: see {@link UserAgentEvent}. */
  event: UserAgentEvent;
}

/**
 * A request sent in a client transaction, until its final response: the transaction's user, which
 * tells `tu` everything and, at the final, takes itself out of the user agent's record of
 * unanswered requests (which close() answers) and lets go of the request. One object, not a
 * closure and a record: the transaction keeps its user after the final (an INVITE's for 64·T1,
 * RFC 6026).
 */
class UnansweredRequest implements ClientTransactionUser {
  /** The request, until its final. */
  request: SipRequest | undefined;
  /** Present only when `tu` listens for the transaction's end (see Transaction.linger). */
  readonly terminated: (() => void) | undefined;

  constructor(
    request: SipRequest,
    private readonly tu: ClientTransactionUser,
    private readonly record: Set<UnansweredRequest>,
    /** Where it is counted when close() waits for its answer (a BYE, an un-REGISTER). */
    private awaited: AwaitedAnswers | undefined,
  ) {
    this.request = request;
    if (tu.terminated !== undefined) this.terminated = () => tu.terminated!();
    record.add(this);
    awaited?.add();
  }

  response(res: SipResponse, fail?: TransactionFailure): void {
    try {
      this.tu.response(res, fail);
    } finally {
      if (res.status >= 200) this.answered();
    }
  }

  /** The final came (or the request was never sent): out of the record; close() stops waiting for it. */
  answered(): void {
    if (this.request === undefined) return;
    this.request = undefined;
    this.record.delete(this);
    const awaited = this.awaited;
    this.awaited = undefined;
    awaited?.done();
  }
}

/**
 * The requests whose answers close() waits for (BYEs and un-REGISTERs under way): counted, with a
 * promise made only when close() asks (a load run sends a BYE per call).
 */
class AwaitedAnswers {
  private count = 0;
  private waiters: Array<() => void> = [];

  /** How many are under way. */
  get size(): number {
    return this.count;
  }

  add(): void {
    this.count++;
  }

  done(): void {
    if (--this.count > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves once none is under way (at once when none is). */
  settled(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * A SIP user agent over UDP: places and answers calls, keeps their dialogs, answers OPTIONS.
 *
 * @example
 * ```ts
 * const ua = new UserAgent({ bind: { host: '127.0.0.1', port: 5070 }, identity: { user: 'alice' } });
 * await ua.ready;
 * ua.on('invite', (call) => { call.ringing(); void call.answer(answerSdp); });
 * const session = await ua.invite('sip:bob@127.0.0.1:5080', { sdp: offerSdp });
 * await session.bye();
 * await ua.close();
 * ```
 */
export class UserAgent extends TypedEmitter<UserAgentEvents> {
  /** Resolves when the socket is bound; rejects with a TransportError if it cannot be. */
  readonly ready: Promise<void>;
  /** Our identity. */
  readonly identity: UserAgentIdentity;
  private readonly config: UserAgentOptions;
  private readonly clock: Clock;
  private transport: Transport | undefined;
  private layer: TransactionLayer | undefined;
  /**
   * The Via sent-by (host:port) checked at bind, and its parts as that check parsed them: our Vias
   * with it go in unchecked, with their value made beside their text (see addVia).
   */
  private sentByChecked: { hostPort: string; transport: string; host: string; port: number | undefined } | undefined;
  private context: UaContext | undefined;
  private readonly dialogs = new Map<string, DialogUsage>();
  private readonly sessions = new Set<DialogSession>();
  /** Every session with a live dialog, confirmed or still waiting for its ACK (what maxDialogs counts). */
  private readonly dialogSessions = new Set<DialogSession>();
  private readonly outgoing = new Set<OutgoingInvite>();
  private readonly incoming = new Set<IncomingCall>();
  private readonly registrations = new Set<Registration>();
  /** Keys of dialogs that ended recently (at least the last ENDED_DIALOGS_KEPT), for RFC 3891 §3's 603. */
  private readonly ended = new RecentSet<string>(ENDED_DIALOGS_KEPT);
  private closing: Promise<void> | undefined;
  /** Requests sent in a client transaction and not finally answered yet. */
  private readonly unanswered = new Set<UnansweredRequest>();
  /** What close() waits for besides {@link awaitedAnswers}: finals of the INVITEs it cancels, ACKs of the finals it sent. */
  private readonly finishing = new Set<Promise<void>>();
  /** BYEs and un-REGISTERs under way: close() waits for their answers too. */
  private readonly awaitedAnswers = new AwaitedAnswers();

  private readonly maxDialogs: number;
  private readonly retryAfterS: number;

  constructor(options: UserAgentOptions) {
    super();
    this.maxDialogs = checkLimit('limits.maxDialogs', options.limits?.maxDialogs ?? DEFAULT_MAX_DIALOGS);
    this.retryAfterS = checkLimit('limits.retryAfterS', options.limits?.retryAfterS ?? DEFAULT_RETRY_AFTER_S);
    if (typeof options.identity?.user !== 'string' || options.identity.user === '') throw new TypeError('identity.user is required');
    if ((options.bind === undefined) === (options.transport === undefined)) throw new TypeError('give exactly one of bind and transport');
    this.config = options;
    this.identity = options.identity;
    this.clock = options.clock ?? new RealClock();
    if (options.transport !== undefined) {
      this.attach(options.transport);
      this.ready = Promise.resolve();
    } else {
      const bind = options.bind!;
      this.ready = UdpTransport.bind({ host: bind.host, port: bind.port }).then((t) => this.attach(t));
      // The error surfaces where `ready` (or a method) is awaited; it is not an unhandled rejection.
      this.ready.catch(() => undefined);
    }
  }

  /** The bound address and port (after {@link ready}). */
  get local(): Endpoint {
    if (this.transport === undefined) throw new DialogStateError('the user agent is not bound yet: await ua.ready');
    return this.transport.local;
  }

  /** Our Contact value, `<sip:user@host:port>` (after {@link ready}). */
  get contact(): string {
    return this.ctx().contact;
  }

  /** Sessions currently up. */
  get activeSessions(): readonly DialogSession[] {
    return [...this.sessions];
  }

  /** What the user agent holds right now (all 0 once every call has ended and every transaction timer has fired). */
  get counts(): UserAgentCounts {
    return {
      transactions: this.layer?.counts ?? { client: 0, server: 0 },
      dialogs: this.dialogs.size,
      sessions: this.sessions.size,
      incoming: this.incoming.size,
      outgoing: this.outgoing.size,
      unanswered: this.unanswered.size,
      invitesWithoutResponse: this.layer?.callingInvites ?? 0,
      retransmissions: this.layer?.retransmissions ?? 0,
    };
  }

  /**
   * Calls `target` (a SIP URI, e.g. `sip:bob@192.0.2.9:5060`). Resolves with the session once
   * the first 2xx is ACKed; provisional responses go to `options.onProgress` and the `progress`
   * event. Rejects with a {@link RequestFailedError}: `rejected` with the final response,
   * `cancelled` after `options.signal` aborted (487), `timeout` (the `timeout` option, or Timer B's
   * 408), `transport` (503), `closed`.
   */
  async invite(target: string, options: InviteOptions = {}): Promise<DialogSession> {
    // (bound already, as for every call of a load run: no turn spent on the settled promise)
    if (this.layer === undefined) await this.ready;
    const ctx = this.ctx();
    this.assertOpen();
    const uri = parseTarget(target);
    const request = outOfDialogRequest(this.identity, this.ctx().contact, this.config.proxy, 'INVITE', uri, {
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
      ...(options.sdp !== undefined ? { body: options.sdp, contentType: 'application/sdp' } : {}),
      ...(options.callId !== undefined ? { callId: options.callId } : {}),
    });
    return new Promise<DialogSession>((resolve, reject) => {
      const call = new OutgoingInvite(
        ctx,
        request,
        this.firstHop(uri),
        options,
        (response) => this.emit('progress', { request, response }),
        (outcome) => {
          this.outgoing.delete(call);
          if (outcome instanceof DialogSession) resolve(outcome);
          else reject(outcome);
        },
      );
      this.outgoing.add(call);
      call.start();
    });
  }

  /**
   * Sends OPTIONS to `target` (RFC 3261 §11) and resolves with the final response, whatever its
   * status. Rejects with a {@link RequestFailedError} only when no response came (408) or the
   * request could not be sent (503).
   */
  async options(target: string, options: { headers?: HeaderInit } = {}): Promise<SipResponse> {
    await this.ready;
    this.assertOpen();
    const uri = parseTarget(target);
    const request = outOfDialogRequest(this.identity, this.ctx().contact, this.config.proxy, 'OPTIONS', uri, {
      headers: [['Accept', UA_ACCEPT.join(', ')], ...(options.headers === undefined ? [] : [...headerPairs(options.headers)])] as HeaderInit,
    });
    let result: Awaited<ReturnType<typeof sendAuthenticated>>;
    try {
      result = await sendAuthenticated(request, this.ctx().auth, (req) => this.ctx().sendFinal(req, this.firstHop(uri)));
    } catch (err) {
      throw sendFailure('OPTIONS', err);
    }
    if (result.error !== undefined) throw result.error;
    // The transaction layer's own 408 / 503 (no response came, or the send failed) rejects.
    if (result.failure !== undefined) throw failure('OPTIONS', result.response, result.failure);
    return result.response;
  }

  /**
   * Registers with a registrar (RFC 3261 §10.2): sends REGISTER, answers digest challenges with
   * `options.credentials` (or the user agent's), emits `registered` with the granted lifetime and
   * refreshes before it ends; `registration.unregister()` (and `close()`) sends Expires 0.
   *
   * @throws TypeError / RangeError for a bad registrar, AOR or expires.
   */
  register(options: RegisterOptions): Registration {
    this.assertOpen();
    const reg = new Registration(this.ctx(), this.identity.user, options, this.config.credentials);
    this.registrations.add(reg);
    reg.on('unregistered', () => this.registrations.delete(reg));
    reg.on('failed', () => this.registrations.delete(reg));
    reg.start();
    return reg;
  }

  /**
   * Ends everything: BYE for every session, CANCEL for every outgoing call not yet answered, 480
   * for every incoming call not yet answered; waits for their answers (at most `closeTimeout`),
   * then stops every timer and closes the socket. Requests still unanswered then settle with a
   * synthetic 503: they reject with kind `closed` (a BYE resolves with the 503). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  protected override onListenerError(err: unknown, event: string): void {
    this.report(err, `UserAgent '${event}' listener`);
  }

  private async doClose(): Promise<void> {
    try {
      await this.ready;
    } catch {
      return; // never bound: nothing to close
    }
    for (const call of this.outgoing) {
      call.abandon('closed');
      // RFC 3261 §9.1, §13.2.2.4: wait for the cancelled INVITE's final response, so that a 487
      // is ACKed and a 2xx that crossed the CANCEL is ACKed and BYEd before the layer closes.
      this.track(call.final);
    }
    for (const call of this.incoming) call.close();
    // RFC 3261 §17.2.1: a 300–699 final (these 480s, or any refusal sent just before) is re-sent
    // until ACKed: wait for the ACKs too (within closeTimeout) rather than close under them, or a
    // caller that lost its final would be left calling a closed port.
    if (this.layer !== undefined) this.track(this.layer.finalsAcknowledged());
    // RFC 3261 §10.2.2: remove our bindings (Expires 0); their REGISTERs are tracked like BYEs.
    for (const reg of this.registrations) void reg.unregister();
    for (const session of [...this.sessions]) void session.hangUp('closed');
    for (const usage of [...this.dialogs.values()]) if (usage instanceof DialogSession) void usage.hangUp('closed');
    // Every BYE under way is counted by `sendRequest` — ours above, one the application sent just
    // before close(), one sent for a 2xx that arrives while we wait: wait for their answers.
    if (this.finishing.size > 0 || this.awaitedAnswers.size > 0) {
      let timer: TimerHandle | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = this.clock.setTimer(this.config.closeTimeout ?? 2000, () => resolve('expired'));
      });
      while (this.finishing.size > 0 || this.awaitedAnswers.size > 0) {
        if ((await Promise.race([Promise.allSettled([...this.finishing, this.awaitedAnswers.settled()]), expired])) === 'expired') break;
      }
      this.clock.clearTimer(timer!);
    }
    this.layer?.close();
    // The layer ended its transactions without telling their users. Answer every request still
    // waiting with a synthetic 503 (as for a transport failure, RFC 3261 §8.1.3.1), so that no
    // bye(), reinvite(), info() or options() promise is left pending: they settle as `closed`.
    const closed = new TransportError('closed', 'the user agent was closed');
    for (const waiting of [...this.unanswered]) {
      try {
        waiting.response(createResponse(waiting.request!, 503, 'User Agent Closed'), { kind: 'transport', error: closed });
      } catch (err) {
        this.report(err, 'close');
      }
    }
    this.dialogs.clear();
    this.dialogSessions.clear();
    for (const reg of this.registrations) reg.stop();
    this.registrations.clear();
    await this.transport?.close();
  }

  // ---- the transaction user ------------------------------------------------------------------

  private attach(transport: Transport): void {
    this.transport = transport;
    this.layer = new TransactionLayer({
      transport,
      clock: this.clock,
      ...(this.config.timers !== undefined ? { timers: this.config.timers } : {}),
      ...(this.config.limits?.maxTransactions !== undefined ? { maxTransactions: this.config.limits.maxTransactions } : {}),
      retryAfterS: this.retryAfterS,
      core: {
        request: (req, tx, source) => this.receiveRequest(req, tx, source),
        strayResponse: (res, source) => this.receiveStray2xx(res, source),
        event: (event) => this.emit('event', event),
      },
    });
    const host = this.config.contactHost ?? advertisedHost(transport.local.address);
    const hostPort = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${transport.local.port}`;
    try {
      const checked = (parseKnownHeader('via', `SIP/2.0/${transport.protocol} ${hostPort};branch=z9hG4bK0;rport`) as Via[])[0]!;
      this.sentByChecked = { hostPort, transport: checked.transport, host: checked.host, port: checked.port };
    } catch {
      // (addVia checks every Via then, and the send fails with the reason)
    }
    const layer = this.layer;
    const sendTo = (request: SipRequest, destination: Endpoint, upward: ClientTransactionUser): ClientTransaction => {
      // While closing, BYE and CANCEL still go out; the layer refuses once it is closed.
      this.addVia(request, hostPort);
      this.addUserAgent(request);
      return layer.sendRequest(request, destination, upward);
    };
    const sendAckTo = (ack: SipRequest, destination: Endpoint, gone: (sent: SentStateless) => void, failed: (error: unknown) => void): void => {
      if (peekVias(ack).length === 0) this.addVia(ack, hostPort);
      this.addUserAgent(ack);
      const bytes = layer.statelessBytes(ack);
      layer.postBytes(bytes, destination, failed, () => gone({ bytes, destination }));
    };
    // Sent in this turn when the next hop needs no lookup (an IP address), with no promise made.
    const sendRequest = (request: SipRequest, nextHop: Uri, tu: ClientTransactionUser): ClientTransaction | Promise<ClientTransaction> => {
      // Until its final response: close() answers it if the layer closes first, and waits for it
      // first if it is a BYE or an un-REGISTER (see doClose).
      const awaited = request.method === 'BYE' || (request.method === 'REGISTER' && request.header('Expires') === '0');
      const upward = new UnansweredRequest(request, tu, this.unanswered, awaited ? this.awaitedAnswers : undefined);
      try {
        const found = this.destinationOf(nextHop);
        if (!(found instanceof Promise)) return sendTo(request, found, upward);
        return found.then(
          (destination) => sendTo(request, destination, upward),
          (err: unknown) => {
            upward.answered();
            throw err;
          },
        );
      } catch (err) {
        upward.answered();
        throw err;
      }
    };
    this.context = {
      clock: this.clock,
      timers: layer.timers,
      contact: contactFor(this.identity.user, hostPort),
      offerAnswer: this.config.offerAnswer,
      auth: digestClientFor(this.config.credentials),
      random: this.config.random ?? Math.random,
      sendRequest,
      sendFinal: (request, nextHop) =>
        new Promise((resolve, reject) => {
          const sent = sendRequest(request, nextHop, {
            response: (response, failure) => {
              if (response.status >= 200) resolve({ response, failure });
            },
          });
          if (sent instanceof Promise) sent.catch(reject);
        }),
      sendAck: (ack, nextHop, gone, failed) => {
        // (sent in this turn when no lookup is needed, as sendRequest sends: the ACK goes out before
        // a BYE asked for after it; and with no promise)
        try {
          const found = 'address' in nextHop ? nextHop : this.destinationOf(nextHop);
          if (found instanceof Promise) found.then((destination) => sendAckTo(ack, destination, gone, failed)).catch(failed);
          else sendAckTo(ack, found, gone, failed);
        } catch (err) {
          queueMicrotask(() => failed(err));
        }
      },
      resend: (sent) => layer.resendBytes(sent.bytes, sent.destination),
      cancel: (tx) => {
        const destination = tx.destination;
        if (destination !== undefined && tx.request.method === 'INVITE') layer.cancel(tx as Parameters<TransactionLayer['cancel']>[0], destination);
      },
      capabilitiesResponse: (request) => capabilitiesResponse(request, this.ctx().contact, this.extensions),
      addDialog: (key, usage) => {
        this.dialogs.set(key, usage);
        if (usage instanceof DialogSession) this.dialogSessions.add(usage);
      },
      removeDialog: (key, usage) => {
        if (this.dialogs.get(key) === usage) this.dialogs.delete(key);
        if (usage instanceof DialogSession) {
          this.dialogSessions.delete(usage);
          this.sessions.delete(usage);
          this.rememberEnded(key);
        }
      },
      placeCall: (target, options) => this.invite(String(target), options),
      sessionStarted: (session) => {
        if (!(session instanceof DialogSession) || session.endReason !== undefined) return;
        this.sessions.add(session);
        this.emit('session', session);
      },
      reportError: (error, where) => this.report(error, where),
    };
  }

  // RFC 3261 §8.2 (validation), §12.2.2 (in-dialog), §13.3 (INVITE), §11.2 (OPTIONS).
  private receiveRequest(request: SipRequest, tx: ServerTransaction | undefined, source: Endpoint): ServerTransactionUser | void {
    if (tx === undefined) {
      // An ACK that matched no transaction: the ACK for a 2xx (RFC 3261 §13.3.1.4, RFC 6026).
      const usage = this.usageFor(request);
      if (usage !== undefined) usage.receiveAck(request);
      else this.emit('event', { type: 'unmatched-ack', request, source });
      return;
    }
    if (this.closing !== undefined) {
      this.answer(tx, createResponse(request, 503, undefined, { toTag: newTag() }));
      return;
    }
    // RFC 3261 §8.2: method, URI scheme, Require, content type, mandatory headers, CSeq.
    const refusal = validateRequest(request, capabilitiesFor(request.method, this.extensions));
    if (refusal !== undefined) {
      this.answer(tx, refusal);
      return;
    }
    const toTag = peekTag(request, 'to');
    if (toTag !== undefined) return this.receiveInDialog(request, tx, toTag);
    switch (request.method) {
      case 'INVITE':
        return this.receiveInvite(request, tx as InviteServerTransaction, source);
      case 'OPTIONS':
        this.answer(tx, capabilitiesResponse(request, this.ctx().contact, this.extensions));
        return;
      default:
        // BYE and INFO only make sense inside a dialog (RFC 3261 §15.1.2, RFC 6086 §4.2.1).
        this.answer(tx, createResponse(request, 481, undefined, { toTag: newTag() }));
        return;
    }
  }

  /** What an INVITE server transaction's user asks of the user agent (see {@link InviteUser}). */
  private readonly inviteHooks: InviteHooks = {
    usageFor: (request) => this.usageFor(request),
    dialog: (key) => this.dialogs.get(key),
  };

  private receiveInDialog(request: SipRequest, tx: ServerTransaction, toTag: string): ServerTransactionUser | void {
    const usage = this.usageFor(request, toTag);
    if (usage === undefined) {
      // RFC 3261 §12.2.2: "If the UAS wishes to reject the request because it does not wish to
      // recreate the dialog, it MUST respond to the request with a 481".
      this.answer(tx, createResponse(request, 481));
      return;
    }
    // RFC 3261 §12.2.2: a CSeq lower than the remote sequence number is out of order: 500.
    if (!usage.acceptRemoteSeq(request)) {
      this.answer(tx, createResponse(request, 500, 'Out of Order CSeq'));
      return;
    }
    return usage.receiveRequest(request, tx);
  }

  private receiveInvite(request: SipRequest, tx: InviteServerTransaction, source: Endpoint): ServerTransactionUser | void {
    const ctx = this.ctx();
    // RFC 3261 §21.4.7 (RFC 4475 sdp01): our responses to an INVITE carry SDP; a caller whose
    // Accept excludes it gets 406 rather than a body it said it cannot take.
    if (!acceptsSdp(request)) {
      this.answer(tx, notAcceptable(request));
      return;
    }
    // A bound on calls at once (RFC 3261 §21.5.4: 503 with Retry-After while overloaded): sessions
    // (answered, ACKed or not yet), and calls not answered yet either way.
    const live = this.dialogSessions.size + this.incoming.size + this.outgoing.size;
    if (live >= this.maxDialogs) {
      this.answer(tx, createResponse(request, 503, undefined, { toTag: newTag(), headers: { 'Retry-After': String(this.retryAfterS) } }));
      this.emit('event', { type: 'overload', request, source, limit: 'dialogs', live });
      return;
    }
    const call = new IncomingCall(ctx, request, tx);
    // RFC 3891 §3: an INVITE with Replaces names a dialog of ours; refuse it when that cannot be.
    if (request.hasHeader('Replaces')) {
      const outcome = this.matchReplaces(request);
      if (typeof outcome === 'number') {
        call.reject(outcome);
        return;
      }
      call.replacing(outcome);
    }
    if (this.listenerCount('invite') === 0) {
      call.reject(480, 'No Handler For Calls');
      return;
    }
    this.incoming.add(call);
    // The transaction keeps its user until it ends (for an answered call, 64·T1 in RFC 6026's
    // Accepted state); a settled call has nothing more to hear from it (CANCEL and failures only
    // matter while it is pending), so the user lets go of it then.
    // The dialog's key, made now: the transaction keeps this user for 64·T1 after a 2xx, and the
    // Call-ID and tag themselves are slices of the INVITE's text (the key is one flat copy).
    const user = new InviteUser(this.inviteHooks, call, dialogKey(request.callId!, call.localTag, peekTag(request, 'from') ?? ''));
    call.whenSettled(() => {
      this.incoming.delete(call);
      user.call = undefined;
    });
    this.emit('invite', call);
    return user;
  }

  /**
   * RFC 3891 §3: the dialog an INVITE's Replaces names, or the status to refuse it with: 400 when
   * malformed, 481 when no dialog matches or it is an early dialog we did not initiate, 603 when
   * it has already ended, 486 for `early-only` against a confirmed dialog.
   */
  private matchReplaces(request: SipRequest): DialogSession | OutgoingInvite | number {
    const r = parseReplaces(request.header('Replaces') ?? '');
    if (r === undefined) return 400;
    // The Replaces is written as we see the dialog: to-tag is our tag, from-tag the peer's.
    const key = dialogKey(r.callId, r.toTag, r.fromTag);
    const usage = this.dialogs.get(key);
    if (usage instanceof DialogSession) {
      if (usage.endReason !== undefined) return 603;
      return r.earlyOnly ? 486 : usage;
    }
    if (usage !== undefined) return 481; // an incoming call still ringing here: not ours to replace
    for (const call of this.outgoing) if (call.hasEarlyDialog(r.callId, r.toTag, r.fromTag)) return call;
    return this.ended.has(key) ? 603 : 481;
  }

  /** Keeps the keys of ended dialogs for a while, so a late Replaces gets 603 rather than 481 (RFC 3891 §3). */
  private rememberEnded(key: string): void {
    this.ended.add(key);
  }

  /** Option tags we support: `replaces` (RFC 3891), and any the application adds (made once: every request is checked against them). */
  private get extensions(): readonly string[] {
    return (this.extensionTags ??= [...new Set(['replaces', ...(this.config.extensions ?? [])])]);
  }
  private extensionTags: readonly string[] | undefined;

  private receiveStray2xx(response: SipResponse, source: Endpoint): void {
    const callId = response.callId;
    const local = peekTag(response, 'from');
    const remote = peekTag(response, 'to');
    const usage = callId === undefined || local === undefined || remote === undefined ? undefined : this.dialogs.get(dialogKey(callId, local, remote));
    if (usage !== undefined) usage.receive2xx(response);
    else this.emit('event', { type: 'stray-2xx', response, source });
  }

  /** The dialog usage a request from the peer belongs to: local tag = To tag, remote tag = From tag. */
  private usageFor(request: SipRequest, toTag = peekTag(request, 'to')): DialogUsage | undefined {
    const callId = request.callId;
    // A From without a tag is the null tag of an RFC 2543 peer (RFC 3261 §12.1.1).
    const fromTag = firstValueText(request, 'from') === undefined ? undefined : (peekTag(request, 'from') ?? '');
    if (callId === undefined || toTag === undefined || fromTag === undefined) return undefined;
    return this.dialogs.get(dialogKey(callId, toTag, fromTag));
  }

  private answer(tx: ServerTransaction, response: SipResponse): void {
    const request = tx.request; // whole: once answered, the transaction keeps only its skeleton
    tx.respond(response);
    this.emit('event', { type: 'answered', request, status: response.status, reason: response.reason });
  }

  // ---- sending ---------------------------------------------------------------------------------

  /** RFC 3261 §8.1.2: the first Route (the outbound proxy) if there is one, else the Request-URI. */
  private firstHop(uri: Uri): Uri {
    return this.config.proxy === undefined ? uri : proxyUri(this.config.proxy);
  }

  /**
   * Where a request to `uri` goes: at once for an IP address (and port), so that the request goes
   * out in this turn with no await before it; through a lookup otherwise (RFC 3263).
   */
  private destinationOf(uri: Uri): Endpoint | Promise<Endpoint> {
    const literal = nextHopLiteral(uri);
    return literal.kind === 'endpoint' ? literal.endpoint : resolveNextHop(uri);
  }

  /** RFC 3261 §20.41: User-Agent on the requests we make, when the options name one. */
  private addUserAgent(request: SipRequest): void {
    const value = this.config.userAgent;
    if (value !== undefined && request.header('User-Agent') === undefined) request.setHeader('User-Agent', value);
  }

  private addVia(request: SipRequest, hostPort: string): void {
    // Made of checked parts (the sent-by checked once, a branch of token characters), it goes in
    // as text with its value made beside it, not parsed (the layer reads its branch at once, and
    // its sent-by when the responses come); a sent-by that did not pass (a bad contactHost) is
    // checked, and refused, here.
    const checked = this.sentByChecked;
    if (checked !== undefined && checked.hostPort === hostPort) {
      const { text, via } = madeVia(checked.transport, checked.host, checked.port, newBranch());
      addMadeHeader(request, 'Via', 'via', text, true, [via]);
    } else request.prependHeader('Via', `SIP/2.0/${this.transport!.protocol} ${hostPort};branch=${newBranch()};rport`);
  }

  /** Adds `work` to what close() waits for, until it settles. */
  private track(work: Promise<unknown>): void {
    const settled = (): void => void this.finishing.delete(done);
    const done: Promise<void> = work.then(settled, settled);
    this.finishing.add(done);
  }

  private report(error: unknown, where: string): void {
    this.emit('event', { type: 'error', error, where });
  }

  private ctx(): UaContext {
    if (this.context === undefined) throw new DialogStateError('the user agent is not bound yet: await ua.ready');
    return this.context;
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new DialogStateError('the user agent is closed');
  }
}

/** What an {@link InviteUser} reads of its user agent. */
interface InviteHooks {
  usageFor(request: SipRequest): DialogUsage | undefined;
  dialog(key: string): DialogUsage | undefined;
}

/**
 * What the INVITE server transaction tells us: ACKs for our 2xx, CANCEL and failures while the call
 * is pending. One object, not three closures and their scope: the transaction keeps its user for
 * 64·T1 after a 2xx (RFC 6026's Accepted state).
 */
class InviteUser implements ServerTransactionUser {
  /** The call, until it is settled (CANCEL and failures only matter while it is pending). */
  call: IncomingCall | undefined;
  constructor(
    private readonly hooks: InviteHooks,
    call: IncomingCall,
    /** The dialog's key (a transport failure ends its session). */
    private readonly key: string,
  ) {
    this.call = call;
  }

  ack(ack: SipRequest): void {
    this.hooks.usageFor(ack)?.receiveAck(ack);
  }

  cancelled(): void {
    this.call?.cancelled();
  }

  failed(f: TransactionFailure): void {
    if (f.kind !== 'transport') return;
    this.call?.failed(f.error.message);
    const usage = this.hooks.dialog(this.key);
    if (usage instanceof DialogSession) usage.end('transport', f.error.message);
  }
}
