// The calls of a run, by instance and logical key (callId). A command or event only ever touches
// its own key; a key may be reused once its call has ended, never while it is live (sipflow
// silently overwrote it and leaked the old call). The store knows keys and calls, nothing of the
// executor.

import { appended, type Call } from './call.js';
import { NodeFailure } from './errors.js';

/** `instance\0name`: instance ids, keys and Call-IDs are any strings. */
function slot(instanceId: string, name: string): string {
  return `${instanceId}\u0000${name}`;
}

/** How many entries a {@link CallIndex} keeps in a list before it takes a map. */
const LISTED = 8;

interface Listed {
  readonly instanceId: string;
  readonly name: string;
  call: Call;
}

/**
 * Calls by instance and a name (a key, or a SIP Call-ID). A list while there are few (a load run
 * makes a store per call, holding one or two: no map and no joined key each), a map beyond.
 */
class CallIndex {
  private list: Listed[] | undefined;
  private map: Map<string, Call> | undefined;

  get(instanceId: string, name: string): Call | undefined {
    if (this.map !== undefined) return this.map.get(slot(instanceId, name));
    return this.find(instanceId, name)?.call;
  }

  set(instanceId: string, name: string, call: Call): void {
    if (this.map !== undefined) {
      this.map.set(slot(instanceId, name), call);
      return;
    }
    const entry = this.find(instanceId, name);
    if (entry !== undefined) entry.call = call;
    else if ((this.list ??= []).length < LISTED) this.list.push({ instanceId, name, call });
    else {
      this.map = new Map(this.list.map((e) => [slot(e.instanceId, e.name), e.call]));
      this.map.set(slot(instanceId, name), call);
      this.list = undefined;
    }
  }

  delete(instanceId: string, name: string): void {
    if (this.map !== undefined) {
      this.map.delete(slot(instanceId, name));
      return;
    }
    const entry = this.find(instanceId, name);
    if (entry !== undefined) this.list!.splice(this.list!.indexOf(entry), 1);
  }

  private find(instanceId: string, name: string): Listed | undefined {
    if (this.list === undefined) return undefined;
    for (const e of this.list) if (e.name === name && e.instanceId === instanceId) return e;
    return undefined;
  }
}

/** Calls by instance and key, and every call of the run. */
export class SessionStore {
  private readonly byKey = new CallIndex();
  private readonly bySipCallId = new CallIndex();
  private known: Call[] = [];

  /** Every call of the run, in order of creation (queued ones included), for the result and cleanup. */
  get calls(): readonly Call[] {
    return this.known;
  }

  /** The calls known, for a quick test once there are many (a few are searched: a load call has one or two). */
  private tracked: WeakSet<Call> | undefined;

  /** Adds a call the run now knows of (queued incoming calls too); a call already known stays as it is. */
  track(call: Call): void {
    if (this.tracked !== undefined ? this.tracked.has(call) : this.known.includes(call)) return;
    this.tracked?.add(call);
    this.known = appended(this.known, call);
    if (this.tracked === undefined && this.known.length > 8) this.tracked = new WeakSet(this.known);
    this.bySipCallId.set(call.instanceId, call.sipCallId, call);
  }

  /** The call under `key` on `instanceId`: the live one, or the last one if it has ended. */
  get(instanceId: string, key: string): Call | undefined {
    return this.byKey.get(instanceId, key);
  }

  /** The call of `instanceId` whose dialog has this SIP Call-ID. */
  bySip(instanceId: string, sipCallId: string): Call | undefined {
    return this.bySipCallId.get(instanceId, sipCallId);
  }

  /** Notes that a call's dialog now has another SIP Call-ID (a transfer replaced it). */
  renamed(call: Call, previousSipCallId: string): void {
    if (this.bySipCallId.get(call.instanceId, previousSipCallId) === call) this.bySipCallId.delete(call.instanceId, previousSipCallId);
    this.bySipCallId.set(call.instanceId, call.sipCallId, call);
  }

  /**
   * Stores `call` under `key` on its instance.
   * @throws NodeFailure when a live call holds the key already.
   */
  put(key: string, call: Call): void {
    const current = this.byKey.get(call.instanceId, key);
    if (current !== undefined && current !== call && !current.ended) {
      throw new NodeFailure(`call key ${key} of instance ${call.instanceId} is in use by a live call (${current.sipCallId}); end it first or use another callId`);
    }
    call.key = key;
    this.byKey.set(call.instanceId, key, call);
    // A call another store saw arrive (a load run's incoming calls) becomes this one's.
    this.track(call);
  }

  /** Frees `key` (MuteTransfer ends both legs and frees both keys). */
  release(instanceId: string, key: string): void {
    this.byKey.delete(instanceId, key);
  }

  /** The calls that have not ended. */
  live(): Call[] {
    return this.calls.filter((c) => !c.ended);
  }
}
