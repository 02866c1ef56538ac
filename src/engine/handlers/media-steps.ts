// Audio on a call: PlayAudio (a WAV file, any format our reader takes, converted to 8 kHz mono),
// SendDTMF (RFC 4733 digits, `intervalMs` apart), DTMFReceived (a digit, or a sequence).

import { WavError } from '../../media/wav.js';
import type { MediaSession } from '../../media/media-session.js';
import type { Call } from '../call.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode, CompiledEventNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

/** The call's media, or a failure that says why there is none (the call ended, media is off …). */
function mediaOf(ctx: NodeContext, call: Call): MediaSession {
  if (!ctx.run.settings.media) throw new NodeFailure(`${ctx.node.name}: media is off in this run`);
  if (call.ended) throw call.endedFailure(ctx.node.name);
  if (call.session === undefined) throw new NodeFailure(`no active dialog for ${ctx.node.name} (callID: ${ctx.node.callId}, the call is ${call.phase})`);
  if (call.media === undefined) throw new NodeFailure(`${ctx.node.name}: the call has no media session`);
  return call.media;
}

/**
 * A signal that aborts with the node's own signal, and with a NodeFailure naming the end when the
 * call ends first: a step that works on the call stops at once then.
 */
function whileCallLives(ctx: NodeContext, call: Call): AbortSignal {
  const ended = new AbortController();
  call.whenEnded(ctx.signal).then(
    () => ended.abort(call.endedFailure(ctx.node.name)),
    () => undefined,
  );
  return AbortSignal.any([ctx.signal, ended.signal]);
}

/** The reason `signal` aborted, when it did, else `err`. */
function reasonOf(signal: AbortSignal, err: unknown): unknown {
  return signal.aborted ? signal.reason : err;
}

export async function playAudio(ctx: NodeContext<CompiledCommandNode<'PlayAudio'>>): Promise<void> {
  const call = ctx.call();
  const media = mediaOf(ctx, call);
  const { filePath } = ctx.node.fields;
  ctx.log(`Playing audio file: ${filePath.split(/[\\/]/).pop()}`);
  const onNote = (note: string): void => ctx.log(`PlayAudio: ${note}`, { level: 'debug' });
  media.on('note', onNote);
  // The call's end aborts the playback at once, as the run's end and the node's timeout do.
  const signal = whileCallLives(ctx, call);
  let result;
  ctx.media({ kind: 'playback-started', audioFile: filePath });
  let outcome: 'completed' | 'stopped' | 'failed' = 'failed';
  try {
    result = await media.play(filePath, { signal });
    outcome = result.cancelled || ctx.signal.aborted || call.ended ? 'stopped' : 'completed';
  } catch (err) {
    if (signal.aborted) outcome = 'stopped';
    if (err instanceof WavError) throw new NodeFailure(`PlayAudio: ${err.message}`, { cause: err });
    throw reasonOf(signal, err);
  } finally {
    media.off('note', onNote);
    ctx.media({ kind: 'playback-ended', audioFile: filePath, outcome });
  }
  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (call.ended) throw new NodeFailure(`${call.endedFailure('PlayAudio').message} after ${result.durationMs} ms of audio`, { ...(call.end?.status !== undefined ? { status: call.end.status } : {}) });
  if (result.cancelled) throw new NodeFailure(`PlayAudio: stopped after ${result.durationMs} ms`);
  ctx.log(`Playback completed (${result.packets} packets, ${result.durationMs} ms)`);
}

export async function sendDtmf(ctx: NodeContext<CompiledCommandNode<'SendDTMF'>>): Promise<void> {
  const call = ctx.call();
  const media = mediaOf(ctx, call);
  const { digits, intervalMs } = ctx.node.fields;
  ctx.waitingFor = 'the digits to be sent';
  const signal = whileCallLives(ctx, call);
  const guarded = <T>(work: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
        (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(reasonOf(signal, e))),
      );
    });
  for (let i = 0; i < digits.length; i++) {
    ctx.media({ kind: 'dtmf-sent', digits: digits[i]! });
    try {
      // Not cut by the call's end: a digit that began went out (the media says so when it closes).
      await ctx.race(media.sendDtmf(digits[i]!));
    } catch (err) {
      // The media closed before the digit began: the call ended (its end says why).
      if (call.ended && !ctx.signal.aborted) throw call.endedFailure('SendDTMF');
      throw err;
    }
    ctx.log(`Sent DTMF: ${digits[i]}`, { level: 'debug' });
    if (i < digits.length - 1 && intervalMs > 0) await guarded(ctx.sleep(intervalMs));
  }
  ctx.log(`DTMF transmission completed (${digits.length} digits)`);
}

export async function dtmfReceived(ctx: NodeContext<CompiledEventNode<'DTMFReceived'>>): Promise<void> {
  const call = ctx.call();
  if (!ctx.run.settings.media) throw new NodeFailure('DTMFReceived: media is off in this run');
  const { expectedDigit, expectedDigits } = ctx.node.fields;
  const sequence = expectedDigits ?? expectedDigit;
  ctx.waitingFor = sequence === '' ? 'a DTMF digit' : sequence.length === 1 ? `DTMF digit ${sequence}` : `DTMF digits ${sequence}`;
  // Digits are records of the call: those that came before the node waited count, even after the
  // call ended; waiting for more fails at once once it has.
  const next = async (): Promise<string> => ((await call.take((r) => r.kind === 'dtmf', ctx.signal, { what: 'DTMFReceived' })) as { digit: string }).digit;
  if (sequence === '') {
    ctx.log(`Received DTMF: ${await next()}`);
    return;
  }
  // Digits are taken one by one; one that does not continue the sequence is logged and skipped,
  // and the match falls back to the longest tail of what came that still begins the sequence
  // (as a string search does: 112 is found in 1112).
  const recent: string[] = [];
  let matched = 0;
  while (matched < sequence.length) {
    const digit = await next();
    recent.push(digit);
    if (recent.length > sequence.length) recent.shift();
    const before = matched;
    matched = 0;
    for (let k = Math.min(recent.length, sequence.length); k > 0; k--) {
      if (recent.slice(recent.length - k).join('') === sequence.slice(0, k)) {
        matched = k;
        break;
      }
    }
    if (matched === before + 1) ctx.log(`Received DTMF: ${digit}${sequence.length > 1 ? ` (${matched}/${sequence.length})` : ''}`);
    else ctx.log(`Received DTMF: ${digit} (waiting for ${sequence[before]}, continuing)`, { level: 'debug' });
  }
}
