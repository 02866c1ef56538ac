// MakeCall: INVITE with our offer, stored under its key at once (RINGING sees the 180, a Release on
// another chain can CANCEL it while it rings); completes when answered (2xx ACKed).

import { RequestFailedError } from '../../sip/dialog/errors.js';
import { Call } from '../call.js';
import { attachSession, endCall, ensureMedia, followMedia, newSipCallId, userOf } from '../call-wiring.js';
import { offerFor } from '../call-media.js';
import { NodeFailure } from '../errors.js';
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
  ctx.log(`MakeCall to ${node.fields.targetUri}${uri !== node.fields.targetUri ? ` (${uri})` : ''}`);
  let sdp: string;
  try {
    sdp = offerFor(instance.media, await ensureMedia(run, instance, call));
  } catch (err) {
    endCall(run, call, 'media', String(err));
    throw new NodeFailure(`MakeCall: cannot open media: ${(err as Error).message}`, { cause: err });
  }
  const signal = AbortSignal.any([ctx.signal, call.cancel.signal]);
  try {
    const session = await instance.ua.invite(uri, {
      sdp,
      callId: call.sipCallId,
      signal,
      onProgress: (response) => {
        if (response.status <= 100) return;
        const hasSdp = response.body.byteLength > 0 && (response.contentType ?? '').toLowerCase().startsWith('application/sdp');
        if (response.to?.tag !== undefined && call.phase === 'calling') call.phase = 'early';
        call.record({ kind: 'progress', status: response.status, reason: response.reason, sdp: hasSdp });
        ctx.log(`received ${response.status} ${response.reason}`, {
          level: 'debug',
          sipMessage: { direction: 'received', method: 'INVITE', responseCode: response.status, from: instance.spec.user, to: call.peer },
        });
      },
    });
    attachSession(run, instance, call, session);
    followMedia(run, call, session.localSdp, session.remoteSdp, 'offerer');
    call.phase = 'confirmed';
    call.answeredAt = run.clock.now();
    call.record({ kind: 'answered' });
    ctx.log(`MakeCall succeeded (${instance.spec.user} -> ${call.peer})`, {
      sipMessage: { direction: 'sent', method: 'INVITE', responseCode: 200, from: instance.spec.user, to: call.peer },
    });
  } catch (err) {
    if (err instanceof RequestFailedError) {
      const why = err.kind === 'cancelled' && call.cancel.signal.aborted ? 'cancelled by Release' : `${err.status} ${err.reason}`;
      endCall(run, call, err.kind === 'rejected' ? 'rejected' : err.kind, why, err.status);
      // The node's timeout or the run's end aborted the INVITE: say so as such.
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw new NodeFailure(`MakeCall failed: ${why}`, { status: err.status, cause: err });
    }
    endCall(run, call, 'failed', String(err));
    throw err;
  }
}
