// The events that wait on calls: INCOMING (a call from the instance's queue), DISCONNECTED (the
// key's call has ended), RINGING (a 180 or 183 on our call), HELD and RETRIEVED (the peer's hold
// and resume), TRANSFERRED (a REFER carried out), and TIMEOUT (a plain delay). Each takes the
// oldest matching record of its call not yet taken, so nothing that came before it waited is lost.

import { NodeFailure } from '../errors.js';
import type { CompiledEventNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

export async function incoming(ctx: NodeContext<CompiledEventNode<'INCOMING'>>): Promise<void> {
  const { node, instance, run } = ctx;
  ctx.waitingFor = `an incoming call on instance ${instance.spec.id} (callID: ${node.callId})`;
  if (ctx.logging) ctx.log(`Waiting for INCOMING (timeout: ${node.timeoutMs} ms)`, { level: 'debug' });
  const call = await instance.takeIncoming(ctx.scope);
  try {
    run.store.put(node.callId, call);
  } catch (err) {
    // The key is busy: the call goes back to the front of the queue for another node.
    instance.queue.unshift(call);
    throw err;
  }
  if (call.phase === 'queued') call.phase = 'calling';
  ctx.callInUse = call;
  if (ctx.logging) ctx.log(`INCOMING event received from ${call.peer} (callID: ${node.callId})`, {
    sipMessage: { direction: 'received', method: 'INVITE', responseCode: 0, from: call.peer, to: instance.spec.user },
  });
}

// Not an async function: a held call waits here for hours, and a suspended async frame is the
// largest thing it would keep (the executor calls handlers inside its try, so a throw is a failure).
export function disconnected(ctx: NodeContext<CompiledEventNode<'DISCONNECTED'>>): Promise<void> {
  const call = ctx.call();
  ctx.waitingFor = 'the end of the call';
  return call.whenEnded(ctx.scope).then((end) => {
    if (ctx.logging) ctx.log(`DISCONNECTED: ${end.reason} (${end.detail})`);
  });
}

export async function ringing(ctx: NodeContext<CompiledEventNode<'RINGING'>>): Promise<void> {
  const call = ctx.call();
  if (call.direction !== 'outgoing') throw new NodeFailure(`RINGING waits on a call we placed; call ${ctx.node.callId} is incoming`);
  ctx.waitingFor = 'a 180 or 183';
  const record = await call.take((r) => r.kind === 'progress' && (r.status === 180 || r.status === 183), ctx.scope, { what: 'RINGING' });
  const progress = record as Extract<typeof record, { kind: 'progress' }>;
  ctx.log(`RINGING: received ${progress.status} ${progress.reason}${progress.sdp ? ' with SDP (early media)' : ''}`, {
    sipMessage: { direction: 'received', method: 'INVITE', responseCode: progress.status, from: ctx.instance.spec.user, to: call.peer },
  });
}

export async function held(ctx: NodeContext<CompiledEventNode<'HELD'>>): Promise<void> {
  const call = ctx.call();
  ctx.waitingFor = 'the peer to put the call on hold';
  const record = await call.take((r) => r.kind === 'held', ctx.scope, { what: 'HELD' });
  ctx.log(`HELD event received (callID: ${ctx.node.callId}, sipCallID: ${call.sipCallId})`, {
    sipMessage: { direction: 'received', method: 'INVITE', responseCode: 200, from: call.peer, to: ctx.instance.spec.user, note: (record as { direction?: string }).direction ?? 'sendonly' },
  });
}

export async function retrieved(ctx: NodeContext<CompiledEventNode<'RETRIEVED'>>): Promise<void> {
  const call = ctx.call();
  ctx.waitingFor = 'the peer to take the call off hold';
  const record = await call.take((r) => r.kind === 'retrieved', ctx.scope, { what: 'RETRIEVED' });
  ctx.log(`RETRIEVED event received (callID: ${ctx.node.callId}, sipCallID: ${call.sipCallId})`, {
    sipMessage: { direction: 'received', method: 'INVITE', responseCode: 200, from: call.peer, to: ctx.instance.spec.user, note: (record as { direction?: string }).direction ?? 'sendrecv' },
  });
}

export async function transferred(ctx: NodeContext<CompiledEventNode<'TRANSFERRED'>>): Promise<void> {
  const call = ctx.call();
  ctx.waitingFor = 'a REFER to be carried out';
  const record = await call.take((r) => r.kind === 'transferred' || r.kind === 'transfer-failed', ctx.scope, { what: 'TRANSFERRED' });
  if (record.kind === 'transfer-failed') throw new NodeFailure(`TRANSFERRED: the call to ${record.target} failed: ${record.status} ${record.reason}`, { status: record.status });
  if (record.kind !== 'transferred') return;
  ctx.log(`TRANSFERRED event received (callID: ${ctx.node.callId}, sipCallID: ${record.sipCallId})`);
}

export async function timeoutEvent(ctx: NodeContext<CompiledEventNode<'TIMEOUT'>>): Promise<void> {
  const ms = ctx.node.timeoutMs ?? 10_000;
  await ctx.sleep(ms);
  ctx.log(`TIMEOUT event completed after ${ms} ms`);
}
