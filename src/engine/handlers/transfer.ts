// Transfers: BlindTransfer (REFER, then BYE once the subscription has said something, so the BYE
// never races it) and MuteTransfer (attended: REFER on the primary call with Replaces naming the
// consult call, completes on a 2xx final NOTIFY, then ends both legs and frees both keys).

import { RequestFailedError } from '../../sip/dialog/errors.js';
import type { ReferSubscription } from '../../sip/dialog/refer.js';
import { endCall } from '../call-wiring.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

/** Sends the REFER, turning a refusal into a NodeFailure. */
async function sendRefer(ctx: NodeContext, refer: () => Promise<ReferSubscription>): Promise<ReferSubscription> {
  try {
    return await ctx.race(refer());
  } catch (err) {
    if (err instanceof RequestFailedError) throw new NodeFailure(`${ctx.node.name}: REFER failed: ${err.status} ${err.reason}`, { status: err.status, cause: err });
    throw err;
  }
}

export async function blindTransfer(ctx: NodeContext<CompiledCommandNode<'BlindTransfer'>>): Promise<void> {
  const { node, instance, run } = ctx;
  const call = ctx.call();
  const session = call.session;
  if (session === undefined) throw new NodeFailure(`BlindTransfer: no active dialog for instance ${instance.spec.id} (callID: ${node.callId})`);
  const target = instance.targetUri(node.target);
  ctx.log(`BlindTransfer: sending REFER to ${target}`);
  ctx.waitingFor = 'the REFER to be accepted';
  const sub = await sendRefer(ctx, () => session.refer(target, { ...(node.timeoutMs !== undefined ? { timeout: node.timeoutMs } : {}), signal: ctx.signal }));
  sub.on('notify', (p) => ctx.log(`BlindTransfer: NOTIFY ${p.status} ${p.reason}`, { level: 'debug', sipMessage: { direction: 'received', method: 'NOTIFY', responseCode: p.status, from: call.peer, to: instance.spec.user } }));
  ctx.log(`BlindTransfer: REFER accepted (Refer-To: ${target})`, { sipMessage: { direction: 'sent', method: 'REFER', responseCode: 202, from: instance.spec.user, to: target } });
  if (node.fields.waitForNotify) {
    ctx.waitingFor = 'the final NOTIFY';
    const outcome = await ctx.race(sub.done);
    if (outcome.status === undefined || outcome.status < 200 || outcome.status >= 300) {
      throw new NodeFailure(`BlindTransfer: the transfer failed: ${outcome.status ?? 'no'} final NOTIFY (${outcome.cause})`, outcome.status !== undefined ? { status: outcome.status } : undefined);
    }
  } else if (sub.progress.length === 0) {
    // Wait for the first NOTIFY (or a grace time) so that our BYE does not race the subscription.
    ctx.waitingFor = 'the first NOTIFY';
    await ctx.race(Promise.race([new Promise<void>((resolve) => sub.once('notify', () => resolve())), sub.done.then(() => undefined), ctx.sleep(run.settings.notifyGraceMs)]));
  }
  if (call.session === session && session.endReason === undefined) {
    const response = await ctx.race(session.bye());
    endCall(run, call, 'local-bye', 'we ended our leg after the transfer');
    ctx.log(`BlindTransfer succeeded (Refer-To: ${target})`, { sipMessage: { direction: 'sent', method: 'BYE', responseCode: response?.status ?? 0, from: instance.spec.user, to: call.peer } });
  } else {
    ctx.log(`BlindTransfer succeeded (Refer-To: ${target}); the call had already ended`);
  }
}

export async function muteTransfer(ctx: NodeContext<CompiledCommandNode<'MuteTransfer'>>): Promise<void> {
  const { node, instance, run } = ctx;
  const primaryKey = node.fields.primaryCallId ?? node.callId;
  const consultKey = node.fields.consultCallId;
  const primary = ctx.call(primaryKey);
  const consult = run.store.get(instance.spec.id, consultKey);
  if (primary.session === undefined || primary.ended) throw new NodeFailure(`MuteTransfer: no primary dialog for instance ${instance.spec.id} (callID: ${primaryKey})`);
  if (consult === undefined || consult.session === undefined || consult.ended) throw new NodeFailure(`MuteTransfer: no consult dialog for instance ${instance.spec.id} (callID: ${consultKey})`);
  const primarySession = primary.session;
  const consultSession = consult.session;
  // Refer-To: the consult peer's Contact, with Replaces naming the consult dialog as that peer sees it.
  const target = String(consultSession.dialog.remoteTarget);
  ctx.waitingFor = 'the REFER to be accepted';
  const sub = await sendRefer(ctx, () =>
    primarySession.refer(target, {
      replaces: consultSession,
      ...(node.timeoutMs !== undefined ? { timeout: node.timeoutMs } : {}),
      signal: ctx.signal,
      onNotify: (p) => ctx.log(`MuteTransfer: NOTIFY progress ${p.status}`, { level: 'debug', sipMessage: { direction: 'received', method: 'NOTIFY', responseCode: p.status, from: primary.peer, to: instance.spec.user } }),
    }),
  );
  ctx.log('REFER accepted', { sipMessage: { direction: 'sent', method: 'REFER', responseCode: 202, from: instance.spec.user, to: target } });
  ctx.waitingFor = 'the final NOTIFY';
  const outcome = await ctx.race(sub.done);
  if (outcome.cause === 'timeout') throw new NodeFailure(`MuteTransfer: final NOTIFY timeout after ${node.timeoutMs ?? 0} ms`);
  if (outcome.status === undefined || outcome.status < 200 || outcome.status >= 300) {
    throw new NodeFailure(`MuteTransfer: final NOTIFY failed with status ${outcome.status ?? 'none'} (${outcome.cause})`, outcome.status !== undefined ? { status: outcome.status } : undefined);
  }
  ctx.log(`MuteTransfer succeeded (primary: ${primaryKey}, consult: ${consultKey})`, { sipMessage: { direction: 'received', method: 'NOTIFY', responseCode: outcome.status, from: primary.peer, to: instance.spec.user } });
  for (const [key, call] of [
    [primaryKey, primary],
    [consultKey, consult],
  ] as const) {
    const session = call.session;
    if (session !== undefined && session.endReason === undefined) {
      const response = await session.bye().catch(() => undefined);
      ctx.log(`sent BYE ${response?.status ?? 0}`, { callId: key, sipMessage: { direction: 'sent', method: 'BYE', responseCode: response?.status ?? 0, from: instance.spec.user, to: call.peer, callId: key } });
    }
    endCall(run, call, 'local-bye', 'ended after the attended transfer');
    run.store.release(instance.spec.id, key);
  }
}
