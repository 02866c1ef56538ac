// The transaction layer (RFC 3261 §17): creates transactions, matches every inbound message to
// one (§17.1.3, §17.2.3), answers CANCEL (§9.2) and merged requests (§8.2.2.2), and forgets
// transactions when they end. It is the transport's only handler.

import { firstValueText, peekCSeq, peekTag, peekVias, type SipRequest, type SipResponse } from '../parser/message.js';
import { createResponse, serializeMessage } from '../parser/serialize.js';
import { Via } from '../parser/via.js';
import { type Clock, RealClock } from '../transport/clock.js';
import { viaDestination } from '../transport/inbound.js';
import { type Endpoint, type InboundMessage, type MalformedDatagram, postDatagram, type Transport, TransportError } from '../transport/transport.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { clientKeyOfRequest, clientKeyOfResponse, hasRfc3261Branch, mergeKey, sameSentBy, serverKey, toTagMatches } from './matching.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerTransaction } from './non-invite-server.js';
import { newBranch, newTag } from './tags.js';
import { resolveTimers, type TimerSettings } from './timers.js';
import type { ClientTransactionUser, ServerTransactionUser, TransactionContext, TransactionFailure } from './transaction.js';

/** A client transaction of either kind. */
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
/** A server transaction of either kind. */
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

/** Something the layer did with a message that nobody asked for, reported for observability. */
export type TransactionLayerEvent =
  | { type: 'malformed'; datagram: MalformedDatagram }
  | { type: 'discarded'; message: SipRequest | SipResponse; source: Endpoint; reason: string }
  | { type: 'merged'; request: SipRequest; source: Endpoint }
  /** A new request refused with a stateless 503 because `maxTransactions` transactions were live. */
  | { type: 'overload'; request: SipRequest; source: Endpoint; limit: 'transactions'; live: number }
  /**
   * The table was full (`maxTransactions`): `count` lingering transactions, the oldest, were ended
   * before their timers (see `Transaction.lingering`) to make room; `live` transactions are left.
   */
  | { type: 'retired'; count: number; live: number }
  | { type: 'transport-error'; error: TransportError };

/** The transaction user above the layer: the user agent core (or a test). */
export interface TransactionCore {
  /**
   * A request that started a new server transaction (answer it with `tx.respond`; return a
   * {@link ServerTransactionUser} to hear about ACK, CANCEL and failures), or an ACK that matched
   * no transaction (`tx` undefined: the ACK for a 2xx, §17.2.3 and RFC 6026).
   */
  request(request: SipRequest, tx: ServerTransaction | undefined, source: Endpoint): ServerTransactionUser | void;
  /** A 2xx to an INVITE that matched no client transaction (RFC 6026 §7.2): the dialog layer ACKs or BYEs it. */
  strayResponse?(response: SipResponse, source: Endpoint): void;
  /** Observability: malformed datagrams, discarded messages, merged requests, transport errors. */
  event?(event: TransactionLayerEvent): void;
}

/** Options for {@link TransactionLayer}. */
export interface TransactionLayerOptions {
  transport: Transport;
  core: TransactionCore;
  /** Defaults to a {@link RealClock}. */
  clock?: Clock;
  /** T1, T2, T4, Timer D for this stack instance. */
  timers?: Partial<TimerSettings>;
  /**
   * How many transactions (client and server) the layer keeps. At the limit it first ends the
   * oldest lingering ones (those that only absorb retransmissions until their last timer, see
   * `Transaction.lingering`), down to 98 % of the limit; if the rest are all at work, a new
   * request from outside any dialog is refused with a stateless 503 Service Unavailable and
   * Retry-After, without a transaction of its own, so a flood cannot grow memory without bound. A
   * request inside a dialog (with a To tag) is still taken up to a quarter beyond, so calls already
   * running can end. Requests this side sends are never refused, but make room the same way.
   * Default {@link DEFAULT_MAX_TRANSACTIONS}; `Infinity` for no limit.
   */
  maxTransactions?: number;
  /** The Retry-After of that 503, seconds (RFC 3261 §21.5.4, §20.33). Default 5. */
  retryAfterS?: number;
}

