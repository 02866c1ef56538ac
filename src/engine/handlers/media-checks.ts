// Assertions on a call's audio: CheckMedia (the received stream's statistics and an E-model MOS
// against limits) and ExpectAudio (a tone, silence, sound or a reference prompt heard in the
// received audio). Both work from early media on (a 183 with SDP either way).

import { AudioAnalysisError, AudioMatcher, type AudioExpectation } from '../../media/analysis/index.js';
import { QualityError } from '../../media/quality/e-model.js';
import { checkMediaLimits, type MediaLimits, type MediaMeasurement } from '../../media/quality/quality.js';
import type { MediaSession } from '../../media/media-session.js';
import { readWavFile, toTelephony, WavError } from '../../media/wav.js';
import { listenToAudio } from '../call-audio.js';
import type { Call } from '../call.js';
import { NodeFailure } from '../errors.js';
import type { CompiledCommandNode, CompiledEventNode } from '../scenario/index.js';
import type { NodeContext } from './context.js';
import { mediaOf } from './media-steps.js';

/** What the media of a call measured so far, for the quality checks. */
export function measure(media: MediaSession): MediaMeasurement {
  const stats = media.stats();
  const expected = stats.packetsReceived + stats.lost;
  return {
    codec: media.codec,
    packetsReceived: stats.packetsReceived,
    packetsSent: stats.packetsSent,
    lost: stats.lost,
    lossPercent: expected > 0 ? (stats.lost / expected) * 100 : 0,
    jitterMs: stats.jitterMs,
    burstRatio: stats.burstRatio,
    roundTripMs: stats.roundTripMs,
    direction: media.direction,
  };
}

export async function checkMedia(ctx: NodeContext<CompiledCommandNode<'CheckMedia'>>): Promise<void> {
  const call = ctx.call();
  const media = mediaOf(ctx, call);
  const f = ctx.node.fields;
  const limits: MediaLimits = {
    ...(f.codec !== undefined && f.codec.trim() !== '' ? { codec: f.codec.trim() } : {}),
    ...(f.minPacketsReceived !== undefined ? { minPacketsReceived: f.minPacketsReceived } : {}),
    ...(f.maxLossPercent !== undefined ? { maxLossPercent: f.maxLossPercent } : {}),
    ...(f.maxJitterMs !== undefined ? { maxJitterMs: f.maxJitterMs } : {}),
    ...(f.minMos !== undefined ? { minMos: f.minMos } : {}),
    ...(f.direction !== undefined ? { direction: f.direction } : {}),
  };
  // With no limit given, the check is that audio arrived at all.
  if (Object.keys(limits).length === 0) limits.minPacketsReceived = 1;
  let result;
  try {
    result = checkMediaLimits(measure(media), limits);
  } catch (err) {
    if (err instanceof QualityError) throw new NodeFailure(`CheckMedia: ${err.message}`, { cause: err });
    throw err;
  }
  if (!result.ok) throw new NodeFailure(`CheckMedia failed: ${result.summary}`);
  ctx.log(`CheckMedia passed: ${result.summary}`);
}

