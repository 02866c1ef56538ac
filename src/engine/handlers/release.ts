// Release: BYE on a confirmed call, CANCEL on our call while it rings, a final status (480 by
// default) to an unanswered incoming call; success with a warning when there is no such call or
// it has already ended (sipflow's rule, reference §2.3).

import { endCall } from '../call-wiring.js';
import type { CompiledCommandNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

export async function release(ctx: NodeContext<CompiledCommandNode<'Release'>>): Promise<void> {
  const { node, instance, run } = ctx;
  const call = run.store.get(instance.spec.id, node.callId);
  if (call === undefined || call.ended) {
    ctx.log('No active dialog to release (already terminated)', { level: 'warn' });
    return;
  }
  ctx.callInUse = call;
  if (call.session !== undefined) {
    ctx.waitingFor = 'the answer to our BYE';
    const response = await ctx.race(call.session.bye());
    endCall(run, call, 'local-bye', 'we sent BYE');
    if (ctx.logging) ctx.log('Release succeeded', { sipMessage: { direction: 'sent', method: 'BYE', responseCode: response?.status ?? 0, from: instance.spec.user, to: call.peer } });
    return;
  }
  if (call.direction === 'outgoing') {
    // Ringing: cancel the INVITE (MakeCall, on its own chain, then fails as cancelled).
    ctx.waitingFor = 'the end of the cancelled call';
    call.cancel.abort();
    await call.whenEnded(ctx.scope);
    ctx.log('Release: the unanswered call was cancelled', { sipMessage: { direction: 'sent', method: 'CANCEL', responseCode: 200, from: instance.spec.user, to: call.peer } });
    return;
  }
  const status = node.fields.status ?? 480;
  if (call.incoming !== undefined && call.incoming.state === 'pending') {
    instance.dequeue(call);
    endCall(run, call, 'rejected', `we answered ${status}`, status);
    call.incoming.reject(status);
  }
  ctx.log(`Release: the unanswered call got ${status}`, { sipMessage: { direction: 'sent', method: 'INVITE', responseCode: status, from: call.peer, to: instance.spec.user } });
}
