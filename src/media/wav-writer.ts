// Writing WAV files (16-bit PCM): encodeWav for a whole buffer, WavWriter to stream a recording
// to disk with the RIFF sizes patched in on close.

import { open, type FileHandle } from 'node:fs/promises';
import { WavError } from './wav.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const UNKNOWN_SIZE = 0xffffffff;

/** The 44-byte header of a 16-bit PCM WAV file with `dataBytes` of samples (or UNKNOWN_SIZE). */
function wavHeader(dataBytes: number, sampleRate: number, channels: number): Uint8Array {
  const h = new Uint8Array(44);
  const v = new DataView(h.buffer);
  const put = (at: number, s: string): void => h.set(Array.from(s, (c) => c.charCodeAt(0)), at);
  put(0, 'RIFF');
  v.setUint32(4, dataBytes === UNKNOWN_SIZE ? UNKNOWN_SIZE : 36 + dataBytes, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  put(36, 'data');
  v.setUint32(40, dataBytes, true);
  return h;
}

/** Most sample bytes a WAV file can describe (the RIFF size is 36 + this, in 32 bits). */
const MAX_DATA_BYTES = 0xffffffff - 36 - 1;

function checkLayout(sampleRate: number, channels: number): void {
  if (!Number.isInteger(channels) || channels < 1 || channels > 65535) throw new RangeError(`channel count ${channels} is not valid`);
  // The header's byte rate (rate × channels × 2) is a 32-bit field.
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate * channels * 2 > 0xffffffff) {
    throw new RangeError(`sample rate ${sampleRate} is not a valid WAV sample rate`);
  }
}

/** Copies 16-bit samples into `dst` at `at` as little-endian bytes. */
function putSamples(dst: Uint8Array, at: number, samples: Int16Array): void {
  if (LITTLE_ENDIAN_HOST) {
    dst.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), at);
  } else {
    const v = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    for (let i = 0; i < samples.length; i++) v.setInt16(at + 2 * i, samples[i]!, true);
  }
}

/**
 * A complete 16-bit PCM WAV file of `samples` (channels interleaved).
 *
 * @example
 * ```ts
 * await writeFile('tone.wav', encodeWav(samples)); // 8 kHz mono
 * ```
 * @throws RangeError for a bad rate or channel count, or samples that are not whole frames;
 *   WavError 'too-large' beyond 4 GiB.
 */
export function encodeWav(samples: Int16Array, sampleRate = 8000, channels = 1): Uint8Array {
  checkLayout(sampleRate, channels);
  if (samples.length % channels !== 0) throw new RangeError(`${samples.length} samples are not whole frames of ${channels} channels`);
  if (samples.byteLength > MAX_DATA_BYTES) throw new WavError('too-large', `${samples.byteLength} bytes of samples do not fit in a WAV file (at most ${MAX_DATA_BYTES})`);
  const out = new Uint8Array(44 + samples.byteLength);
  out.set(wavHeader(samples.byteLength, sampleRate, channels), 0);
  putSamples(out, 44, samples);
  return out;
}

/** Options of {@link WavWriter.create}. */
export interface WavWriterOptions {
  /** Hz; 8000 by default. */
  sampleRate?: number;
  /** 1 by default; samples given to `write` are then interleaved. */
  channels?: number;
}

/** Bytes buffered before a write to the file (2 s of 8 kHz mono). */
const WRITE_BUFFER_BYTES = 32 * 1024;

/**
 * Streams a 16-bit PCM WAV recording to a file. The header is written at once with the sizes set to
 * 0xFFFFFFFF ("unknown length", which {@link parseWav} and common tools read to the end of the file),
 * and `close()` patches the real RIFF and data sizes in.
 *
 * `write()` copies the samples into a buffer (the caller may reuse its array at once) and writes to
 * the file in the background every 32 KiB; a failed background write is thrown by the next `write()`,
 * `flush()` or `close()`.
 *
 * @example
 * ```ts
 * const rec = await WavWriter.create('call-1234.wav');
 * session.on('audio', (pcm) => rec.write(pcm)); // Int16Array frames at 8 kHz
 * await rec.close();
 * ```
 */
export class WavWriter {
  /** The file being written. */
  readonly path: string;
  /** Hz, as in the header. */
  readonly sampleRate: number;
  /** Interleaved channels, as in the header. */
  readonly channels: number;
  private readonly handle: FileHandle;
  private buffer = new Uint8Array(WRITE_BUFFER_BYTES);
  private used = 0;
  private dataBytes = 0;
  /** Sample bytes given to background writes so far. */
  private handedOff = 0;
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private closing: Promise<void> | undefined;

  private constructor(path: string, handle: FileHandle, sampleRate: number, channels: number) {
    this.path = path;
    this.handle = handle;
    this.sampleRate = sampleRate;
    this.channels = channels;
  }

  /** Creates (or truncates) the file and writes the provisional header. */
  static async create(path: string, options: WavWriterOptions = {}): Promise<WavWriter> {
    const sampleRate = options.sampleRate ?? 8000;
    const channels = options.channels ?? 1;
    checkLayout(sampleRate, channels);
    const handle = await open(path, 'w');
    try {
      await handle.write(wavHeader(UNKNOWN_SIZE, sampleRate, channels), 0, 44, 0);
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new WavWriter(path, handle, sampleRate, channels);
  }

  /** Samples accepted so far (all channels). */
  get samplesWritten(): number {
    return this.dataBytes / 2;
  }

  /** Duration of the samples accepted so far, ms. */
  get durationMs(): number {
    return (this.dataBytes / 2 / this.channels / this.sampleRate) * 1000;
  }

  /**
   * Appends samples (channels interleaved).
   * @throws WavError 'writer-closed' after close(), 'too-large' beyond 4 GiB; or the error of a
   *   failed background write.
   */
  write(samples: Int16Array): void {
    if (this.closing !== undefined) throw new WavError('writer-closed', `${this.path}: write() after close()`, { path: this.path });
    if (this.failure !== undefined) throw this.failure;
    if (this.dataBytes + samples.byteLength > MAX_DATA_BYTES) {
      throw new WavError('too-large', `${this.path}: the recording would exceed the ${MAX_DATA_BYTES} bytes a WAV file can hold`, { path: this.path });
    }
    this.dataBytes += samples.byteLength;
    let rest = samples;
    while (rest.length > 0) {
      const n = Math.min(rest.length, (this.buffer.length - this.used) >> 1);
      putSamples(this.buffer, this.used, rest.subarray(0, n));
      this.used += 2 * n;
      rest = rest.subarray(n);
      if (this.used === this.buffer.length) this.startWrite();
    }
  }

  /** Writes the buffered samples to the file in the background. */
  private startWrite(): void {
    if (this.used === 0) return;
    const chunk = this.buffer.subarray(0, this.used);
    const position = 44 + this.handedOff;
    this.handedOff += chunk.length;
    this.buffer = new Uint8Array(WRITE_BUFFER_BYTES);
    this.used = 0;
    this.pending = this.pending
      .then(() => this.handle.write(chunk, 0, chunk.length, position))
      .then(
        () => undefined,
        (err: unknown) => {
          this.failure ??= err;
        },
      );
  }

  /** Writes everything buffered to the file. */
  async flush(): Promise<void> {
    this.startWrite();
    await this.pending;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Flushes, patches the header's sizes and closes the file. Calling it again returns the same promise. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.flush();
        await this.handle.write(wavHeader(this.dataBytes, this.sampleRate, this.channels), 0, 44, 0);
      } finally {
        await this.handle.close();
      }
    })();
    return this.closing;
  }
}
