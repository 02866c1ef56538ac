// Registration (RFC 3261 §10.2): REGISTER a contact for an address of record, answer digest
// challenges, refresh before expiry, and remove the binding with Expires 0.

import type { SipResponse } from '../parser/message.js';
import type { Contact } from '../parser/name-addr.js';
import { NameAddr } from '../parser/name-addr.js';
import { createRequest, type HeaderInit } from '../parser/serialize.js';
import { SipUri, type Uri } from '../parser/uri.js';
import { newTag } from '../transaction/tags.js';
import type { TimerHandle } from '../transport/clock.js';
import { parseTarget } from './addressing.js';
import { type Credentials, digestClientFor, sendAuthenticated } from './auth.js';
import { headerPairs } from './dialog.js';
import type { DigestClient } from './digest.js';
import { TypedEmitter } from './emitter.js';
import type { UaContext } from './ua-context.js';

/** Options of `ua.register()`. */
export interface RegisterOptions {
  /** The registrar, e.g. `sip:pbx.example.com` or `sip:192.0.2.5:5060`: the Request-URI (and next hop) of the REGISTERs. */
  registrar: string;
  /** The address of record (To and From); `sip:<identity.user>@<registrar host>` by default. */
  aor?: string;
  /** The contact to bind; the user agent's own Contact by default. */
  contact?: string;
  /** Requested binding lifetime in seconds (default 3600). */
  expires?: number;
  /** Digest credentials for the registrar's challenges; the user agent's own when left out. */
  credentials?: Credentials;
  /** Extra headers for every REGISTER. */
  headers?: HeaderInit;
}

/** What a successful REGISTER granted. */
export interface RegisteredEvent {
  /** The lifetime the registrar granted for our contact, in seconds. */
  readonly expires: number;
  /** Every binding of the AOR the registrar listed (ours and others'). */
  readonly contacts: readonly Contact[];
  /** The 2xx. */
  readonly response: SipResponse;
}

/**
 * A REGISTER that failed: `code`/`status` is the final status (401/407 after refused credentials,
 * 403, 404, a synthetic 408 or 503 …). Never carries the password or computed digests.
 */
export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
  readonly status: number;
  readonly code: number;
  readonly reason: string;
  readonly response: SipResponse | undefined;

  constructor(status: number, reason: string, response?: SipResponse, options?: { cause?: unknown }) {
    super(`REGISTER failed: ${status} ${reason}`, options);
    this.status = status;
    this.code = status;
    this.reason = reason;
    this.response = response;
  }
}

/** Events of a {@link Registration}. */
export interface RegistrationEvents {
  [event: string]: unknown;
  /** A REGISTER (the first or a refresh) succeeded. */
  registered: RegisteredEvent;
  /** A REGISTER failed; refreshing stops. */
  failed: RegistrationError;
  /** The binding was removed (Expires 0 answered, or the user agent closed). */
  unregistered: { readonly response: SipResponse | undefined };
}

/** `registering` → `registered` ⇄ (refresh) → `unregistered`; `failed` when a REGISTER fails. */
export type RegistrationState = 'registering' | 'registered' | 'failed' | 'unregistering' | 'unregistered';

/** Longest binding we ask for when the registrar's 423 names a Min-Expires (RFC 3261 §10.2.8): a sanity cap. */
const MAX_EXPIRES = 0xffffffff;

/**
 * One registration of a contact with a registrar. Refreshes itself at the earlier of 90 % of the
 * granted lifetime and 30 s before it ends (halfway for lifetimes of 30 s or less), until
 * {@link unregister} or `ua.close()`.
 *
 * @example
 * ```ts
 * const reg = ua.register({ registrar: 'sip:pbx.example.com', expires: 600, credentials: { username: '1001', password } });
 * reg.on('registered', (e) => report(`bound for ${e.expires} s`));
 * await reg.ready;
 * await reg.unregister();
 * ```
 */
export class Registration extends TypedEmitter<RegistrationEvents> {
  /** Where the registration is. */
  state: RegistrationState = 'registering';
  /** The lifetime last granted, in seconds. */
  expires: number | undefined;
  /** The bindings the registrar last listed. */
  contacts: readonly Contact[] = [];
  /** Resolves with the first successful registration; rejects with a {@link RegistrationError}. */
  readonly ready: Promise<RegisteredEvent>;
  /** The address of record. */
  readonly aor: string;
  private readonly ctx: UaContext;
  private readonly registrar: Uri;
  private readonly contact: string;
  private readonly requested: number;
  private readonly headers: HeaderInit | undefined;
  private readonly client: DigestClient | undefined;
  private readonly callId: string;
  private readonly fromTag = newTag();
  private seq = 0;
  private refresh: TimerHandle | undefined;
  private settleReady!: { resolve: (e: RegisteredEvent) => void; reject: (e: RegistrationError) => void };

