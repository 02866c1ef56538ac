// Listening to a call's received audio: the decoded 20 ms frames of its MediaSession, placed on a
// continuous timeline, for the in-band DTMF receiver (DTMFReceived) and ExpectAudio. The media
// decodes only while someone listens, so a call whose instance waits for neither costs nothing.

import { InbandDtmfDetector } from '../media/analysis/index.js';
import type { MediaSession } from '../media/media-session.js';

/** Samples per ms at the telephony rate. */
const PER_MS = 8;
/** A timestamp jump larger than this (2 s ahead, or 1 s back) is a new source, not loss: the timeline carries on. */
const MAX_GAP = 16_000;
const MAX_BACK = 8_000;

/**
 * Turns RTP timestamps into a continuous time in ms from the first frame: a forward jump up to
 * 2 s is lost audio (the listener hears silence there), a packet from the past is late audio, and
 * anything else (a new SSRC after a re-INVITE, a sender restarting its clock) continues where the
 * previous frame ended.
 */
export class FrameClock {
  private nextTs: number | undefined;
  private endMs = 0;

  /** The time of a frame's first sample, ms, and moves the clock past it. */
  place(timestamp: number, samples: number): number {
    if (this.nextTs === undefined) this.nextTs = timestamp >>> 0;
    let delta = (timestamp - this.nextTs) | 0; // signed 32-bit difference: wraparound is handled
    if (delta > MAX_GAP || delta < -MAX_BACK) delta = 0;
    const at = this.endMs + delta / PER_MS;
    if (delta >= 0) {
      this.endMs = at + samples / PER_MS;
      this.nextTs = (timestamp + samples) >>> 0;
    }
    return at;
  }
}

/** A received frame: 8 kHz PCM and the time of its first sample on the call's timeline, ms. */
export type AudioListener = (pcm: Int16Array, atMs: number) => void;

/**
 * Listens to the audio received on `media`; returns the function that stops listening. Each
 * listener has its own timeline, starting at its first frame.
 */
export function listenToAudio(media: MediaSession, listener: AudioListener): () => void {
  const clock = new FrameClock();
  const onAudio = (frame: { pcm: Int16Array; timestamp: number }): void => listener(frame.pcm, clock.place(frame.timestamp, frame.pcm.length));
  media.on('audio', onAudio);
  return () => media.off('audio', onAudio);
}

/**
 * Runs the in-band DTMF receiver on a call's media, for an instance whose chains wait for digits:
 * each digit detected in the audio (ITU-T Q.23 tone pairs, accepted by the Q.24 rules) goes to
 * `report`. Returns the function that stops it, reporting a digit still sounding if it is long
 * enough.
 */
export function detectInbandDtmf(media: MediaSession, report: (digit: string) => void): () => void {
  const detector = new InbandDtmfDetector();
  const stop = listenToAudio(media, (pcm, atMs) => {
    for (const d of detector.push(pcm, atMs)) report(d.digit);
  });
  return () => {
    stop();
    for (const d of detector.flush()) report(d.digit);
  };
}
