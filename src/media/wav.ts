// WAV files: reading prompts to play (parseWav, readWavFile, toTelephony) and writing recordings
// (encodeWav, WavWriter).
//
// Reading accepts RIFF/WAVE with 'fmt ' and 'data' chunks in any order among other chunks (LIST,
// fact, cue, …, skipped), odd-sized chunks with their pad byte, PCM at 8, 16, 24 and 32 bits and IEEE
// float at 32 and 64 bits, plain or as WAVE_FORMAT_EXTENSIBLE. Everything else is a WavError whose
// message names what was found.
//
// Decision on a cut-short file: a data chunk that claims more bytes than follow is an error
// ('truncated'), since a prompt that silently ends early makes a confusing test; pass
// `{ allowTruncated: true }` to play what is there instead (with a note). The one exception is the
// size 0xFFFFFFFF, the conventional "length unknown" marker of streaming writers (and of a WavWriter
// whose process died before close()): the data then runs to the end of the file, with a note.

import { readFile } from 'node:fs/promises';
import { resample } from './resample.js';

/** What went wrong with a WAV file; stable across versions. */
export type WavErrorCode =
  /** The file does not start with a RIFF header. */
  | 'not-riff'
  /** A RIFF file of another type (AVI, …). */
  | 'not-wave'
  /** No 'fmt ' chunk. */
  | 'no-fmt'
  /** No 'data' chunk. */
  | 'no-data'
  /** A compressed or otherwise unsupported encoding (MP3, ADPCM, G.711, 12-bit PCM, RIFX, RF64, …). */
  | 'unsupported-format'
  /** The file ends inside the header or inside a chunk. */
  | 'truncated'
  /** The header contradicts itself (0 channels, block align that does not fit, unreadable chunk id). */
  | 'bad-header'
  /** More than a WAV file can hold (4 GiB of data). */
  | 'too-large'
  /** `WavWriter.write()` after `close()`. */
  | 'writer-closed';

/** Facts about a {@link WavError}; which ones are set depends on the code. */
export interface WavErrorDetails {
  /** The file, for errors from {@link readWavFile} and {@link WavWriter}. */
  path?: string;
  /** Byte offset in the file the error is about (a chunk header, usually). */
  offset?: number;
  /** The chunk id concerned, e.g. `'data'`. */
  chunk?: string;
  /** The bytes a chunk claims. */
  claimed?: number;
  /** The bytes actually present (after the chunk header, or in the whole file). */
  available?: number;
  /** The WAVE format tag found (the sub-format for WAVE_FORMAT_EXTENSIBLE). */
  formatTag?: number;
  /** Fields of the 'fmt ' chunk, as found. */
  channels?: number;
  sampleRate?: number;
  bitsPerSample?: number;
  blockAlign?: number;
  /** The chunk ids seen, in order, when a required chunk is missing. */
  chunks?: readonly string[];
}

/**
 * A WAV file that cannot be used, with a message naming what was found.
 *
 * @example
 * ```ts
 * try { audio = await readWavFile('prompt.wav'); }
 * catch (err) {
 *   if (err instanceof WavError && err.code === 'unsupported-format') emit({ type: 'error', text: err.message });
 * }
 * ```
 */
export class WavError extends Error {
  /** Always `"WavError"`. */
  override readonly name = 'WavError';
  /** What kind of problem it is (stable; the message is for people). */
  readonly code: WavErrorCode;
  /** The facts behind the message, for reports. */
  readonly details: Readonly<WavErrorDetails>;

