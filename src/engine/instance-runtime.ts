// One instance of a run: its UserAgent on its own socket, its media plan, the queue of incoming
// calls waiting for an INCOMING node, and its registration in PBX mode. Every SIP message its
// socket sends or receives becomes a `sip` run event (built only when someone listens).

import { isIP } from 'node:net';
import { maskCredentials } from '../sip/parser/mask-credentials.js';
import { parseMessage } from '../sip/parser/parse.js';
import { SipRequest, SipResponse } from '../sip/parser/message.js';
import type { IncomingCall } from '../sip/dialog/incoming-call.js';
import { type Registration, RegistrationError } from '../sip/dialog/registration.js';
import { UserAgent } from '../sip/dialog/user-agent.js';
import { advertisedHost } from '../sip/dialog/addressing.js';
import { postDatagram, TransportError, type Endpoint, type Transport } from '../sip/transport/transport.js';
import type { Call } from './call.js';
import { instanceOfferAnswer, type MediaPlan } from './call-media.js';
import { EngineError, NodeFailure } from './errors.js';
import type { CallTarget, CompiledInstance } from './scenario/index.js';
import type { WireCounters } from './load-stats.js';
import { onAbort, type Abortable } from './wait.js';
import type { RunContext } from './run-context.js';
import type { RunInstance } from './run-events.js';

/** sipflow's port rule: this many candidates, two apart (reference §3.3). */
const PORT_TRIES = 10;

/** Hands out local-mode ports from the run's base, two apart, in scenario order. */
export class PortAllocator {
  private next: number;

  constructor(base: number) {
    this.next = base;
  }

  /** Binds on the next free candidate; sipflow's error after 10 taken ones. */
  async bind(instanceId: string, host: string, open: (local: Endpoint) => Promise<Transport>): Promise<Transport> {
    for (let i = 0; i < PORT_TRIES; i++) {
      const port = this.next;
      this.next += 2;
      try {
        return await open({ address: host, port });
      } catch (err) {
        if (!isTaken(err)) throw err;
      }
    }
    throw new EngineError('instance-start', `failed to allocate port for instance ${instanceId}: failed to allocate port after ${PORT_TRIES} retries`);
  }
}

function isTaken(err: unknown): boolean {
  const code = err instanceof TransportError ? err.code : (err as { code?: string } | null)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EPERM';
}

/** A PBX host on this machine: the instance then binds loopback too (reference §3.1). */
function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** One running instance. */
export class InstanceRuntime {
  readonly spec: CompiledInstance;
  readonly ua: UserAgent;
  /** The address and port its socket is bound to. */
  readonly local: Endpoint;
  readonly media: MediaPlan;
  /** Incoming calls waiting for an INCOMING node, oldest first. */
  readonly queue: Call[] = [];
  /** Counters of a load run that its transport updates (responses received, by class); none otherwise. Retransmissions come from the user agent's counts. */
  counters: WireCounters | undefined;
  /** Its chains wait for DTMF (DTMFReceived): its calls run the in-band DTMF receiver on the audio. */
  detectsInbandDtmf = false;
  /** The registration with the PBX, once one was made. */
  registration: Registration | undefined;
  private readonly run: RunContext;
  private readonly takers: Array<(call: Call) => void> = [];

  private constructor(spec: CompiledInstance, transport: Transport, run: RunContext, bindHost: string) {
    this.spec = spec;
    this.run = run;
    this.local = transport.local;
    const sdpAddress = advertisedHost(bindHost);
    this.media = { bindHost, sdpAddress, codecs: spec.codecs, portRange: spec.rtpPortRange, clock: run.clock };
    this.ua = new UserAgent({
      transport: this.tap(transport),
      identity: {
        user: spec.user,
        ...(spec.displayName !== undefined ? { displayName: spec.displayName } : {}),
        ...(spec.pbx !== undefined ? { domain: spec.pbx.host } : {}),
      },
      clock: run.clock,
      offerAnswer: instanceOfferAnswer(this.media),
      closeTimeout: run.settings.closeTimeoutMs,
      ...(spec.userAgent !== undefined ? { userAgent: spec.userAgent } : {}),
      ...(run.settings.timers !== undefined ? { timers: run.settings.timers } : {}),
      ...(run.settings.limits !== undefined ? { limits: run.settings.limits } : {}),
      ...(spec.password !== undefined ? { credentials: { username: spec.authUsername, password: spec.password } } : {}),
    });
    this.ua.on('event', (e) => {
      if (e.type === 'error') run.reportError(e.error, `instance ${spec.id}: ${e.where}`);
      else if (e.type === 'overload') this.overloaded(e.limit, e.live);
      else if (e.type === 'retired') this.refusals.lingeringEnded += e.count;
    });
  }

