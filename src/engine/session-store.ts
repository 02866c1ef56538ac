// The calls of a run, by instance and logical key (callId). A command or event only ever touches
// its own key; a key may be reused once its call has ended, never while it is live (sipflow
// silently overwrote it and leaked the old call). The store knows keys and calls, nothing of the
// executor.

import { appended, type Call } from './call.js';
import { NodeFailure } from './errors.js';

/** `instance\0key`: instance ids and keys are any strings. */
function slot(instanceId: string, key: string): string {
  return `${instanceId}\u0000${key}`;
}

/** Calls by instance and key, and every call of the run. */
export class SessionStore {
  private readonly byKey = new Map<string, Call>();
  private readonly bySipCallId = new Map<string, Call>();
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
    this.bySipCallId.set(slot(call.instanceId, call.sipCallId), call);
  }

  /** The call under `key` on `instanceId`: the live one, or the last one if it has ended. */
  get(instanceId: string, key: string): Call | undefined {
    return this.byKey.get(slot(instanceId, key));
  }

  /** The call of `instanceId` whose dialog has this SIP Call-ID. */
  bySip(instanceId: string, sipCallId: string): Call | undefined {
    return this.bySipCallId.get(slot(instanceId, sipCallId));
  }

  /** Notes that a call's dialog now has another SIP Call-ID (a transfer replaced it). */
  renamed(call: Call, previousSipCallId: string): void {
    const old = slot(call.instanceId, previousSipCallId);
    if (this.bySipCallId.get(old) === call) this.bySipCallId.delete(old);
    this.bySipCallId.set(slot(call.instanceId, call.sipCallId), call);
  }

  /**
   * Stores `call` under `key` on its instance.
   * @throws NodeFailure when a live call holds the key already.
   */
  put(key: string, call: Call): void {
    const at = slot(call.instanceId, key);
    const current = this.byKey.get(at);
    if (current !== undefined && current !== call && !current.ended) {
      throw new NodeFailure(`call key ${key} of instance ${call.instanceId} is in use by a live call (${current.sipCallId}); end it first or use another callId`);
    }
    call.key = key;
    this.byKey.set(at, call);
    // A call another store saw arrive (a load run's incoming calls) becomes this one's.
    this.track(call);
  }

  /** Frees `key` (MuteTransfer ends both legs and frees both keys). */
  release(instanceId: string, key: string): void {
    this.byKey.delete(slot(instanceId, key));
  }

  /** The calls that have not ended. */
  live(): Call[] {
    return this.calls.filter((c) => !c.ended);
  }
}
