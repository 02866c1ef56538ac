// Audio on a call: PlayAudio (a WAV file, any format our reader takes, converted to 8 kHz mono),
// SendDTMF (RFC 4733 digits, `intervalMs` apart), DTMFReceived (a digit, or a sequence).

import { WavError } from '../../media/wav.js';
import type { MediaSession } from '../../media/media-session.js';
import type { Call } from '../call.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode, CompiledEventNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';

/** The call's media, or a failure that says why there is none. */
function mediaOf(ctx: NodeContext, call: Call): MediaSession {
  if (!ctx.run.settings.media) throw new NodeFailure(`${ctx.node.name}: media is off in this run`);
  if (call.session === undefined) throw new NodeFailure(`no active dialog for ${ctx.node.name} (callID: ${ctx.node.callId}, the call is ${call.phase})`);
  if (call.media === undefined) throw new NodeFailure(`${ctx.node.name}: the call has no media session`);
  return call.media;
}

export async function playAudio(ctx: NodeContext<CompiledCommandNode<'PlayAudio'>>): Promise<void> {
  const call = ctx.call();
  const media = mediaOf(ctx, call);
  const { filePath } = ctx.node.fields;
  ctx.log(`Playing audio file: ${filePath.split(/[\\/]/).pop()}`);
  // The call's end aborts the playback at once, as the run's end and the node's timeout do.
  const ended = new AbortController();
  const onEnd = (): void => ended.abort();
  call.whenEnded(ctx.signal).then(onEnd, () => undefined);
  let result;
  try {
    result = await media.play(filePath, { signal: AbortSignal.any([ctx.signal, ended.signal]) });
  } catch (err) {
    if (err instanceof WavError) throw new NodeFailure(`PlayAudio: ${err.message}`, { cause: err });
    throw err;
  }
  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (result.cancelled || call.ended) throw new NodeFailure(`PlayAudio: the call ended while playing (${call.end?.reason ?? 'closed'}) after ${result.durationMs} ms`);
  ctx.log(`Playback completed (${result.packets} packets, ${result.durationMs} ms)`);
}

export async function sendDtmf(ctx: NodeContext<CompiledCommandNode<'SendDTMF'>>): Promise<void> {
  const call = ctx.call();
  const media = mediaOf(ctx, call);
  const { digits, intervalMs } = ctx.node.fields;
  ctx.waitingFor = 'the digits to be sent';
  for (let i = 0; i < digits.length; i++) {
    await ctx.race(media.sendDtmf(digits[i]!));
    ctx.log(`Sent DTMF: ${digits[i]}`, { level: 'debug' });
    if (i < digits.length - 1 && intervalMs > 0) await ctx.sleep(intervalMs);
  }
  ctx.log(`DTMF transmission completed (${digits.length} digits)`);
}

export async function dtmfReceived(ctx: NodeContext<CompiledEventNode<'DTMFReceived'>>): Promise<void> {
  const call = ctx.call();
  mediaOf(ctx, call);
  const { expectedDigit, expectedDigits } = ctx.node.fields;
  const sequence = expectedDigits ?? expectedDigit;
  ctx.waitingFor = sequence === '' ? 'a DTMF digit' : sequence.length === 1 ? `DTMF digit ${sequence}` : `DTMF digits ${sequence}`;
  if (sequence === '') {
    const record = await call.take((r) => r.kind === 'dtmf', ctx.signal, { what: 'DTMFReceived' });
    ctx.log(`Received DTMF: ${(record as { digit: string }).digit}`);
    return;
  }
  // Digits are taken one by one; one that does not continue the sequence is logged and skipped,
  // and the sequence starts over (with that digit, when it begins it).
  let matched = 0;
  while (matched < sequence.length) {
    const record = await call.take((r) => r.kind === 'dtmf', ctx.signal, { what: 'DTMFReceived' });
    const digit = (record as { digit: string }).digit;
    if (digit === sequence[matched]) {
      matched++;
      ctx.log(`Received DTMF: ${digit}${sequence.length > 1 ? ` (${matched}/${sequence.length})` : ''}`);
    } else {
      matched = digit === sequence[0] ? 1 : 0;
      ctx.log(`Received DTMF: ${digit} (waiting for ${sequence[matched] ?? sequence[0]}, continuing)`, { level: 'debug' });
    }
  }
}