/** What {@link TransactionLayer}'s full table keeps of its limit when it ends lingering transactions to make room. */
const ROOM_LEFT = 0.98;

/**
 * Default {@link TransactionLayerOptions.maxTransactions}: two server transactions per call linger
 * 32 s after it, so beyond about 1,500 calls a second the oldest lingering ones are ended early to
 * make room (what that costs: the answer to a retransmission more than some seconds late).
 */
export const DEFAULT_MAX_TRANSACTIONS = 100_000;

/** Default Retry-After (seconds) of the 503 sent when a limit is reached. */
export const DEFAULT_RETRY_AFTER_S = 5;

/**
 * Owns every transaction of one stack instance over one transport.
 *
 * @example
 * ```ts
 * const layer = new TransactionLayer({ transport, clock, core: { request: (req, tx) => tx?.respond(createResponse(req, 200)) } });
 * layer.sendRequest(options, { address: '192.0.2.9', port: 5060 }, { response: (res) => report(res.status) });
 * ```
 */
export class TransactionLayer {
  /** Timer values in force. */
  readonly timers: TimerSettings;
  readonly clock: Clock;
  private readonly transport: Transport;
  private readonly core: TransactionCore;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly merged = new Map<string, string>();
  private readonly maxTransactions: number;
  private readonly retryAfterS: number;
  private closed = false;
  private invitesCalling = 0;
  private readonly tally: Tally = { retransmissions: 0 };
  /** The context of the last transaction made, reused for the next to the same destination (see context). */
  private lastContext: DestinationContext | undefined = undefined;
  // One function each for every transaction (see Transaction.filedAs).
  private readonly forgetClient = (tx: ClientTransaction): void => {
    if (this.clients.get(tx.filedAs!) === tx) this.clients.delete(tx.filedAs!);
  };
  private readonly forgetServer = (tx: ServerTransaction): void => {
    // An RFC 2543 request whose To tag did not match may have filed a newer transaction under
    // the same key: forget only our own entry.
    const key = tx.filedAs!;
    if (this.servers.get(key) === tx) this.servers.delete(key);
    const merge = tx.mergedAs;
    if (merge !== undefined && this.merged.get(merge) === key) this.merged.delete(merge);
  };
  /** Clock time before which {@link makeRoom} does not look again, after a look that could not make room. */
  private noRoomUntil = -Infinity;
  private readonly leftCalling = (): void => {
    this.invitesCalling--;
  };

  constructor(options: TransactionLayerOptions) {
    this.transport = options.transport;
    this.core = options.core;
    this.clock = options.clock ?? new RealClock();
    this.timers = resolveTimers(options.timers);
    this.maxTransactions = checkLimit('maxTransactions', options.maxTransactions ?? DEFAULT_MAX_TRANSACTIONS);
    this.retryAfterS = checkLimit('retryAfterS', options.retryAfterS ?? DEFAULT_RETRY_AFTER_S);
    this.transport.setHandlers({
      message: (inbound) => this.receive(inbound),
      malformed: (datagram) => this.core.event?.({ type: 'malformed', datagram }),
      error: (error) => this.core.event?.({ type: 'transport-error', error }),
    });
  }

  /** Transactions kept now, client and server (what `maxTransactions` bounds). */
  private get live(): number {
    return this.clients.size + this.servers.size;
  }

  /** Live transactions, for leak checks: both go to 0 once every timer has fired. */
  get counts(): { client: number; server: number } {
    return { client: this.clients.size, server: this.servers.size };
  }

  /**
   * INVITEs sent in this layer's client transactions that no response has reached yet (their
   * transactions are in Calling, RFC 3261 §17.1.1.2). A peer answers within T1 or sends 100
   * (Trying) within 200 ms (§17.2.1), so a count that grows says the peer, or this process reading
   * its responses, has fallen behind. Kept as a counter: reading it costs nothing.
   */
  get callingInvites(): number {
    return this.invitesCalling;
  }

