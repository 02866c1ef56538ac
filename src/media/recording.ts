// The received audio of a session, written to a WAV file (16-bit PCM, 8 kHz mono) as it arrives.

import { tsAdd } from './rtp-packet.js';
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
