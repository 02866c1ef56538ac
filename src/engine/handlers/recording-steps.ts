// StartRecording and StopRecording: a recording of part of a call, in the run's output folder.

import { startRecording, stopRecording } from '../call-recording.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

export async function startRecordingStep(ctx: NodeContext<CompiledCommandNode<'StartRecording'>>): Promise<void> {
  const call = ctx.call();
  if (call.ended) throw call.endedFailure('StartRecording');
  if (call.session === undefined && !call.earlyMedia) throw new NodeFailure(`StartRecording: the call under ${ctx.node.callId} has no media yet (it is ${call.phase})`);
  await startRecording(ctx.run, ctx.instance, call, ctx.node.fields.stereo, ctx.node.id);
}

export async function stopRecordingStep(ctx: NodeContext<CompiledCommandNode<'StopRecording'>>): Promise<void> {
  const call = ctx.run.store.get(ctx.instance.spec.id, ctx.node.callId);
  const file = call === undefined ? undefined : await stopRecording(ctx.run, call, ctx.node.id);
  if (file === undefined) ctx.log(`StopRecording: nothing is recording on ${ctx.node.callId}`, { level: 'warn' });
}