  /**
   * Messages this layer's transactions sent again, and bytes given to {@link resendBytes}: requests
   * on Timers A and E, finals on Timer G, a response re-sent for a retransmitted request, an ACK
   * re-sent for a retransmitted final, a 2xx passed again while Accepted.
   */
  get retransmissions(): number {
    return this.tally.retransmissions;
  }

  /**
   * Sends a request in a new client transaction (INVITE or non-INVITE). A request without a Via
   * gets `SIP/2.0/UDP <local>;branch=z9hG4bK<random>;rport`; one without a branch gets a branch.
   * ACK is not sent through a transaction (§17.1.1.3, §13.2.2.4): use {@link sendStateless}.
   */
  sendRequest(request: SipRequest, destination: Endpoint, tu: ClientTransactionUser): ClientTransaction {
    this.assertOpen();
    if (request.method === 'ACK') throw new TypeError('an ACK is not sent in a transaction; use sendStateless');
    this.ensureVia(request);
    const key = clientKeyOfRequest(request)!;
    if (this.clients.has(key)) throw new TypeError(`a client transaction with branch ${peekVias(request)[0]?.branch} and method ${request.method} already exists`);
    // (our own requests are never refused, but the lingering transactions they leave count too)
    if (this.live >= this.maxTransactions) this.makeRoom();
    const ctx = this.context(destination);
    const tx = request.method === 'INVITE' ? new InviteClientTransaction(request, ctx, tu) : new NonInviteClientTransaction(request, ctx, tu);
    this.clients.set(key, tx);
    tx.filedAs = key;
    tx.whenTerminated(this.forgetClient);
    if (tx instanceof InviteClientTransaction) {
      this.invitesCalling++;
      tx.whenLeftCalling(this.leftCalling);
    }
    tx.start();
    return tx;
  }

  /**
   * Cancels an INVITE client transaction (RFC 3261 §9.1): the CANCEL goes out in its own
   * non-INVITE client transaction once a provisional response has arrived. Returns false when it
   * is too late (a final response came). `tu` hears the CANCEL's own responses.
   */
  cancel(tx: InviteClientTransaction, destination: Endpoint, tu: ClientTransactionUser = { response: () => undefined }): boolean {
    return tx.cancel((cancel) => {
      if (!this.closed) this.sendRequest(cancel, destination, tu);
    });
  }

  /** Sends a message outside any transaction (the ACK for a 2xx, a stateless response). */
  sendStateless(message: SipRequest | SipResponse, destination: Endpoint): Promise<void> {
    return this.sendBytes(this.statelessBytes(message), destination);
  }

  /**
   * The bytes {@link sendStateless} would send for `message` (a request gets a Via first, as
   * there), for a caller that sends them with {@link sendBytes} and keeps them to send again: the
   * ACK for a 2xx, re-sent as it was for each retransmission of the 2xx (RFC 3261 §13.2.2.4).
   */
  statelessBytes(message: SipRequest | SipResponse): Uint8Array {
    this.assertOpen();
    if (message.isRequest) this.ensureVia(message);
    return serializeMessage(message);
  }

  /** Sends a message's bytes, as made by {@link statelessBytes}, outside any transaction. */
  sendBytes(bytes: Uint8Array, destination: Endpoint): Promise<void> {
    this.assertOpen();
    return this.transport.send(bytes, destination);
  }

  /**
   * {@link sendBytes} without a promise: a failure goes to `failed` and `sent` (when given) is
   * called once the datagram has gone, neither before this returns (see {@link postDatagram}).
   * @throws TransportError of kind `closed` when the layer is closed.
   */
  postBytes(bytes: Uint8Array, destination: Endpoint, failed: (error: TransportError) => void, sent?: () => void): void {
    this.assertOpen();
    postDatagram(this.transport, bytes, destination, failed, sent);
  }

  /** {@link sendBytes} for bytes sent before (an ACK re-sent for a retransmitted 2xx): counted in {@link retransmissions}. */
  resendBytes(bytes: Uint8Array, destination: Endpoint): Promise<void> {
    this.assertOpen();
    this.tally.retransmissions++;
    return this.transport.send(bytes, destination);
  }

