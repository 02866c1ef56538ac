// Hold and Retrieve: a re-INVITE with a sendonly / sendrecv offer on the call's own port; our
// media stops and resumes sending to match. When the peer refuses, the node fails with the
// status and the call's direction stays as it was.

import { holdOffer, resumeOffer } from '../../sdp/hold.js';
import { parseSdp } from '../../sdp/parse.js';
import { serializeSdp } from '../../sdp/serialize.js';
import { RequestFailedError } from '../../sip/dialog/errors.js';
import { followMedia } from '../call-wiring.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

async function reinvite(ctx: NodeContext<CompiledCommandNode<'Hold' | 'Retrieve'>>, direction: 'sendonly' | 'sendrecv'): Promise<void> {
  const { node, instance, run } = ctx;
  const call = ctx.call();
  const session = call.session;
  if (session === undefined || session.localSdp === undefined) throw new NodeFailure(`${node.name}: no active dialog for instance ${instance.spec.id} (callID: ${node.callId})`);
  const current = parseSdp(session.localSdp);
  const offer = serializeSdp(direction === 'sendonly' ? holdOffer(current) : resumeOffer(current));
  ctx.waitingFor = `the answer to our re-INVITE (${direction})`;
  try {
    const ok = await ctx.race(session.reinvite(offer));
    followMedia(run, call, session.localSdp, session.remoteSdp, 'offerer');
    ctx.media({ kind: direction === 'sendonly' ? 'held' : 'resumed', by: 'us', direction });
    ctx.log(`${node.name} succeeded`, { sipMessage: { direction: 'sent', method: 'INVITE', responseCode: ok.status, from: instance.spec.user, to: call.peer, note: direction } });
  } catch (err) {
    if (err instanceof RequestFailedError) throw new NodeFailure(`${node.name}: ReInvite failed: ${err.status} ${err.reason}`, { status: err.status, cause: err });
    throw err;
  }
}

export function hold(ctx: NodeContext<CompiledCommandNode<'Hold'>>): Promise<void> {
  return reinvite(ctx, 'sendonly');
}

export function retrieve(ctx: NodeContext<CompiledCommandNode<'Retrieve'>>): Promise<void> {
  return reinvite(ctx, 'sendrecv');
}
