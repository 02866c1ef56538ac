// Early media both ways: SessionProgress (the callee's side: 183 Session Progress with our SDP
// answer, so audio flows before the answer) and EARLY_MEDIA (the caller's side: a provisional
// response with SDP arrived; its audio is received from then on). RFC 3261 §13.2.1 lets the answer
// come in a reliable or unreliable provisional; without 100rel (RFC 3262) the 200 repeats it.

import { SdpNegotiationError } from '../../sdp/errors.js';
import { endCall, ensureMedia, followMedia, mediaPortNow } from '../call-wiring.js';
import { answerFor } from '../call-media.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode, CompiledEventNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

export async function sessionProgress(ctx: NodeContext<CompiledCommandNode<'SessionProgress'>>): Promise<void> {
  const { node, instance, run } = ctx;
  const call = ctx.call();
  const incoming = call.incoming;
  if (call.direction !== 'incoming' || incoming === undefined || call.session !== undefined || incoming.state !== 'pending') {
    throw new NodeFailure(`SessionProgress: no unanswered incoming call for instance ${instance.spec.id} (callID: ${node.callId})${call.ended ? `: it ended (${call.end!.reason})` : ''}`);
  }
  const offer = incoming.remoteSdp;
  if (offer === undefined) throw new NodeFailure('SessionProgress: the INVITE carried no SDP offer, so there is no answer to send early (late offer)');
  const port = mediaPortNow(run, call) ?? (await ensureMedia(run, instance, call));
  let sdp: string;
  try {
    sdp = call.earlyAnswer ?? answerFor(instance.media, offer, port);
  } catch (err) {
    const status = err instanceof SdpNegotiationError ? (err.code ?? 488) : 488;
    endCall(run, call, 'rejected', `no codec in common: we answered ${status}`, status);
    incoming.reject(status);
    throw new NodeFailure(`codec negotiation failed (${status} Not Acceptable Here): ${(err as Error).message}`, { status, cause: err });
  }
  incoming.progress(sdp);
  call.earlyAnswer = sdp;
  call.earlyMedia = true;
  if (call.phase === 'calling' || call.phase === 'queued') call.phase = 'early';
  followMedia(run, call, sdp, offer, 'answerer');
  ctx.log('SessionProgress: sent 183 Session Progress with SDP (early media)', {
    sipMessage: { direction: 'received', method: 'INVITE', responseCode: 183, from: call.peer, to: instance.spec.user },
  });
}

export async function earlyMedia(ctx: NodeContext<CompiledEventNode<'EARLY_MEDIA'>>): Promise<void> {
  const call = ctx.call();
  if (call.direction !== 'outgoing') throw new NodeFailure(`EARLY_MEDIA waits on a call we placed; call ${ctx.node.callId} is incoming`);
  ctx.waitingFor = 'a provisional response with SDP (early media)';
  const record = await call.take((r) => r.kind === 'early-media', ctx.scope, { what: 'EARLY_MEDIA' });
  const progress = record as Extract<typeof record, { kind: 'early-media' }>;
  ctx.log(`EARLY_MEDIA: received ${progress.status} ${progress.reason} with SDP`, {
    sipMessage: { direction: 'received', method: 'INVITE', responseCode: progress.status, from: ctx.instance.spec.user, to: call.peer },
  });
}
