// Answer: 200 OK with our answer (or our offer, when the INVITE had none: late offer), completes
// when the ACK arrives; no codec in common is a 488 and a clear failure.

import { SdpNegotiationError } from '../../sdp/errors.js';
import { attachSession, endCall, ensureMedia, followMedia, mediaPortNow } from '../call-wiring.js';
import { answerFor, offerFor } from '../call-media.js';
import { recordIfAsked } from '../call-recording.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

export async function answer(ctx: NodeContext<CompiledCommandNode<'Answer'>>): Promise<void> {
  const { node, instance, run } = ctx;
  const call = ctx.call();
  const incoming = call.incoming;
  if (call.direction !== 'incoming' || incoming === undefined || call.session !== undefined || incoming.state !== 'pending') {
    throw new NodeFailure(`no incoming call to answer for instance ${instance.spec.id} (callID: ${node.callId})${call.ended ? `: it ended (${call.end!.reason})` : ''}`);
  }
  ctx.waitingFor = 'the ACK';
  const port = mediaPortNow(run, call) ?? (await ensureMedia(run, instance, call));
  const offer = incoming.remoteSdp;
  let sdp: string;
  try {
    // After a 183 with our answer (SessionProgress), the 200 carries the same answer (RFC 3264 §5).
    sdp = call.earlyAnswer ?? (offer !== undefined ? answerFor(instance.media, offer, port) : offerFor(instance.media, port));
  } catch (err) {
    const status = err instanceof SdpNegotiationError ? (err.code ?? 488) : 488;
    endCall(run, call, 'rejected', `no codec in common: we answered ${status}`, status);
    incoming.reject(status);
    throw new NodeFailure(`codec negotiation failed (${status} Not Acceptable Here): ${(err as Error).message}`, { status, cause: err });
  }
  const session = await ctx.race(incoming.answer(sdp));
  attachSession(run, instance, call, session);
  followMedia(run, call, sdp, offer ?? session.remoteSdp, offer !== undefined ? 'answerer' : 'offerer');
  call.phase = 'confirmed';
  call.answeredAt = run.clock.now();
  call.record({ kind: 'answered' });
  const recording = recordIfAsked(run, instance, call, node.fields.record, node.id);
  if (recording !== undefined) await recording;
  if (ctx.logging) ctx.log('Answer succeeded', { sipMessage: { direction: 'received', method: 'INVITE', responseCode: 200, from: call.peer, to: instance.spec.user } });
}
