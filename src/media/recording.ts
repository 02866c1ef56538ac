// The audio of a session written to a WAV file as it goes: the received audio (16-bit PCM, 8 kHz
// mono, placed by its RTP timestamps), or both directions as a stereo file (received on the left,
// sent on the right) placed by the session's own 20 ms clock.

import { tsAdd } from './rtp-packet.js';
import { G711_FRAME_SAMPLES } from './g711.js';
import { WavWriter } from './wav.js';

/** The longest gap (in samples, 1 s) that a recording fills with silence; a longer jump is a new talkspurt, not loss. */
const MAX_SILENT_GAP = 8000;

/** One recording of a {@link MediaSession}'s received audio. */
export class Recording {
  private lastTs: number | undefined;
  private samples = 0;

  private constructor(private readonly writer: WavWriter) {}

  /** Creates (or truncates) the file at `path`. */
  static async create(path: string): Promise<Recording> {
    return new Recording(await WavWriter.create(path));
  }

  /**
   * Appends one decoded frame whose first sample has RTP timestamp `timestamp`. A gap in the
   * timestamps (lost packets) becomes silence, up to 1 s; a frame from before what is already
   * written (a late, reordered packet) is dropped, since its place in the file is taken.
   */
  write(timestamp: number, pcm: Int16Array): void {
    if (this.lastTs !== undefined) {
      const gap = (timestamp - this.lastTs) >>> 0;
      if (gap > 0 && gap < MAX_SILENT_GAP) {
        this.writer.write(new Int16Array(gap));
        this.samples += gap;
      } else if (gap >= 0x80000000) {
        return;
      }
    }
    this.writer.write(pcm);
    this.samples += pcm.length;
    this.lastTs = tsAdd(timestamp, pcm.length);
  }

  /** Completes the file; resolves with what it holds. */
  async close(): Promise<{ samples: number; durationMs: number }> {
    await this.writer.close();
    return { samples: this.samples, durationMs: (this.samples / 8000) * 1000 };
  }
}

/** Received frames held for the next ticks (200 ms): more is a backlog to drop, not jitter to absorb. */
const MAX_QUEUED_FRAMES = 10;

/**
 * Both directions of a session in one stereo WAV (8 kHz, 16-bit): the received audio on the left
 * channel and what we sent on the right, one 20 ms frame of each per tick of the session's clock,
 * so the two line up in time as they went over the wire. Received frames wait in a short queue
 * for their tick (absorbing jitter); a tick with nothing received, or nothing sent (silence off,
 * hold, DTMF events), writes silence on that side.
 */
export class StereoRecording {
  private readonly queue: Int16Array[] = [];
  private frames = 0;
  private readonly out = new Int16Array(2 * G711_FRAME_SAMPLES);

  private constructor(private readonly writer: WavWriter) {}

  /** Creates (or truncates) the file at `path`. */
  static async create(path: string): Promise<StereoRecording> {
    return new StereoRecording(await WavWriter.create(path, { channels: 2 }));
  }

  /** A decoded received frame, for the next tick. */
  received(pcm: Int16Array): void {
    this.queue.push(pcm);
    if (this.queue.length > MAX_QUEUED_FRAMES) this.queue.shift();
  }

  /** One tick: writes the oldest received frame (left) beside `sent` (right); undefined is silence. */
  tick(sent: Int16Array | undefined): void {
    const rx = this.queue.shift();
    const out = this.out;
    for (let i = 0; i < G711_FRAME_SAMPLES; i++) {
      out[2 * i] = rx?.[i] ?? 0;
      out[2 * i + 1] = sent?.[i] ?? 0;
    }
    this.writer.write(out);
    this.frames++;
  }

  /** Completes the file; resolves with what it holds (samples per channel). */
  async close(): Promise<{ samples: number; durationMs: number }> {
    await this.writer.close();
    const samples = this.frames * G711_FRAME_SAMPLES;
    return { samples, durationMs: (samples / 8000) * 1000 };
  }
}