  /**
   * Binds the instance's socket and creates its user agent: local mode on 127.0.0.1 (or `host`),
   * PBX mode on 127.0.0.1 for a PBX on this machine, else on 0.0.0.0; `port` as given, else the
   * next free port from the run's base.
   */
  static async start(spec: CompiledInstance, run: RunContext, ports: PortAllocator): Promise<InstanceRuntime> {
    const host = spec.host ?? (spec.pbx === undefined || isLoopback(spec.pbx.host) ? '127.0.0.1' : '0.0.0.0');
    let transport: Transport;
    if (spec.port !== undefined) {
      try {
        transport = await run.settings.bindTransport({ address: host, port: spec.port });
      } catch (err) {
        const code = err instanceof TransportError && err.code !== undefined ? ` (${err.code})` : '';
        throw new EngineError('instance-start', `instance ${spec.id} cannot bind ${host}:${spec.port}${code}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    } else {
      transport = await ports.bind(spec.id, host, run.settings.bindTransport);
    }
    return new InstanceRuntime(spec, transport, run, host);
  }

  /** What the user agent's limits did: new requests refused with 503 by limit, and the lingering transactions ended early. */
  readonly refusals = { atMaxDialogs: 0, atMaxTransactions: 0, lingeringEnded: 0 };
  /** The calls' RTP sessions open right now (each a socket pair). */
  openMediaSessions = 0;

  /** A 503 for a limit: said in the log at the 1st, 10th, 100th … refusal, so a flood costs a few lines. */
  private overloaded(limit: 'transactions' | 'dialogs', live: number): void {
    if (limit === 'dialogs') this.refusals.atMaxDialogs++;
    else this.refusals.atMaxTransactions++;
    const n = this.refusals.atMaxDialogs + this.refusals.atMaxTransactions;
    if (n !== 10 ** Math.round(Math.log10(n))) return;
    const bound = limit === 'transactions' ? `${live} live transactions` : `${live} calls at once`;
    this.run.log({ instanceId: this.spec.id, level: 'warn', message: `overloaded: a new request was refused with 503 at ${bound} (${n} refused so far); see the limits option` });
  }

  /** What the run events say of this instance. */
  describe(): RunInstance {
    return { id: this.spec.id, dn: this.spec.dn, label: this.spec.label, mode: this.spec.mode, address: this.local, contact: this.ua.contact };
  }

  /**
   * The URI a MakeCall or a transfer goes to: a URI as given; a DN of the run through our PBX in
   * PBX mode (`sip:<dn>@<pbxHost>[:<pbxPort>]`), else straight to that instance's socket.
   */
  targetUri(target: CallTarget): string {
    if (target.kind === 'uri') return target.uri;
    if (this.spec.pbx !== undefined) return `sip:${target.dn}@${hostPort(this.spec.pbx.host, this.spec.pbx.port)}`;
    const callee = this.run.instances.get(target.instance);
    if (callee === undefined) throw new NodeFailure(`target DN not found: ${target.dn}`);
    return `sip:${target.dn}@${hostPort(callee.local.address, callee.local.port)}`;
  }

  /**
   * REGISTERs with the PBX (digest with authUsername/password) and resolves with the granted
   * lifetime; the stack refreshes it before it runs out. Rejects with a NodeFailure naming the
   * status.
   */
  async register(expires = this.spec.registerIntervalSeconds): Promise<number> {
    const pbx = this.spec.pbx;
    if (pbx === undefined) throw new NodeFailure(`instance ${this.spec.id} has no PBX to register with`);
    if (this.registration !== undefined && this.registration.state !== 'unregistered') await this.registration.unregister().catch(() => undefined);
    const registration = this.ua.register({
      registrar: `sip:${hostPort(pbx.host, pbx.port)}`,
      aor: `sip:${this.spec.user}@${bracketed(pbx.host)}`,
      expires,
    });
    this.registration = registration;
    try {
      return (await registration.ready).expires;
    } catch (err) {
      if (err instanceof RegistrationError) throw new NodeFailure(`register failed: ${err.status} ${err.reason}`, { status: err.status, cause: err });
      throw new NodeFailure(`register failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /** Removes the registration (REGISTER with Expires 0). Rejects with a NodeFailure for a refused one. */
  async unregister(): Promise<void> {
    const registration = this.registration;
    if (registration === undefined || registration.state === 'unregistered') return;
    const response = await registration.unregister();
    if (response !== undefined && response.status >= 300) throw new NodeFailure(`unregister failed: ${response.status} ${response.reason}`, { status: response.status });
  }

  /** Puts an incoming call in the queue (false when the queue is full) and hands it to a waiting INCOMING node. */
  enqueue(call: Call): boolean {
    const taker = this.takers.shift();
    if (taker !== undefined) {
      taker(call);
      return true;
    }
    if (this.queue.length >= this.run.settings.queueLimit) return false;
    this.queue.push(call);
    return true;
  }

  /** Takes a queued call out (CANCELled while waiting). */
  dequeue(call: Call): void {
    const i = this.queue.indexOf(call);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** The oldest queued call, or the next to arrive; rejects with `signal`'s reason. */
  takeIncoming(signal: Abortable): Promise<Call> {
    const first = this.queue.shift();
    if (first !== undefined) return Promise.resolve(first);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Call>((resolve, reject) => {
      const take = (call: Call): void => {
        listening.remove();
        resolve(call);
      };
      this.takers.push(take);
      const listening = onAbort(signal, () => {
        const i = this.takers.indexOf(take);
        if (i >= 0) this.takers.splice(i, 1);
        reject(signal.reason);
      });
    });
  }

  /** Listens for incoming calls. */
  onInvite(fn: (call: IncomingCall) => void): void {
    this.ua.on('invite', fn);
  }

  /** Closes the user agent: un-REGISTER, BYE, CANCEL, 480, socket. */
  close(): Promise<void> {
    return this.ua.close();
  }

  /** The transport with every datagram in and out reported as a `sip` run event. */
  private tap(inner: Transport): Transport {
    const run = this.run;
    const instanceId = this.spec.id;
    const showSecrets = run.settings.unsafeShowSecrets;
    const report = (direction: 'sent' | 'received', data: Uint8Array, remote: Endpoint, parsed?: SipRequest | SipResponse): void => {
      if (!run.hub.wants('sip')) return;
      let message = parsed;
      if (message === undefined) {
        try {
          message = parseMessage(data);
        } catch {
          return; // keep-alives and anything we could not read back
        }
      }
      const sipCallId = message.callId ?? '';
      const key = run.store.bySip(instanceId, sipCallId)?.key;
      const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
      run.hub.emit({
        type: 'sip',
        instanceId,
        direction,
        local: inner.local,
        remote: { address: remote.address, port: remote.port },
        ...times(run.timeUs()),
        raw: showSecrets ? text : maskCredentials(text),
        ...(message instanceof SipRequest ? { method: message.method } : { status: message.status, reason: message.reason }),
        sipCallId,
        cseq: message.cseq === undefined ? '' : `${message.cseq.seq} ${message.cseq.method}`,
        ...(key !== undefined ? { callId: key } : {}),
      });
    };
    return {
      protocol: inner.protocol,
      reliable: inner.reliable,
      local: inner.local,
      setHandlers: (handlers) =>
        inner.setHandlers({
          ...handlers,
          message: (inbound) => {
            const counters = this.counters;
            if (counters !== undefined && inbound.message instanceof SipResponse) {
              counters.responses++;
              const status = inbound.message.status;
              if (status >= 600) counters.received6xx++;
              else if (status >= 500) counters.received5xx++;
              else if (status >= 400) counters.received4xx++;
            }
            report('received', inbound.data, inbound.source, inbound.message);
            handlers.message?.(inbound);
          },
        }),
      send: (data, destination) => {
        report('sent', data, destination);
        return inner.send(data, destination);
      },
      post: (data, destination, failed, sent) => {
        report('sent', data, destination);
        postDatagram(inner, data, destination, failed, sent);
      },
      close: () => inner.close(),
    };
  }
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function hostPort(host: string, port: number | undefined): string {
  return port === undefined ? bracketed(host) : `${bracketed(host)}:${port}`;
}

/** An event's `timestamp` (Unix ms) and `timeUs` from one reading of the clock. */
export function times(timeUs: number): { timestamp: number; timeUs: number } {
  return { timestamp: Math.round(timeUs / 1000), timeUs };
}