  /**
   * Resolves once every INVITE server transaction that has sent a 300–699 final has had it ACKed
   * or has ended (RFC 3261 §17.2.1: the final is re-sent until then). For a clean shutdown.
   */
  finalsAcknowledged(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const tx of this.servers.values()) {
      if (tx instanceof InviteServerTransaction && tx.state === 'Completed') waits.push(new Promise<void>((resolve) => tx.whenFinalAcknowledged(resolve)));
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Ends every transaction (timers stopped, TUs not told) and stops listening. The transport stays open. */
  close(): void {
    this.closed = true;
    for (const tx of [...this.clients.values()]) tx.abort();
    for (const tx of [...this.servers.values()]) tx.abort();
    this.merged.clear();
    this.transport.setHandlers({});
  }

  private receive(inbound: InboundMessage): void {
    if (this.closed) return;
    const { message, source } = inbound;
    if (message.isRequest) this.receiveRequest(message, source);
    else this.receiveResponse(message, source);
  }

  // RFC 3261 §17.1.3 and §18.1.2; RFC 6026 §7.2 for responses that match nothing.
  private receiveResponse(response: SipResponse, source: Endpoint): void {
    const key = clientKeyOfResponse(response);
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (tx !== undefined) {
      if (!sameSentBy(peekVias(tx.request)[0], peekVias(response)[0])) {
        this.core.event?.({ type: 'discarded', message: response, source, reason: 'top Via sent-by is not ours (RFC 3261 §18.1.2)' });
        return;
      }
      tx.receiveResponse(response);
      return;
    }
    if (response.status >= 200 && response.status < 300 && peekCSeq(response)?.method === 'INVITE' && this.core.strayResponse !== undefined) {
      this.core.strayResponse(response, source);
      return;
    }
    this.core.event?.({ type: 'discarded', message: response, source, reason: 'matches no client transaction' });
  }

  // RFC 3261 §17.2.3 (matching), §9.2 (CANCEL), §8.2.2.2 (merged requests).
  private receiveRequest(request: SipRequest, source: Endpoint): void {
    const key = serverKey(request);
    if (key === undefined) {
      // Without Via or CSeq no response can be built; the UA layer would answer 400 (issue 4).
      this.core.event?.({ type: 'discarded', message: request, source, reason: 'no Via or CSeq: cannot match or answer' });
      return;
    }
    const existing = this.servers.get(key);
    // (With an RFC 3261 branch the key is the match: the transaction's request, rebuilt from its
    // skeleton once it lingers, is read only for an RFC 2543 peer.)
    if (existing !== undefined && (hasRfc3261Branch(request) || toTagMatches(request, existing.request, existing.lastToTag))) {
      existing.receiveRequest(request);
      return;
    }
    // RFC 3261 §8.1.1: To, From and Call-ID are mandatory. Without them no proper response (nor a
    // CANCEL's, a merged request's or an overload's, which the layer makes itself) can be built:
    // answer 400 statelessly with what there is, and keep no transaction for it.
    // (Whether they are there: a line of each, read or not.)
    const to = firstValueText(request, 'to');
    const from = firstValueText(request, 'from');
    if (to === undefined || from === undefined || request.callId === undefined) {
      const missing = [to === undefined ? 'To' : '', from === undefined ? 'From' : '', request.callId === undefined ? 'Call-ID' : ''].filter((h) => h !== '').join(', ');
      if (request.method !== 'ACK') this.sendStatelessResponse(createResponse(request, 400, `Bad Request (missing ${missing})`), request, source);
      this.core.event?.({ type: 'discarded', message: request, source, reason: `missing ${missing}: answered 400 without a transaction` });
      return;
    }
    if (request.method === 'ACK') {
      // §17.2.3 / RFC 6026: an ACK that matches no transaction is the ACK for a 2xx; the core takes it.
      this.core.request(request, undefined, source);
      return;
    }
    if (request.method === 'CANCEL') {
      this.receiveCancel(request, key, source);
      return;
    }
    // A flood must not grow the transaction tables without bound: beyond the limit, answer
    // statelessly (RFC 3261 §21.5.4: 503 with Retry-After when the server is overloaded).
    let live = this.live;
    if (live >= this.maxTransactions) live = this.makeRoom();
    if (live >= this.maxTransactions && (peekTag(request, 'to') === undefined || live >= this.maxTransactions * 1.25)) {
      this.refuseOverloaded(request, source, live);
      return;
    }
    const merge = mergeKey(request);
    const other = merge === undefined ? undefined : this.merged.get(merge);
    if (other !== undefined && other !== key && this.servers.has(other)) {
      // §8.2.2.2: same From tag, Call-ID and CSeq as an ongoing transaction, different branch.
      const tx = this.createServer(request, key, source);
      tx.respond(createResponse(request, 482, undefined, { toTag: newTag() }));
      this.core.event?.({ type: 'merged', request, source });
      return;
    }
    const upward = new ForwardingUser();
    const tx = this.createServer(request, key, source, merge, upward);
    let user: ServerTransactionUser | void;
    try {
      user = this.core.request(request, tx, source);
    } catch (err) {
      // The core failed on this request: answer it (RFC 3261 §21.5.1) so the transaction ends
      // with its timers rather than waiting for ever, then let the transport report the error.
      if ((tx.lastStatus ?? 0) < 200) {
        try {
          tx.respond(createResponse(request, 500, undefined, { toTag: newTag() }));
        } catch {
          tx.abort();
        }
      }
      throw err;
    }
    if (user) upward.target = user;
  }

  /**
   * The table is full: ends lingering transactions, oldest first (a Map keeps the order its entries
   * were made in), until 98 % of the limit are left: once per fiftieth of the table rather than
   * once per request, and in short steps (ending a transaction takes 1–2 µs; a tenth of a table
   * of 100,000 at once held the event loop 7–18 ms). When that cannot get below the limit (the
   * table is full of transactions at work: a flood), it does not look again for a second, so that
   * every refused request stays cheap. Returns how many transactions are left.
   */
  private makeRoom(): number {
    const now = this.clock.now();
    if (now < this.noRoomUntil) return this.live;
    const target = Math.floor(this.maxTransactions * ROOM_LEFT);
    let retired = 0;
    for (const table of [this.servers, this.clients] as const) {
      for (const tx of table.values()) {
        if (this.live <= target) break;
        if (tx.retire()) retired++;
      }
    }
    const left = this.live;
    if (left >= this.maxTransactions) this.noRoomUntil = now + 1000;
    if (retired > 0) this.core.event?.({ type: 'retired', count: retired, live: left });
    return left;
  }

  private refuseOverloaded(request: SipRequest, source: Endpoint, live: number): void {
    this.sendStatelessResponse(createResponse(request, 503, undefined, { toTag: newTag(), headers: { 'Retry-After': String(this.retryAfterS) } }), request, source);
    this.core.event?.({ type: 'overload', request, source, limit: 'transactions', live });
  }

  /** A response outside any transaction, to the request's top Via (RFC 3261 §18.2.2). */
  private sendStatelessResponse(response: SipResponse, request: SipRequest, source: Endpoint): void {
    this.transport.send(serializeMessage(response), viaDestination(peekVias(request)[0]!) ?? source).catch((error: unknown) => {
      if (error instanceof TransportError) this.core.event?.({ type: 'transport-error', error });
    });
  }

  private receiveCancel(cancel: SipRequest, key: string, source: Endpoint): void {
    const inviteKey = serverKey(cancel, 'INVITE');
    const invite = inviteKey === undefined ? undefined : this.servers.get(inviteKey);
    const tx = this.createServer(cancel, key, source);
    if (invite instanceof InviteServerTransaction) {
      // §9.2: the CANCEL gets 200; the INVITE gets 487 unless a final response was already sent.
      // "The To tag of the response to the CANCEL and the To tag in the response to the original
      // request SHOULD be the same": both use the INVITE's tag so far, or one new tag.
      const tag = invite.lastToTag ?? newTag();
      tx.respond(createResponse(cancel, 200, undefined, { toTag: tag }));
      invite.cancel(cancel, tag);
    } else {
      tx.respond(createResponse(cancel, 481, undefined, { toTag: newTag() }));
    }
  }

  private createServer(request: SipRequest, key: string, source: Endpoint, merge?: string, user: ServerTransactionUser = NO_USER): ServerTransaction {
    const top = peekVias(request)[0]!;
    const ctx = this.context(viaDestination(top) ?? source);
    const tx: ServerTransaction = request.method === 'INVITE' ? new InviteServerTransaction(request, ctx, user) : new NonInviteServerTransaction(request, ctx, user);
    this.servers.set(key, tx);
    tx.filedAs = key;
    if (merge !== undefined) {
      this.merged.set(merge, key);
      tx.mergedAs = merge;
    }
    tx.whenTerminated(this.forgetServer);
    tx.start();
    return tx;
  }

  private context(destination: Endpoint): TransactionContext {
    // (it holds nothing of a transaction's own: the last one is shared while the destination is the
    // same, as for every call from one peer, and a transaction lingering 64·T1 keeps no copy)
    const last = this.lastContext;
    if (last !== undefined && last.destination.port === destination.port && last.destination.address === destination.address) return last;
    return (this.lastContext = new DestinationContext(this.clock, this.timers, this.transport, destination, this.tally));
  }

  private ensureVia(request: SipRequest): void {
    const top = peekVias(request)[0];
    if (top === undefined) {
      const local = this.transport.local;
      request.prependHeader('Via', new Via({ transport: this.transport.protocol, host: local.address, port: local.port, branch: newBranch(), params: { rport: null } }));
    } else if (top.branch === undefined) {
      // (changed: through the public accessor, so that the Via is written from its value)
      request.vias[0]!.branch = newBranch();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new TypeError('the transaction layer is closed');
  }
}

/**
 * A transaction's context: the layer's clock and timers, and sends to one destination. A class,
 * not an object of closures: one is kept per transaction for as long as it lingers.
 */
class DestinationContext implements TransactionContext {
  readonly reliable: boolean;

  constructor(
    readonly clock: Clock,
    readonly timers: TimerSettings,
    private readonly transport: Transport,
    readonly destination: Endpoint,
    private readonly tally: Tally,
  ) {
    this.reliable = transport.reliable;
  }

  post(bytes: Uint8Array, again: boolean, failed: (error: TransportError) => void): void {
    if (again) this.tally.retransmissions++;
    postDatagram(this.transport, bytes, this.destination, failed);
  }
}

/** What the layer counts of its transactions' sends (one object, shared by their contexts). */
interface Tally {
  retransmissions: number;
}

/** The TU of a server transaction the layer answers itself (a CANCEL, a merged request): nobody to tell. */
const NO_USER: ServerTransactionUser = Object.freeze({});

/**
 * The TU the layer gives a server transaction the core takes: passes each notice on to the user
 * the core returned for it, known only once the core has seen the transaction (`target`, set then).
 */
class ForwardingUser implements ServerTransactionUser {
  target: ServerTransactionUser | undefined;

  ack(ack: SipRequest): void {
    this.target?.ack?.(ack);
  }

  cancelled(cancel: SipRequest): void {
    this.target?.cancelled?.(cancel);
  }

  failed(failure: TransactionFailure): void {
    this.target?.failed?.(failure);
  }

  terminated(): void {
    this.target?.terminated?.();
  }
}

/** @internal `value` as a limit: a whole number ≥ 0, or Infinity; else a RangeError naming `name`. */
export function checkLimit(name: string, value: number): number {
  if (!(value >= 0) || (!Number.isInteger(value) && value !== Infinity)) throw new RangeError(`${name} must be a whole number ≥ 0 or Infinity, got ${String(value)}`);
  return value;
}
