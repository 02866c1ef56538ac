// Reject (ours): a final status of choice to an unanswered incoming call.

import { endCall } from '../call-wiring.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

export async function reject(ctx: NodeContext<CompiledCommandNode<'Reject'>>): Promise<void> {
  const { node, instance, run } = ctx;
  const call = ctx.call();
  const incoming = call.incoming;
  if (incoming === undefined || incoming.state !== 'pending') {
    throw new NodeFailure(`no unanswered incoming call to reject for instance ${instance.spec.id} (callID: ${node.callId})`);
  }
  const { status, reason } = node.fields;
  // The call's end is recorded first, with its status (the refusal ends it at once).
  endCall(run, call, 'rejected', `we answered ${status}`, status);
  incoming.reject(status, reason);
  ctx.log(`Reject: answered ${status}${reason !== undefined ? ` ${reason}` : ''}`, {
    sipMessage: { direction: 'sent', method: 'INVITE', responseCode: status, from: call.peer, to: instance.spec.user },
  });
}
