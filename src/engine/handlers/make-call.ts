// MakeCall: INVITE with our offer, stored under its key at once (RINGING sees the 180, a Release on
// another chain can CANCEL it while it rings); completes when answered (2xx ACKed).

import { RequestFailedError } from '../../sip/dialog/errors.js';
import type { DialogSession } from '../../sip/dialog/session.js';
import { Call } from '../call.js';
import { attachSession, endCall, ensureMedia, followMedia, mediaPortNow, newSipCallId, userOf } from '../call-wiring.js';
import { offerFor } from '../call-media.js';
import { recordIfAsked } from '../call-recording.js';
import { NodeFailure } from '../errors.js';
import { AbortScope } from '../wait.js';
import type { CompiledCommandNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

export async function makeCall(ctx: NodeContext<CompiledCommandNode<'MakeCall'>>): Promise<void> {
  const { node, instance, run } = ctx;
  const uri = instance.targetUri(node.target);
  const call = new Call({ instanceId: instance.spec.id, direction: 'outgoing', phase: 'calling', sipCallId: newSipCallId(instance), peer: userOf(uri), clock: run.clock });
  run.store.put(node.callId, call);
  run.store.track(call);
  ctx.callInUse = call;
  ctx.waitingFor = 'the answer';
  if (ctx.logging) ctx.log(`MakeCall to ${node.fields.targetUri}${uri !== node.fields.targetUri ? ` (${uri})` : ''}`);
  let sdp: string;
  try {
    sdp = offerFor(instance.media, mediaPortNow(run, call) ?? (await ensureMedia(run, instance, call)));
  } catch (err) {
    endCall(run, call, 'media', String(err));
    throw new NodeFailure(`MakeCall: cannot open media: ${(err as Error).message}`, { cause: err });
  }
  // The INVITE stops with the node (its timeout, the run's end) or with Release's cancel. (A scope
  // following the node's, which the cancel aborts too: AbortSignal.any made three AbortSignals per
  // call, with weak references and a finalization-registry entry for the garbage collector. The
  // scope itself is the INVITE's signal: an AbortSignal of its own cost 1.6 % of a client load.)
  const stop = AbortScope.following(ctx.scope);
  call.cancel.onAbort(() => stop.abort(call.cancel.reason));
  const invite = instance.ua.invite(uri, {
    sdp,
    callId: call.sipCallId,
    signal: stop,
    onProgress: (response) => {
      if (response.status <= 100) return;
      const hasSdp = response.bodyLength > 0 && (response.contentType ?? '').toLowerCase().startsWith('application/sdp');
      if (response.toTag !== undefined && call.phase === 'calling') call.phase = 'early';
      call.record({ kind: 'progress', status: response.status, reason: response.reason, sdp: hasSdp });
      if (hasSdp && response.toTag !== undefined) {
        // Early media (RFC 3261 §13.2.1, RFC 3960): the provisional's SDP answers our offer; its audio flows now.
        followMedia(run, call, sdp, Buffer.from(response.body).toString('utf8'), 'offerer');
        call.earlyMedia = true;
        call.record({ kind: 'early-media', status: response.status, reason: response.reason });
      }
      if (!ctx.logging) return;
      ctx.log(`received ${response.status} ${response.reason}`, {
        level: 'debug',
        sipMessage: { direction: 'received', method: 'INVITE', responseCode: response.status, from: instance.spec.user, to: call.peer },
      });
    },
  });
  call.invite = invite;
  // However the INVITE ends without an answer — now, or after the node gave up on it (the CANCEL's
  // 487) — that is the call's end.
  const failed = (err: unknown): string => {
    if (!(err instanceof RequestFailedError)) return String(err);
    return err.kind === 'cancelled' && call.cancel.aborted ? 'cancelled by Release' : `${err.status} ${err.reason}`;
  };
  const ended = (err: unknown): void => {
    if (call.session !== undefined) return; // picked up (INVITE with Replaces): the new call goes on
    const kind = err instanceof RequestFailedError ? err.kind : 'failed';
    endCall(run, call, kind, failed(err), err instanceof RequestFailedError ? err.status : undefined);
  };
  // The answer, or the call picked up: RFC 3891 §3, an INVITE with Replaces naming our ringing call
  // takes it over. (One promise for the three ways: per call, Promise.race and a promise of the
  // pickup's own cost three more.) The call's end is recorded whether or not the node still waits.
  const outcome = new Promise<DialogSession | 'picked up'>((resolve, reject) => {
    call.pickedUp = () => resolve('picked up');
    invite.then(resolve, (err: unknown) => {
      ended(err);
      reject(err);
    });
  });
  let session: DialogSession;
  try {
    const answered = await ctx.race(outcome);
    if (answered === 'picked up') {
      ctx.log(`MakeCall succeeded: ${call.peer} took the ringing call over (INVITE with Replaces); our INVITE to ${userOf(uri)} is CANCELled`, {
        sipMessage: { direction: 'received', method: 'INVITE', responseCode: 200, from: call.peer, to: instance.spec.user },
      });
      return;
    }
    session = answered;
  } catch (err) {
    if (ctx.scope.aborted) {
      // Our timeout (not the run's end): the stack has sent the CANCEL; let its answer (487) come,
      // within the cleanup's grace time, so the wire tells a tidy story and the node still ends
      // soon. At the run's end the cleanup waits for it instead. A 2xx that still comes is ended.
      let settled = false;
      void invite.then(
        (late) => void late.bye().catch(() => undefined),
        () => undefined,
      ).finally(() => (settled = true));
      await ctx.settle(invite, run.settings.closeTimeoutMs);
      // A callee that never answers the CANCEL has had its grace: the cleanup does not wait again.
      if (!settled && !run.scope.aborted) call.invite = undefined;
      throw ctx.scope.reason;
    }
    if (err instanceof RequestFailedError) throw new NodeFailure(`MakeCall failed: ${failed(err)}`, { status: err.status, cause: err });
    throw err;
  }
  call.pickedUp = undefined;
  attachSession(run, instance, call, session);
  followMedia(run, call, session.localSdp, session.remoteSdp, 'offerer');
  call.phase = 'confirmed';
  call.answeredAt = run.clock.now();
  call.record({ kind: 'answered' });
  const recording = recordIfAsked(run, instance, call, node.fields.record, node.id);
  if (recording !== undefined) await recording;
  if (ctx.logging) ctx.log(`MakeCall succeeded (${instance.spec.user} -> ${call.peer})`, {
    sipMessage: { direction: 'sent', method: 'INVITE', responseCode: 200, from: instance.spec.user, to: call.peer },
  });
}
