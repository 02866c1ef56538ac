// Recording a call's audio to the run's output folder: the received audio (mono) or both
// directions (stereo, received left and sent right), in a WAV file named by instance, call key and
// Call-ID. Started by the instance's `record` setting, a step's `record` field, or StartRecording;
// stopped by StopRecording or the call's end. Each start and stop is a `media` run event naming the
// file, so the reports can link it.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Call } from './call.js';
import { NodeFailure } from './errors.js';
import type { InstanceRuntime } from './instance-runtime.js';
import type { RunContext } from './run-context.js';

/** Characters a file name keeps; anything else (a Call-ID's `@`, `/` …) becomes `_`. */
const UNSAFE = /[^A-Za-z0-9._-]+/g;

/** The file of a call's recording: `<instance>-<key>-<Call-ID>.wav`, `-2`, `-3` … for later ones. */
function fileFor(run: RunContext, call: Call, count: number): string {
  const part = (text: string): string => text.replace(UNSAFE, '_').slice(0, 80);
  const base = `${part(call.instanceId)}-${part(call.key ?? 'call')}-${part(call.sipCallId)}`;
  return join(run.settings.outputDir, `${base}${count > 1 ? `-${count}` : ''}.wav`);
}

/**
 * Starts recording `call` (completing a recording already running on it). Resolves with the file.
 *
 * @throws NodeFailure when the call has no media session (media off, or it ended).
 */
export async function startRecording(run: RunContext, instance: InstanceRuntime, call: Call, stereo: boolean, nodeId?: string): Promise<string> {
  if (call.media === undefined) throw new NodeFailure(`cannot record call ${call.key ?? call.sipCallId}: it has no media session${run.settings.media ? '' : ' (media is off in this run)'}`);
  await stopRecording(run, call, nodeId);
  const file = fileFor(run, call, call.recordings.length + 1);
  await mkdir(run.settings.outputDir, { recursive: true });
  await call.media.record(file, { stereo });
  call.recording = { file, stereo };
  call.recordings.push({ file, stereo, durationMs: undefined });
  run.media({ kind: 'recording-started', instanceId: instance.spec.id, ...(call.key !== undefined ? { callId: call.key } : {}), sipCallId: call.sipCallId, audioFile: file, stereo, ...(nodeId !== undefined ? { nodeId } : {}) });
  run.log({ instanceId: instance.spec.id, callId: call.key, ...(nodeId !== undefined ? { nodeId } : {}), message: `Recording ${stereo ? 'both directions (stereo)' : 'the received audio'} to ${file}` });
  return file;
}

/** Stops `call`'s recording and completes its file; resolves with the file, or undefined when none ran. */
export async function stopRecording(run: RunContext, call: Call, nodeId?: string): Promise<string | undefined> {
  const recording = call.recording;
  if (recording === undefined) return undefined;
  call.recording = undefined;
  const done = await call.media?.stopRecording().catch(() => undefined);
  const entry = call.recordings.find((r) => r.file === recording.file);
  if (entry !== undefined && done !== undefined) entry.durationMs = Math.round(done.durationMs);
  run.media({
    kind: 'recording-stopped',
    instanceId: call.instanceId,
    ...(call.key !== undefined ? { callId: call.key } : {}),
    sipCallId: call.sipCallId,
    audioFile: recording.file,
    stereo: recording.stereo,
    ...(done !== undefined ? { durationMs: Math.round(done.durationMs) } : {}),
    ...(nodeId !== undefined ? { nodeId } : {}),
  });
  run.log({ instanceId: call.instanceId, callId: call.key, ...(nodeId !== undefined ? { nodeId } : {}), message: `Recording completed: ${recording.file}${done !== undefined ? ` (${Math.round(done.durationMs)} ms)` : ''}` });
  return recording.file;
}

/**
 * Starts the recording a call asks for (`record` on its step, else the instance's setting), if any:
 * its start to wait for, or `undefined` when there is none to start (nothing to wait on per call).
 */
export function recordIfAsked(run: RunContext, instance: InstanceRuntime, call: Call, stepRecord: boolean | undefined, nodeId: string): Promise<void> | undefined {
  const setting = instance.spec.record;
  const on = stepRecord ?? setting !== 'off';
  if (!on || call.media === undefined || call.recording !== undefined) return undefined;
  return startRecording(run, instance, call, setting === 'stereo', nodeId).then(() => undefined);
}
