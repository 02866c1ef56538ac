// One queued playback: 8 kHz mono samples cut into 20 ms frames for the media session's ticks.

import { G711_FRAME_SAMPLES } from './g711.js';

/** How a playback went. */
export interface PlaybackResult {
  /** RTP packets sent with its audio. */
  packets: number;
  /** Audio sent, in ms (20 per packet). */
  durationMs: number;
  /** True when the signal aborted it (or the session closed) before the end. */
  cancelled: boolean;
}

/**
 * Samples played frame by frame: {@link nextFrame} fills the next 160 samples (the last frame
 * padded with silence) and returns false once everything was sent, resolving {@link result}.
 */
export class Playback {
  /** Resolves when the playback ends, fully or cancelled. */
  readonly result: Promise<PlaybackResult>;
  private offset = 0;
  private packets = 0;
  private done = false;
  private resolve!: (r: PlaybackResult) => void;

  constructor(
    private readonly samples: Int16Array,
    signal?: AbortSignal,
  ) {
    this.result = new Promise((resolve) => (this.resolve = resolve));
    if (signal?.aborted) this.finish(true);
    else signal?.addEventListener('abort', () => this.finish(true), { once: true });
  }

  /** Fills `out` with the next frame; false (and the result settles) when there is none. */
  nextFrame(out: Int16Array): boolean {
    if (this.done) return false;
    if (this.offset >= this.samples.length) {
      this.finish(false);
      return false;
    }
    const end = Math.min(this.offset + G711_FRAME_SAMPLES, this.samples.length);
    out.set(this.samples.subarray(this.offset, end));
    if (end - this.offset < G711_FRAME_SAMPLES) out.fill(0, end - this.offset);
    this.offset = end;
    this.packets++;
    return true;
  }

  /** Ends the playback now. */
  finish(cancelled: boolean): void {
    if (this.done) return;
    this.done = true;
    this.resolve({ packets: this.packets, durationMs: this.packets * 20, cancelled });
  }
}