  constructor(code: WavErrorCode, message: string, details: WavErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

/** Decoded audio from a WAV file. */
export interface WavAudio {
  /** Hz. */
  sampleRate: number;
  /** 1 for mono, 2 for stereo, … */
  channels: number;
  /** Bits per sample in the file (the valid bits, for WAVE_FORMAT_EXTENSIBLE). */
  bitsPerSample: number;
  /** PCM integers or IEEE float, as stored in the file. */
  format: 'pcm' | 'float';
  /** All samples, channels interleaved as found, converted to 16-bit (rounded; float scaled by 32768 and clamped). */
  samples: Int16Array;
  /** Sample frames (samples per channel). */
  frames: number;
  /** frames / sampleRate, in ms (not rounded). */
  durationMs: number;
  /** Things worth telling that did not stop the parse (an unknown-length data chunk, clipped floats, …). */
  notes: string[];
}

/** Options of {@link parseWav}. */
export interface ParseWavOptions {
  /** Play what is present when the data chunk claims more bytes than follow, instead of throwing. */
  allowTruncated?: boolean;
}

const FORMAT_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0001, 'PCM'], [0x0002, 'Microsoft ADPCM'], [0x0003, 'IEEE float'], [0x0006, 'G.711 A-law'],
  [0x0007, 'G.711 µ-law'], [0x0011, 'IMA ADPCM'], [0x0022, 'DSP Group TrueSpeech'], [0x0031, 'GSM 6.10'],
  [0x0050, 'MPEG Layer 1/2'], [0x0055, 'MPEG Layer 3'], [0x0064, 'G.726 ADPCM'], [0x0065, 'G.722 ADPCM'],
  [0x00ff, 'AAC'], [0x0161, 'Windows Media Audio'], [0x1610, 'HE-AAC'], [0x2000, 'Dolby AC-3'],
]);

/** The tail (bytes 2–15) of every KSDATAFORMAT_SUBTYPE GUID derived from a WAVE format tag. */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const UNKNOWN_SIZE = 0xffffffff;

const hex4 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;
const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const ascii = (b: Uint8Array, at: number, n = 4): string => String.fromCharCode(...b.subarray(at, at + n));
const isIdByte = (x: number): boolean => x >= 0x20 && x <= 0x7e;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** What a file that is not RIFF looks like, for the error message. */
function sniff(b: Uint8Array): string {
  const s = ascii(b, 0, Math.min(b.length, 12));
  if (s.startsWith('ID3') || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0)) return 'an MP3 file';
  if (s.startsWith('OggS')) return 'an Ogg file';
  if (s.startsWith('fLaC')) return 'a FLAC file';
  if (s.startsWith('FORM') && /^AIF[FC]/.test(s.slice(8))) return 'an AIFF file';
  if (s.startsWith('.snd')) return 'a Sun/NeXT .au file';
  if (s.startsWith('#!AMR')) return 'an AMR file';
  return '';
}

interface Fmt {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  /** Bits per stored sample. */
  container: number;
  /** Meaningful bits (== container except for WAVE_FORMAT_EXTENSIBLE). */
  valid: number;
}