/** The expectation of an ExpectAudio node, its reference prompt read when it has one. */
async function expectationOf(ctx: NodeContext<CompiledEventNode<'ExpectAudio'>>): Promise<{ expect: AudioExpectation; what: string }> {
  const f = ctx.node.fields;
  const level = f.levelDbfs;
  const duration = f.minDurationMs;
  const ms = (v: number): string => (v >= 1000 ? `${Number((v / 1000).toFixed(2))} s` : `${v} ms`);
  switch (f.expect) {
    case 'tone': {
      if (f.frequencyHz === undefined) throw new NodeFailure('ExpectAudio: expect tone needs frequencyHz');
      const expect: AudioExpectation = {
        kind: 'tone',
        frequencyHz: f.frequencyHz,
        toleranceHz: f.toleranceHz,
        ...(duration !== undefined ? { minDurationMs: duration } : {}),
        ...(level !== undefined ? { minLevelDbfs: level } : {}),
      };
      return { expect, what: `a ${f.frequencyHz}±${f.toleranceHz} Hz tone for ${ms(duration ?? 200)}` };
    }
    case 'silence':
      return { expect: { kind: 'silence', ...(level !== undefined ? { levelDbfs: level } : {}), ...(duration !== undefined ? { minDurationMs: duration } : {}) }, what: `silence (below ${level ?? -50} dBFS) for ${ms(duration ?? 500)}` };
    case 'sound':
      return { expect: { kind: 'sound', ...(level !== undefined ? { levelDbfs: level } : {}), ...(duration !== undefined ? { minDurationMs: duration } : {}) }, what: `sound (at least ${level ?? -40} dBFS) for ${ms(duration ?? 200)}` };
    case 'file': {
      if (f.filePath === undefined) throw new NodeFailure('ExpectAudio: expect file needs filePath');
      let samples: Int16Array;
      try {
        samples = toTelephony(await readWavFile(f.filePath)).samples;
      } catch (err) {
        if (err instanceof WavError) throw new NodeFailure(`ExpectAudio: cannot read ${f.filePath}: ${err.message}`, { cause: err });
        const code = (err as NodeJS.ErrnoException).code;
        throw new NodeFailure(`ExpectAudio: cannot read ${f.filePath}${code !== undefined ? ` (${code})` : ''}: ${(err as Error).message}`, { cause: err });
      }
      const name = f.filePath.split(/[\\/]/).pop();
      return { expect: { kind: 'reference', samples, minCorrelation: f.minCorrelation }, what: `the prompt ${name} (correlation ≥ ${f.minCorrelation})` };
    }
  }
}

export async function expectAudio(ctx: NodeContext<CompiledEventNode<'ExpectAudio'>>): Promise<void> {
  const call = ctx.call();
  const media = mediaOf(ctx, call);
  const { expect, what } = await expectationOf(ctx);
  let matcher: AudioMatcher;
  try {
    matcher = new AudioMatcher(expect);
  } catch (err) {
    if (err instanceof AudioAnalysisError) throw new NodeFailure(`ExpectAudio: ${err.message}`, { cause: err });
    throw err;
  }
  ctx.waitingFor = what;
  let stop: (() => void) | undefined;
  // Ends the wait for the call's end with the step, however the step ends (the call lives on).
  const stepDone = new AbortController();
  try {
    const match = await ctx.race(
      new Promise<NonNullable<ReturnType<AudioMatcher['push']>>>((resolve, reject) => {
        stop = listenToAudio(media, (pcm, atMs) => {
          try {
            const m = matcher.push(pcm, atMs);
            if (m !== undefined) resolve(m);
          } catch (err) {
            reject(err);
          }
        });
        // The call ending (or its media closing) ends the wait at once: a prompt that ended the
        // stream is still searched for to its last sample; otherwise it fails with what was heard.
        call.whenEnded(stepDone.signal).then(
          () => {
            const heard = matcher.describe();
            const last = matcher.push(new Int16Array(0));
            if (last !== undefined) resolve(last);
            else reject(new NodeFailure(`ExpectAudio: the call ended (${call.end?.reason ?? 'ended'}) before ${what} was heard; ${heard}`));
          },
          () => undefined,
        );
      }),
    );
    const facts = [
      match.frequencyHz !== undefined ? `${Math.round(match.frequencyHz)} Hz` : undefined,
      match.levelDbfs !== undefined ? `${match.levelDbfs.toFixed(1)} dBFS` : undefined,
      match.correlation !== undefined ? `correlation ${match.correlation.toFixed(2)}` : undefined,
      `${Math.round(match.durationMs)} ms from ${Math.round(match.startMs)} ms`,
    ].filter((x) => x !== undefined);
    ctx.log(`ExpectAudio: heard ${what} (${facts.join(', ')})`);
  } catch (err) {
    // The timeout's message says what was awaited; it also says what was heard instead.
    if (ctx.scope.aborted) ctx.waitingFor = `${what}; ${matcher.describe()}`;
    throw err;
  } finally {
    stop?.();
    stepDone.abort();
  }
}