  /** @internal Created by `ua.register()`; call {@link start}. */
  constructor(ctx: UaContext, identityUser: string, options: RegisterOptions, fallbackCredentials: Credentials | undefined) {
    super();
    this.ctx = ctx;
    this.registrar = parseTarget(options.registrar);
    if (!(this.registrar instanceof SipUri)) throw new TypeError(`registrar must be a sip: URI, not ${options.registrar}`);
    const expires = options.expires ?? 3600;
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES) throw new RangeError(`expires must be a whole number of seconds ≥ 1, got ${expires}`);
    this.requested = expires;
    this.aor = options.aor ?? `sip:${identityUser}@${this.registrar.host}`;
    parseTarget(this.aor);
    this.contact = options.contact ?? ctx.contact;
    this.headers = options.headers;
    this.client = digestClientFor(options.credentials ?? fallbackCredentials);
    // RFC 3261 §10.2: "A UA SHOULD use the same Call-ID for all registrations during a single boot cycle".
    this.callId = `${newTag()}${newTag()}@${(NameAddr.parse(ctx.contact).uri as SipUri).host}`;
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined);
  }

  /** @internal Sends the first REGISTER. */
  start(): void {
    void this.register(this.requested);
  }

  /**
   * Removes our binding (REGISTER with Expires 0, RFC 3261 §10.2.2) and stops refreshing.
   * Resolves with the registrar's response (also for a failure: the binding then lapses on its own).
   */
  async unregister(): Promise<SipResponse | undefined> {
    if (this.state === 'unregistered' || this.state === 'unregistering') return undefined;
    this.stopRefresh();
    this.state = 'unregistering';
    let response: SipResponse | undefined;
    try {
      response = (await this.send(0)).response;
    } catch (err) {
      this.ctx.reportError(err, 'un-REGISTER');
    }
    this.state = 'unregistered';
    this.emit('unregistered', { response });
    return response;
  }

  /** @internal Stops the refresh timer without sending anything (the transport is gone). */
  stop(): void {
    this.stopRefresh();
    if (this.state !== 'unregistered') this.state = 'unregistered';
  }

  protected override onListenerError(err: unknown, event: string): void {
    this.ctx.reportError(err, `Registration '${event}' listener`);
  }

  private async register(expires: number, retried423 = false): Promise<void> {
    let result: { response: SipResponse; error?: Error };
    try {
      result = await this.send(expires);
    } catch (err) {
      this.fail(new RegistrationError(503, err instanceof Error ? err.message : String(err), undefined, { cause: err }));
      return;
    }
    if (this.state === 'unregistering' || this.state === 'unregistered') return;
    const res = result.response;
    if (res.status >= 200 && res.status < 300) {
      this.registered(res);
      return;
    }
    // RFC 3261 §10.2.8: 423 Interval Too Brief names the shortest lifetime the registrar accepts.
    const min = Number(res.header('Min-Expires'));
    if (res.status === 423 && !retried423 && Number.isInteger(min) && min > expires && min <= MAX_EXPIRES) {
      await this.register(min, true);
      return;
    }
    this.fail(new RegistrationError(res.status, res.reason, res, result.error !== undefined ? { cause: result.error } : undefined));
  }

  private registered(res: SipResponse): void {
    // RFC 3261 §10.2.4: the 2xx lists every binding; ours carries its granted expires, else the
    // Expires header applies, else what we asked for.
    const mine = res.contacts.find((c): c is NameAddr => !c.wildcard && sameUri(c.uri, NameAddr.parse(this.contact).uri));
    const fromParam = Number(mine?.params.get('expires'));
    const granted = Number.isInteger(fromParam) && fromParam >= 0 ? fromParam : (res.expires ?? this.requested);
    this.expires = granted;
    this.contacts = res.contacts;
    this.state = 'registered';
    const event: RegisteredEvent = { expires: granted, contacts: res.contacts, response: res };
    this.settleReady.resolve(event);
    this.emit('registered', event);
    if (granted > 0) {
      // Refresh at the earlier of 90 % of the lifetime and 30 s before its end; a lifetime of 30 s
      // or less (where "30 s before the end" is already past) is refreshed halfway.
      const at = granted > 30 ? Math.min(granted * 0.9, granted - 30) : granted / 2;
      this.refresh = this.ctx.clock.setTimer(at * 1000, () => {
        this.refresh = undefined;
        void this.register(this.requested);
      });
    }
  }

  private fail(error: RegistrationError): void {
    this.stopRefresh();
    this.state = 'failed';
    this.settleReady.reject(error);
    this.emit('failed', error);
  }

  /** One REGISTER (§10.2): same Call-ID every time, CSeq up by one, Contact and Expires. */
  private send(expires: number): ReturnType<typeof sendAuthenticated> {
    const request = createRequest({
      method: 'REGISTER',
      uri: this.registrar.clone(),
      from: `<${this.aor}>;tag=${this.fromTag}`,
      to: `<${this.aor}>`,
      callId: this.callId,
      cseq: ++this.seq,
      contact: this.contact,
      headers: [['Expires', String(expires)], ...headerPairs(this.headers)] as HeaderInit,
    });
    return sendAuthenticated(
      request,
      this.client,
      (req) => this.ctx.sendFinal(req, this.registrar),
      () => ++this.seq,
    );
  }

  private stopRefresh(): void {
    if (this.refresh !== undefined) this.ctx.clock.clearTimer(this.refresh);
    this.refresh = undefined;
  }
}

function sameUri(a: Uri, b: Uri): boolean {
  if (!(a instanceof SipUri) || !(b instanceof SipUri)) return String(a) === String(b);
  return a.scheme === b.scheme && a.user === b.user && a.host.toLowerCase() === b.host.toLowerCase() && (a.port ?? 5060) === (b.port ?? 5060);
}