function parseFmt(b: Uint8Array, v: DataView, at: number, size: number, chunkOffset: number): Fmt {
  const where = { chunk: 'fmt ', offset: chunkOffset };
  if (size < 16) throw new WavError('bad-header', `the 'fmt ' chunk is ${size} bytes long; it needs at least 16`, where);
  let tag = v.getUint16(at, true);
  const channels = v.getUint16(at + 2, true);
  const sampleRate = v.getUint32(at + 4, true);
  const blockAlign = v.getUint16(at + 12, true);
  const container = v.getUint16(at + 14, true);
  let valid = container;
  let extensible = '';
  if (tag === 0xfffe) {
    if (size < 40) throw new WavError('bad-header', `a WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk needs 40 bytes; this one has ${size}`, where);
    const validBits = v.getUint16(at + 18, true);
    if (validBits > 0 && validBits <= container) valid = validBits;
    tag = v.getUint16(at + 24, true);
    const guid = b.subarray(at + 24, at + 40);
    if (GUID_TAIL.some((x, i) => guid[i + 2] !== x)) {
      throw new WavError('unsupported-format', `WAVE_FORMAT_EXTENSIBLE with sub-format GUID ${hexBytes(guid)} is not supported; only PCM and IEEE float are`, where);
    }
    extensible = ' (as a WAVE_FORMAT_EXTENSIBLE sub-format)';
  }
  const facts = { ...where, formatTag: tag, channels, sampleRate, bitsPerSample: container, blockAlign };
  if (tag !== 1 && tag !== 3) {
    const name = FORMAT_NAMES.get(tag);
    throw new WavError('unsupported-format', `WAV format ${hex4(tag)}${name ? ` (${name})` : ''}${extensible} is not supported; only PCM and IEEE float are`, facts);
  }
  if (channels === 0) throw new WavError('bad-header', `the 'fmt ' chunk says the audio has 0 channels`, facts);
  if (sampleRate === 0 || sampleRate > 1_000_000) throw new WavError('bad-header', `a sample rate of ${sampleRate} Hz is not plausible`, facts);
  if (tag === 1 && container !== 8 && container !== 16 && container !== 24 && container !== 32) {
    throw new WavError('unsupported-format', `${container}-bit PCM is not supported; only 8, 16, 24 and 32-bit are`, facts);
  }
  if (tag === 3 && container !== 32 && container !== 64) {
    throw new WavError('unsupported-format', `${container}-bit IEEE float is not supported; only 32 and 64-bit are`, facts);
  }
  const expected = (channels * container) / 8;
  if (blockAlign !== expected) {
    throw new WavError('bad-header', `block align ${blockAlign} does not fit ${plural(channels, 'channel')} of ${container}-bit samples (expected ${expected})`, facts);
  }
  return { tag, channels, sampleRate, blockAlign, container, valid };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Converts the sample frames of the data chunk to 16-bit, noting anything lossy beyond requantisation. */
function convertSamples(b: Uint8Array, v: DataView, at: number, count: number, fmt: Fmt, notes: string[]): Int16Array {
  const out = new Int16Array(count);
  switch (fmt.tag === 3 ? -fmt.container : fmt.container) {
    case 8:
      for (let i = 0; i < count; i++) out[i] = (b[at + i]! - 128) << 8;
      break;
    case 16:
      if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(b.subarray(at, at + 2 * count));
      else for (let i = 0; i < count; i++) out[i] = v.getInt16(at + 2 * i, true);
      break;
    case 24:
      for (let i = 0, p = at; i < count; i++, p += 3) {
        const s = ((b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) << 8) >> 8;
        out[i] = Math.min(32767, (s + 128) >> 8);
      }
      break;
    case 32:
      for (let i = 0; i < count; i++) {
        const s = v.getInt32(at + 4 * i, true);
        out[i] = Math.min(32767, (s >> 16) + ((s >> 15) & 1));
      }
      break;
    default: {
      // IEEE float, 32 or 64 bits: full scale is ±1.0.
      const wide = fmt.container === 64;
      let clipped = 0;
      let invalid = 0;
      for (let i = 0; i < count; i++) {
        const f = wide ? v.getFloat64(at + 8 * i, true) : v.getFloat32(at + 4 * i, true);
        if (f !== f) invalid++;
        else if (f > 1 || f < -1) clipped++;
        const s = Math.round(f * 32768);
        out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s || 0;
      }
      if (clipped > 0) notes.push(`clipped ${plural(clipped, 'float sample')} beyond full scale (±1.0)`);
      if (invalid > 0) notes.push(`replaced ${plural(invalid, 'NaN float sample')} with silence`);
    }
  }
  return out;
}

/**
 * Parses a WAV file (see the module comment for what is accepted, and for truncated files).
 *
 * @example
 * ```ts
 * const audio = parseWav(bytes);
 * audio.sampleRate; // 44100
 * const { samples, notes } = toTelephony(audio); // 8 kHz mono, plus what was converted
 * ```
 * @throws WavError for anything that is not a usable WAV file.
 */
export function parseWav(bytes: Uint8Array, options: ParseWavOptions = {}): WavAudio {
  const b = bytes;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const notes: string[] = [];
  if (b.length < 12 || ascii(b, 0) !== 'RIFF') {
    const start = ascii(b, 0, Math.min(b.length, 4));
    if ('RIFF'.startsWith(start)) {
      const what = b.length === 0 ? 'the file is empty' : `the file is only ${plural(b.length, 'byte')} long`;
      throw new WavError('truncated', `${what}; a WAV file starts with a 12-byte RIFF header`, { available: b.length });
    }
    if (start === 'RIFX') throw new WavError('unsupported-format', 'big-endian RIFX WAV files are not supported; only little-endian RIFF is');
    if (start === 'RF64') throw new WavError('unsupported-format', 'RF64 (64-bit WAV) files are not supported; only RIFF is');
    const head = b.subarray(0, 4);
    const kind = sniff(b);
    throw new WavError('not-riff', `not a WAV file: it starts with bytes ${hexBytes(head)} ("${ascii(b, 0, head.length).replace(/[^\x20-\x7e]/g, '.')}") instead of "RIFF"${kind ? `; it looks like ${kind}` : ''}`);
  }
  const form = ascii(b, 8);
  if (form !== 'WAVE') throw new WavError('not-wave', `a RIFF file of type '${form.replace(/[^\x20-\x7e]/g, '.')}', not 'WAVE'`);

  // Chunks past the RIFF's declared end (an appended tag, junk) are not ours, once we have what we need.
  const riffSize = v.getUint32(4, true);
  const riffEnd = 8 + riffSize <= b.length ? 8 + riffSize : b.length;
  const seen: string[] = [];
  let fmt: Fmt | undefined;
  let data: { at: number; size: number } | undefined;
  const isId = (at: number): boolean => b.subarray(at, at + 4).every(isIdByte);
  for (let off = 12, oddBefore = false; off + 8 <= b.length; ) {
    if (fmt !== undefined && data !== undefined && off >= riffEnd) break;
    if (!isId(off) && oddBefore && isId(off - 1)) {
      // A common writer bug: an odd-sized chunk without its pad byte.
      notes.push(`the '${seen.at(-1)}' chunk has an odd size but no pad byte after it`);
      off--;
    }
    if (!isId(off)) {
      if (fmt !== undefined && data !== undefined) {
        notes.push(`ignored ${plural(b.length - off, 'byte')} of unrecognisable data after the chunks`);
        break;
      }
      throw new WavError('bad-header', `unreadable chunk id (bytes ${hexBytes(b.subarray(off, off + 4))}) at byte ${off}, after ${seen.length > 0 ? seen.map((s) => `'${s}'`).join(', ') : 'the RIFF header'}: the chunk structure is broken`, { offset: off, chunks: seen });
    }
    const id = ascii(b, off);
    const size = v.getUint32(off + 4, true);
    const body = off + 8;
    const available = b.length - body;
    seen.push(id);
    const facts = { chunk: id, offset: off, claimed: size, available };
    if (id === 'data' && data === undefined) {
      let len = size;
      if (size > available) {
        len = available;
        if (size === UNKNOWN_SIZE) {
          notes.push(`the data chunk's size is 0xFFFFFFFF ("unknown length", e.g. a recording that was never finished); used the ${plural(available, 'byte')} to the end of the file`);
        } else if (options.allowTruncated === true) {
          notes.push(`the data chunk claims ${plural(size, 'byte')} but only ${available} follow; used the ${available} present`);
        } else {
          throw new WavError('truncated', `the data chunk claims ${plural(size, 'byte')} but only ${available} follow: the file is cut short`, facts);
        }
      }
      data = { at: body, size: len };
    } else if (id === 'fmt ' && fmt === undefined) {
      if (size > available) throw new WavError('truncated', `the 'fmt ' chunk claims ${plural(size, 'byte')} but only ${available} follow`, facts);
      fmt = parseFmt(b, v, body, size, off);
    } else if (id === 'fmt ' || id === 'data') {
      notes.push(`ignored a second '${id}' chunk at byte ${off}`);
    } else if (size > available) {
      if (fmt !== undefined && data !== undefined) {
        notes.push(`ignored a '${id}' chunk at byte ${off} that claims ${plural(size, 'byte')} but only ${available} follow`);
        break;
      }
      throw new WavError('truncated', `the '${id}' chunk at byte ${off} claims ${plural(size, 'byte')} but only ${available} follow, and no ${fmt === undefined ? "'fmt '" : 'data'} chunk came before it`, facts);
    }
    off = body + size + (size & 1); // chunks start on even offsets: odd sizes are followed by a pad byte
    oddBefore = (size & 1) === 1;
  }
  if (fmt === undefined) {
    throw new WavError('no-fmt', `no 'fmt ' chunk: the file has ${seen.length > 0 ? `only ${seen.map((s) => `'${s}'`).join(', ')}` : 'no chunks'}`, { chunks: seen });
  }
  if (data === undefined) throw new WavError('no-data', `no 'data' chunk: the file has only ${seen.map((s) => `'${s}'`).join(', ')}`, { chunks: seen });

  const frames = Math.floor(data.size / fmt.blockAlign);
  const leftover = data.size - frames * fmt.blockAlign;
  if (leftover > 0) notes.push(`ignored ${plural(leftover, 'trailing byte')} of the data chunk that do not make a whole sample frame`);
  const samples = convertSamples(b, v, data.at, frames * fmt.channels, fmt, notes);
  return {
    sampleRate: fmt.sampleRate,
    channels: fmt.channels,
    bitsPerSample: fmt.valid,
    format: fmt.tag === 3 ? 'float' : 'pcm',
    samples,
    frames,
    durationMs: (frames * 1000) / fmt.sampleRate,
    notes,
  };
}

/**
 * Reads and parses a WAV file ({@link parseWav}); a WavError's message then starts with the path.
 * File-system errors (ENOENT, EACCES, …) are passed through as they are.
 *
 * @example
 * ```ts
 * const { samples, notes } = toTelephony(await readWavFile('prompts/welcome.wav'));
 * ```
 */
export async function readWavFile(path: string, options: ParseWavOptions = {}): Promise<WavAudio> {
  const bytes = await readFile(path);
  try {
    return parseWav(bytes, options);
  } catch (err) {
    if (!(err instanceof WavError)) throw err;
    throw new WavError(err.code, `${path}: ${err.message}`, { ...err.details, path }, { cause: err });
  }
}

/**
 * Makes audio ready for an 8 kHz G.711 call: 16-bit mono at 8000 Hz.
 *
 * 16-bit PCM at 8 kHz mono is returned as-is (the same array, no copy). Otherwise channels are mixed
 * down by averaging, and other rates are resampled with a Kaiser-windowed-sinc low-pass that passes
 * up to 3.4 kHz and stops (≥ 80 dB) from 4 kHz (see `resample.ts`).
 *
 * `notes` are what the caller should report: first the file's own `audio.notes`, then each
 * conversion, e.g. "converted 24-bit samples to 16-bit", "mixed 2 channels down to mono",
 * "resampled from 44100 Hz to 8000 Hz".
 *
 * @example
 * ```ts
 * const { samples, notes } = toTelephony(parseWav(bytes));
 * for (const note of notes) emit({ type: 'media-note', note });
 * ```
 */
export function toTelephony(audio: WavAudio): { samples: Int16Array; notes: string[] } {
  const notes = [...audio.notes];
  if (audio.format === 'float') notes.push(`converted ${audio.bitsPerSample}-bit float samples to 16-bit`);
  else if (audio.bitsPerSample !== 16) notes.push(`converted ${audio.bitsPerSample}-bit samples to 16-bit`);
  const { channels, sampleRate, frames } = audio;
  let mono: Int16Array | Float32Array = audio.samples;
  if (channels > 1) {
    const mixed = new Float32Array(frames);
    const src = audio.samples;
    for (let f = 0, i = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += src[i++]!;
      mixed[f] = sum / channels;
    }
    mono = mixed;
    notes.push(`mixed ${channels} channels down to mono`);
  }
  if (sampleRate !== 8000) {
    const r = resample(mono, sampleRate, 8000);
    notes.push(`resampled from ${sampleRate} Hz to 8000 Hz`);
    if (r.clipped > 0) notes.push(`clipped ${plural(r.clipped, 'sample')} the resampling filter pushed beyond full scale`);
    return { samples: r.samples, notes };
  }
  return { samples: mono instanceof Int16Array ? mono : Int16Array.from(mono, Math.round), notes };
}



export { encodeWav, WavWriter, type WavWriterOptions } from './wav-writer.js';
