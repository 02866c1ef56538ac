// Audio on a call: PlayAudio (a WAV file, any format our reader takes, converted to 8 kHz mono),
// SendDTMF (RFC 4733 digits, `intervalMs` apart), DTMFReceived (a digit, or a sequence).

import { inbandDtmf } from '../../media/analysis/index.js';
import { WavError } from '../../media/wav.js';
import type { MediaSession } from '../../media/media-session.js';
import type { Call, DtmfForm } from '../call.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode, CompiledEventNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

/** The call's media, or a failure that says why there is none (the call ended, media is off …). */
/** The call's media session, for a step that needs audio flowing: answered, or early media (a 183 with SDP). */
export function mediaOf(ctx: NodeContext, call: Call): MediaSession {
  if (!ctx.run.settings.media) throw new NodeFailure(`${ctx.node.name}: media is off in this run`);
  if (call.ended) throw call.endedFailure(ctx.node.name);
  if (call.session === undefined && !call.earlyMedia) throw new NodeFailure(`no active dialog for ${ctx.node.name} (callID: ${ctx.node.callId}, the call is ${call.phase})`);
  if (call.media === undefined) throw new NodeFailure(`${ctx.node.name}: the call has no media session`);
  return call.media;
}

/**
 * A signal that aborts with the node's own signal, and with a NodeFailure naming the end when the
 * call ends first: a step that works on the call stops at once then.
 */
function whileCallLives(ctx: NodeContext, call: Call): AbortSignal {
  const ended = new AbortController();
  call.whenEnded(ctx.scope).then(
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
    outcome = result.cancelled || ctx.scope.aborted || call.ended ? 'stopped' : 'completed';
  } catch (err) {
    if (signal.aborted) outcome = 'stopped';
    if (err instanceof WavError) throw new NodeFailure(`PlayAudio: ${err.message}`, { cause: err });
    throw reasonOf(signal, err);
  } finally {
    media.off('note', onNote);
    ctx.media({ kind: 'playback-ended', audioFile: filePath, outcome });
  }
  if (ctx.scope.aborted) throw ctx.scope.reason;
  if (call.ended) throw new NodeFailure(`${call.endedFailure('PlayAudio').message} after ${result.durationMs} ms of audio`, { ...(call.end?.status !== undefined ? { status: call.end.status } : {}) });
  if (result.cancelled) throw new NodeFailure(`PlayAudio: stopped after ${result.durationMs} ms`);
  ctx.log(`Playback completed (${result.packets} packets, ${result.durationMs} ms)`);
}

export async function sendDtmf(ctx: NodeContext<CompiledCommandNode<'SendDTMF'>>): Promise<void> {
  const call = ctx.call();
  const { digits, intervalMs, mode, durationMs } = ctx.node.fields;
  if (mode === 'info' && call.session === undefined) throw new NodeFailure(`SendDTMF (info): the call under ${ctx.node.callId} is not answered; INFO needs a confirmed dialog`);
  const media = mode === 'info' ? call.media : mediaOf(ctx, call);
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
    const digit = digits[i]!;
    ctx.media({ kind: 'dtmf-sent', digits: digit, form: mode });
    try {
      if (mode === 'info') {
        // The de facto application/dtmf-relay body (Cisco's, which most PBXs read): Signal and Duration.
        const response = await ctx.race(call.session!.info(`Signal=${digit}\r\nDuration=${durationMs}\r\n`, 'application/dtmf-relay'));
        if (response.status >= 300) throw new NodeFailure(`SendDTMF (info): the peer answered our INFO for ${digit} with ${response.status} ${response.reason}`, { status: response.status });
      } else if (mode === 'inband') {
        // The tone pair in the audio, in place of what would be played; a playback's signal ends with the call.
        const result = await media!.play(inbandDtmf(digit, { toneMs: durationMs, gapMs: 0 }), { signal });
        if (result.cancelled) throw reasonOf(signal, new NodeFailure('SendDTMF (inband): the tones were cut short'));
      } else {
        // Not cut by the call's end: a digit that began went out (the media says so when it closes).
        await ctx.race(media!.sendDtmf(digit, { durationMs }));
      }
    } catch (err) {
      // The media closed before the digit began: the call ended (its end says why).
      if (call.ended && !ctx.scope.aborted && !(err instanceof NodeFailure)) throw call.endedFailure('SendDTMF');
      throw err;
    }
    ctx.log(`Sent DTMF: ${digit}${mode === 'rfc4733' ? '' : ` (${mode})`}`, { level: 'debug' });
    if (i < digits.length - 1 && intervalMs > 0) await guarded(ctx.sleep(intervalMs));
  }
  ctx.log(`DTMF transmission completed (${digits.length} digits${mode === 'rfc4733' ? '' : `, ${mode}`})`);
}

export async function dtmfReceived(ctx: NodeContext<CompiledEventNode<'DTMFReceived'>>): Promise<void> {
  const call = ctx.call();
  if (!ctx.run.settings.media) throw new NodeFailure('DTMFReceived: media is off in this run');
  const { expectedDigit, expectedDigits } = ctx.node.fields;
  const sequence = expectedDigits ?? expectedDigit;
  ctx.waitingFor = sequence === '' ? 'a DTMF digit' : sequence.length === 1 ? `DTMF digit ${sequence}` : `DTMF digits ${sequence}`;
  // Digits are records of the call: those that came before the node waited count, even after the
  // call ended; waiting for more fails at once once it has.
  // The form is named when it is not RFC 4733 (sipflow's messages are kept as they are for it).
  const next = async (): Promise<{ digit: string; via: DtmfForm }> => (await call.take((r) => r.kind === 'dtmf', ctx.scope, { what: 'DTMFReceived' })) as { digit: string; via: DtmfForm };
  const formOf = (via: DtmfForm): string | undefined => (via === 'rfc4733' ? undefined : via === 'inband' ? 'in-band' : 'SIP INFO');
  if (sequence === '') {
    const { digit, via } = await next();
    ctx.log(`Received DTMF: ${digit}${formOf(via) !== undefined ? ` (${formOf(via)})` : ''}`);
    return;
  }
  // Digits are taken one by one; one that does not continue the sequence is logged and skipped,
  // and the match falls back to the longest tail of what came that still begins the sequence
  // (as a string search does: 112 is found in 1112).
  const recent: string[] = [];
  let matched = 0;
  while (matched < sequence.length) {
    const { digit, via } = await next();
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
    const notes = [sequence.length > 1 ? `${matched}/${sequence.length}` : undefined, formOf(via)].filter((n) => n !== undefined);
    if (matched === before + 1) ctx.log(`Received DTMF: ${digit}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`);
    else ctx.log(`Received DTMF: ${digit} (waiting for ${sequence[before]}, continuing${formOf(via) !== undefined ? `; ${formOf(via)}` : ''})`, { level: 'debug' });
  }
}
