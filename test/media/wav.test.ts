// WAV reading and writing: files of every supported layout built byte by byte, broken ones that must
// fail with a clear WavError, and the recorder side.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav, parseWav, readWavFile, toTelephony, WavError, type WavErrorCode, WavWriter } from '../../src/media/wav.js';
import { thrown } from './helpers.js';

// --- Building files -----------------------------------------------------------------------------------

interface Chunk {
  id: string;
  body: Uint8Array;
  /** Declared size, when it should differ from the body's length. */
  size?: number;
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** A chunk with its header and, for an odd size, the pad byte (unless `pad` is false). */
function chunkBytes(c: Chunk, pad = true): Uint8Array {
  const parts = [latin1(c.id), u32(c.size ?? c.body.length), c.body];
  if (pad && c.body.length % 2 === 1) parts.push(new Uint8Array(1));
  return concat(parts);
}

function riff(chunks: Chunk[], opts: { riffSize?: number; form?: string } = {}): Uint8Array {
  const body = concat(chunks.map((c) => chunkBytes(c)));
  return concat([latin1('RIFF'), u32(opts.riffSize ?? 4 + body.length), latin1(opts.form ?? 'WAVE'), body]);
}

interface FmtSpec {
  tag?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
  /** WAVE_FORMAT_EXTENSIBLE: sub-format tag, valid bits, and optionally a whole GUID. */
  extensible?: { subTag: number; validBits?: number; guid?: Uint8Array };
}

const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

function fmt(spec: FmtSpec = {}): Chunk {
  const channels = spec.channels ?? 1;
  const rate = spec.rate ?? 8000;
  const bits = spec.bits ?? 16;
  const blockAlign = spec.blockAlign ?? (channels * bits) / 8;
  const ext = spec.extensible;
  const body = new Uint8Array(ext ? 40 : 16);
  const v = new DataView(body.buffer);
  v.setUint16(0, ext ? 0xfffe : spec.tag ?? 1, true);
  v.setUint16(2, channels, true);
  v.setUint32(4, rate, true);
  v.setUint32(8, rate * blockAlign, true);
  v.setUint16(12, blockAlign, true);
  v.setUint16(14, bits, true);
  if (ext) {
    v.setUint16(16, 22, true);
    v.setUint16(18, ext.validBits ?? bits, true);
    v.setUint32(20, channels === 2 ? 3 : 4, true);
    body.set(ext.guid ?? [ext.subTag & 0xff, ext.subTag >> 8, ...GUID_TAIL], 24);
  }
  return { id: 'fmt ', body };
}

/** Little-endian PCM bytes: 8-bit unsigned, others signed. */
function pcm(samples: readonly number[], bits: number): Uint8Array {
  const n = bits / 8;
  const out = new Uint8Array(samples.length * n);
  samples.forEach((s, i) => {
    const x = bits === 8 ? s + 128 : s;
    for (let k = 0; k < n; k++) out[i * n + k] = Math.floor(x / 2 ** (8 * k)) & 0xff;
  });
  return out;
}

function floats(samples: readonly number[], bits: 32 | 64): Uint8Array {
  const out = new Uint8Array(samples.length * (bits / 8));
  const v = new DataView(out.buffer);
  samples.forEach((s, i) => (bits === 32 ? v.setFloat32(i * 4, s, true) : v.setFloat64(i * 8, s, true)));
  return out;
}

const data = (body: Uint8Array, size?: number): Chunk => (size === undefined ? { id: 'data', body } : { id: 'data', body, size });
const list = (text: string): Chunk => ({ id: 'LIST', body: latin1(`INFOINAM${text}`) });

const wavError = (fn: () => unknown): WavError => thrown(WavError, 'WavError', fn);

function expectWavError(bytes: Uint8Array, code: WavErrorCode, message: RegExp | string): WavError {
  const err = wavError(() => parseWav(bytes));
  expect(err.code).toBe(code);
  if (typeof message === 'string') expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  return err;
}

// --- Reading ------------------------------------------------------------------------------------------

describe('parseWav: supported layouts', () => {
  it('reads 16-bit PCM at 8 kHz mono, and toTelephony passes it through as-is', () => {
    const samples = [0, 1, -1, 32767, -32768, 1234];
    const audio = parseWav(riff([fmt(), data(pcm(samples, 16))]));
    expect(audio).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: 16, format: 'pcm', frames: 6, notes: [] });
    expect(Array.from(audio.samples)).toEqual(samples);
    expect(audio.durationMs).toBeCloseTo(0.75);
    const tel = toTelephony(audio);
    expect(tel.samples).toBe(audio.samples);
    expect(tel.notes).toEqual([]);
  });

  it('reads 8-bit unsigned PCM', () => {
    const audio = parseWav(riff([fmt({ bits: 8 }), data(Uint8Array.of(0, 128, 255, 129))]));
    expect(Array.from(audio.samples)).toEqual([-32768, 0, 32512, 256]);
    expect(toTelephony(audio).notes).toEqual(['converted 8-bit samples to 16-bit']);
  });

  it('reads 24-bit PCM, rounding to 16 bits', () => {
    // 0x123456 / 256 = 4660.34 → 4660; 0x1234c0 / 256 = 4660.75 → 4661; full scale clamps at 32767.
    const audio = parseWav(riff([fmt({ bits: 24 }), data(pcm([0x123456, 0x1234c0, 0x7fffff, -0x800000, -1, 0], 24))]));
    expect(Array.from(audio.samples)).toEqual([4660, 4661, 32767, -32768, 0, 0]);
    expect(audio.bitsPerSample).toBe(24);
    expect(toTelephony(audio).notes).toEqual(['converted 24-bit samples to 16-bit']);
  });

  it('reads 32-bit PCM', () => {
    const audio = parseWav(riff([fmt({ bits: 32 }), data(pcm([0x12348000, -65536, 0x7fffffff, -0x80000000], 32))]));
    expect(Array.from(audio.samples)).toEqual([4661, -1, 32767, -32768]);
  });

  it('reads 32 and 64-bit IEEE float, noting clipping and NaN', () => {
    const values = [0, 0.5, -0.5, 1, -1, 1.5, Number.NaN];
    for (const bits of [32, 64] as const) {
      const audio = parseWav(riff([fmt({ tag: 3, bits }), data(floats(values, bits))]));
      expect(audio.format).toBe('float');
      expect(Array.from(audio.samples)).toEqual([0, 16384, -16384, 32767, -32768, 32767, 0]);
      expect(audio.notes).toEqual(['clipped 1 float sample beyond full scale (±1.0)', 'replaced 1 NaN float sample with silence']);
      expect(toTelephony(audio).notes.at(-1)).toBe(`converted ${bits}-bit float samples to 16-bit`);
    }
  });

  it('reads stereo, keeping channels interleaved, and mixes them down on request', () => {
    const audio = parseWav(riff([fmt({ channels: 2 }), data(pcm([100, 300, -100, -201, 32767, 32767], 16))]));
    expect(audio.channels).toBe(2);
    expect(audio.frames).toBe(3);
    expect(Array.from(audio.samples)).toEqual([100, 300, -100, -201, 32767, 32767]);
    const tel = toTelephony(audio);
    expect(Array.from(tel.samples)).toEqual([200, -150, 32767]); // -150.5 rounds up;
    expect(tel.notes).toEqual(['mixed 2 channels down to mono']);
  });

  it('converts 16 kHz and 44.1 kHz stereo to 8 kHz mono with notes in order', () => {
    const tone = (rate: number, frames: number): number[] =>
      Array.from({ length: frames * 2 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * Math.floor(i / 2)) / rate)));
    const a = toTelephony(parseWav(riff([fmt({ channels: 2, rate: 16000 }), data(pcm(tone(16000, 1600), 16))])));
    expect(a.samples).toHaveLength(800);
    expect(a.notes).toEqual(['mixed 2 channels down to mono', 'resampled from 16000 Hz to 8000 Hz']);
    const b = toTelephony(parseWav(riff([fmt({ channels: 2, rate: 44100, bits: 24 }), data(pcm(tone(44100, 4410).map((s) => s * 256), 24))])));
    expect(b.samples).toHaveLength(800);
    expect(b.notes).toEqual(['converted 24-bit samples to 16-bit', 'mixed 2 channels down to mono', 'resampled from 44100 Hz to 8000 Hz']);
    // The middle of the result is the same 440 Hz tone.
    const mid = b.samples.subarray(200, 600);
    expect(Math.max(...mid)).toBeGreaterThan(7900);
    expect(Math.max(...mid)).toBeLessThan(8100);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with PCM and float sub-formats', () => {
    const p = parseWav(riff([fmt({ extensible: { subTag: 1 }, channels: 2, bits: 16 }), data(pcm([1, 2, 3, 4], 16))]));
    expect(p).toMatchObject({ format: 'pcm', channels: 2, bitsPerSample: 16 });
    expect(Array.from(p.samples)).toEqual([1, 2, 3, 4]);
    // 24 valid bits in 32-bit containers: converted from the container, reported as 24-bit.
    const q = parseWav(riff([fmt({ extensible: { subTag: 1, validBits: 24 }, bits: 32 }), data(pcm([0x12340000, -0x10000], 32))]));
    expect(q.bitsPerSample).toBe(24);
    expect(Array.from(q.samples)).toEqual([0x1234, -1]);
    const f = parseWav(riff([fmt({ extensible: { subTag: 3 }, bits: 32 }), data(floats([0.25], 32))]));
    expect(f.format).toBe('float');
    expect(Array.from(f.samples)).toEqual([8192]);
  });

  it('finds fmt and data among other chunks, in any order, with odd sizes padded', () => {
    const samples = pcm([5, -5, 7], 16);
    const fact: Chunk = { id: 'fact', body: u32(3) };
    const odd: Chunk = { id: 'junk', body: Uint8Array.of(1, 2, 3) }; // odd: a pad byte follows
    for (const chunks of [
      [list('extra chunks before fmt'), fact, fmt(), data(samples)],
      [data(samples), odd, fmt()],
      [odd, fmt(), list('x'), data(samples), list('trailing')],
    ]) {
      const audio = parseWav(riff(chunks));
      expect(Array.from(audio.samples)).toEqual([5, -5, 7]);
      expect(audio.notes).toEqual([]);
    }
  });

  it('reads an odd-sized 8-bit data chunk followed by its pad byte and another chunk', () => {
    const audio = parseWav(riff([fmt({ bits: 8 }), data(Uint8Array.of(128, 129, 130)), list('after')]));
    expect(Array.from(audio.samples)).toEqual([0, 256, 512]);
    expect(audio.notes).toEqual([]);
  });

  it('ignores what follows the RIFF when the RIFF size says it ends earlier', () => {
    const wav = riff([fmt(), data(pcm([9], 16))]);
    const audio = parseWav(concat([wav, latin1('TAG+garbage\x00\x01\x02 appended by a tagger')]));
    expect(Array.from(audio.samples)).toEqual([9]);
    expect(audio.notes).toEqual([]);
  });

  it('treats a data size of 0xFFFFFFFF as "to the end of the file", with a note', () => {
    const audio = parseWav(riff([fmt(), data(pcm([1, 2, 3], 16), 0xffffffff)], { riffSize: 0xffffffff }));
    expect(Array.from(audio.samples)).toEqual([1, 2, 3]);
    expect(audio.notes).toEqual(['the data chunk\'s size is 0xFFFFFFFF ("unknown length", e.g. a recording that was never finished); used the 6 bytes to the end of the file']);
  });

  it('drops a partial trailing sample frame with a note', () => {
    const audio = parseWav(riff([fmt({ channels: 2 }), data(Uint8Array.of(1, 0, 2, 0, 3, 0))]));
    expect(Array.from(audio.samples)).toEqual([1, 2]);
    expect(audio.notes).toEqual(['ignored 2 trailing bytes of the data chunk that do not make a whole sample frame']);
  });
});

describe('parseWav: broken and unsupported files', () => {
  it('rejects what is not RIFF, naming what was found', () => {
    const mp3 = concat([latin1('ID3\x04\x00\x00'), new Uint8Array(40)]);
    expectWavError(mp3, 'not-riff', 'not a WAV file: it starts with bytes 49 44 33 04 ("ID3.") instead of "RIFF"; it looks like an MP3 file');
    expectWavError(latin1('OggS\x00\x02 and more bytes'), 'not-riff', /looks like an Ogg file/);
    expectWavError(latin1('hello, world, this is text'), 'not-riff', /starts with bytes 68 65 6c 6c \("hell"\)/);
    expectWavError(latin1('RIFX\x00\x00\x00\x24WAVE'), 'unsupported-format', /big-endian RIFX/);
  });

  it('rejects a truncated header', () => {
    expectWavError(new Uint8Array(0), 'truncated', 'the file is empty; a WAV file starts with a 12-byte RIFF header');
    expectWavError(latin1('RIFF\x24\x00\x00\x00'), 'truncated', 'the file is only 8 bytes long; a WAV file starts with a 12-byte RIFF header');
    const cut = riff([fmt(), data(pcm([1, 2], 16))]).subarray(0, 30);
    expectWavError(cut, 'truncated', "the 'fmt ' chunk claims 16 bytes but only 10 follow");
  });

  it('rejects a RIFF file of another form', () => {
    expectWavError(riff([list('x')], { form: 'AVI ' }), 'not-wave', "a RIFF file of type 'AVI ', not 'WAVE'");
  });

  it('rejects a file without fmt or without data, listing the chunks it has', () => {
    const e1 = expectWavError(riff([list('x'), data(pcm([1], 16))]), 'no-fmt', "no 'fmt ' chunk: the file has only 'LIST', 'data'");
    expect(e1.details.chunks).toEqual(['LIST', 'data']);
    expectWavError(riff([]), 'no-fmt', "no 'fmt ' chunk: the file has no chunks");
    expectWavError(riff([fmt(), list('x')]), 'no-data', "no 'data' chunk: the file has only 'fmt ', 'LIST'");
  });

  it('rejects compressed formats by name', () => {
    const e = expectWavError(riff([fmt({ tag: 0x55, bits: 0, blockAlign: 1 }), data(new Uint8Array(4))]), 'unsupported-format', 'WAV format 0x0055 (MPEG Layer 3) is not supported; only PCM and IEEE float are');
    expect(e.details.formatTag).toBe(0x55);
    expectWavError(riff([fmt({ tag: 7, bits: 8 }), data(new Uint8Array(4))]), 'unsupported-format', 'WAV format 0x0007 (G.711 µ-law) is not supported; only PCM and IEEE float are');
    expectWavError(riff([fmt({ tag: 0x1234 }), data(new Uint8Array(4))]), 'unsupported-format', 'WAV format 0x1234 is not supported; only PCM and IEEE float are');
    expectWavError(riff([fmt({ extensible: { subTag: 2 } }), data(new Uint8Array(4))]), 'unsupported-format', 'WAV format 0x0002 (Microsoft ADPCM) (as a WAVE_FORMAT_EXTENSIBLE sub-format) is not supported; only PCM and IEEE float are');
    const guid = Uint8Array.from({ length: 16 }, (_, i) => i);
    expectWavError(riff([fmt({ extensible: { subTag: 1, guid } }), data(new Uint8Array(4))]), 'unsupported-format', /sub-format GUID 00 01 02 .* 0f is not supported/);
  });

  it('rejects unsupported sample sizes', () => {
    expectWavError(riff([fmt({ bits: 12, blockAlign: 2 }), data(new Uint8Array(4))]), 'unsupported-format', '12-bit PCM is not supported; only 8, 16, 24 and 32-bit are');
    expectWavError(riff([fmt({ tag: 3, bits: 16 }), data(new Uint8Array(4))]), 'unsupported-format', '16-bit IEEE float is not supported; only 32 and 64-bit are');
  });

  it('rejects headers that contradict themselves', () => {
    expectWavError(riff([fmt({ channels: 0, blockAlign: 2 }), data(new Uint8Array(4))]), 'bad-header', "the 'fmt ' chunk says the audio has 0 channels");
    const e = expectWavError(riff([fmt({ channels: 2, blockAlign: 4000 }), data(new Uint8Array(8))]), 'bad-header', 'block align 4000 does not fit 2 channels of 16-bit samples (expected 4)');
    expect(e.details).toMatchObject({ blockAlign: 4000, channels: 2, bitsPerSample: 16 });
    expectWavError(riff([fmt({ rate: 0 }), data(new Uint8Array(2))]), 'bad-header', 'a sample rate of 0 Hz is not plausible');
    expectWavError(riff([{ id: 'fmt ', body: new Uint8Array(14) }, data(new Uint8Array(2))]), 'bad-header', "the 'fmt ' chunk is 14 bytes long; it needs at least 16");
    const short = fmt({ extensible: { subTag: 1 } });
    expectWavError(riff([{ id: 'fmt ', body: short.body.subarray(0, 18) }, data(new Uint8Array(2))]), 'bad-header', "a WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk needs 40 bytes; this one has 18");
  });

  it('rejects a broken chunk structure', () => {
    const body = concat([chunkBytes(fmt()), Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0), chunkBytes(data(pcm([1], 16)))]);
    const bytes = concat([latin1('RIFF'), u32(4 + body.length), latin1('WAVE'), body]);
    const e = expectWavError(bytes, 'bad-header', "unreadable chunk id (bytes 00 00 00 00) at byte 36, after 'fmt ': the chunk structure is broken");
    expect(e.details.offset).toBe(36);
  });

  it('recovers from an odd-sized chunk written without its pad byte', () => {
    const body = concat([chunkBytes({ id: 'junk', body: Uint8Array.of(1, 2, 3) }, false), chunkBytes(fmt()), chunkBytes(data(pcm([1], 16)))]);
    const audio = parseWav(concat([latin1('RIFF'), u32(4 + body.length), latin1('WAVE'), body]));
    expect(Array.from(audio.samples)).toEqual([1]);
    expect(audio.notes).toEqual(["the 'junk' chunk has an odd size but no pad byte after it"]);
  });

  it('rejects a data chunk that claims more bytes than follow, unless asked to play what is there', () => {
    const bytes = riff([fmt(), data(new Uint8Array(4000), 100000)]);
    const e = expectWavError(bytes, 'truncated', 'the data chunk claims 100000 bytes but only 4000 follow: the file is cut short');
    expect(e.details).toMatchObject({ chunk: 'data', claimed: 100000, available: 4000, offset: 36 });
    const audio = parseWav(bytes, { allowTruncated: true });
    expect(audio.frames).toBe(2000);
    expect(audio.notes).toEqual(['the data chunk claims 100000 bytes but only 4000 follow; used the 4000 present']);
  });

  it('rejects a cut-short chunk before the data, but tolerates one after it', () => {
    const big: Chunk = { id: 'LIST', body: new Uint8Array(10), size: 5000 };
    expectWavError(riff([fmt(), big]), 'truncated', "the 'LIST' chunk at byte 36 claims 5000 bytes but only 10 follow, and no data chunk came before it");
    const audio = parseWav(riff([fmt(), data(pcm([3], 16)), big]));
    expect(Array.from(audio.samples)).toEqual([3]);
    expect(audio.notes).toEqual(["ignored a 'LIST' chunk at byte 46 that claims 5000 bytes but only 10 follow"]);
  });
});

// --- Files ----------------------------------------------------------------------------------------------

describe('files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sipflow-wav-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('readWavFile reads a file and names it in errors', async () => {
    const path = join(dir, 'prompt.wav');
    await writeFile(path, encodeWav(Int16Array.of(1, 2, 3)));
    expect(Array.from((await readWavFile(path)).samples)).toEqual([1, 2, 3]);
    const bad = join(dir, 'song.mp3.wav');
    await writeFile(bad, riff([fmt({ tag: 0x55, bits: 0, blockAlign: 1 }), data(new Uint8Array(2))]));
    const err = await readWavFile(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WavError);
    expect((err as WavError).message).toBe(`${bad}: WAV format 0x0055 (MPEG Layer 3) is not supported; only PCM and IEEE float are`);
    expect((err as WavError).details).toMatchObject({ path: bad, formatTag: 0x55 });
    await expect(readWavFile(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('encodeWav writes a canonical 44-byte header', () => {
    const bytes = encodeWav(Int16Array.of(1, -2, 3, -4), 16000, 2);
    const v = new DataView(bytes.buffer);
    expect(bytes).toHaveLength(44 + 8);
    expect(String.fromCharCode(...bytes.subarray(0, 4), ...bytes.subarray(8, 16), ...bytes.subarray(36, 40))).toBe('RIFFWAVEfmt data');
    expect([v.getUint32(4, true), v.getUint32(16, true), v.getUint16(20, true), v.getUint16(22, true)]).toEqual([44, 16, 1, 2]);
    expect([v.getUint32(24, true), v.getUint32(28, true), v.getUint16(32, true), v.getUint16(34, true), v.getUint32(40, true)]).toEqual([16000, 64000, 4, 16, 8]);
    const audio = parseWav(bytes);
    expect(audio).toMatchObject({ sampleRate: 16000, channels: 2, frames: 2 });
    expect(Array.from(audio.samples)).toEqual([1, -2, 3, -4]);
    expect(() => encodeWav(Int16Array.of(1, 2, 3), 8000, 2)).toThrow(RangeError);
    expect(() => encodeWav(Int16Array.of(1), 0)).toThrow(RangeError);
  });

  it('WavWriter streams samples, copies them at once, and patches the sizes on close', async () => {
    const path = join(dir, 'rec.wav');
    const rec = await WavWriter.create(path);
    const frame = new Int16Array(160);
    const expected: number[] = [];
    for (let f = 0; f < 250; f++) {
      // 250 frames × 320 bytes = 80 000 bytes: several background writes. The frame is reused.
      for (let i = 0; i < 160; i++) frame[i] = (f * 160 + i) % 65536 - 32768;
      rec.write(frame);
      expected.push(...frame);
    }
    await rec.flush();
    // Before close the header says "unknown length", and the file still reads.
    const partial = parseWav(await readFile(path));
    expect(partial.frames).toBe(40000);
    expect(partial.notes[0]).toMatch(/0xFFFFFFFF/);
    rec.write(Int16Array.of(7, 8, 9));
    expected.push(7, 8, 9);
    expect(rec.samplesWritten).toBe(40003);
    const closing = rec.close();
    expect(rec.close()).toBe(closing);
    await closing;
    const bytes = await readFile(path);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(v.getUint32(4, true)).toBe(bytes.length - 8);
    expect(v.getUint32(40, true)).toBe(80006);
    const audio = parseWav(bytes);
    expect(audio.notes).toEqual([]);
    expect(audio.durationMs).toBeCloseTo(5000.375);
    expect(Array.from(audio.samples)).toEqual(expected);
    expect(wavError(() => rec.write(frame)).code).toBe('writer-closed');
  });

  it('WavWriter writes stereo at other rates and an empty recording', async () => {
    const path = join(dir, 'stereo.wav');
    const rec = await WavWriter.create(path, { sampleRate: 48000, channels: 2 });
    rec.write(Int16Array.of(1, 2, 3, 4));
    await rec.close();
    expect(parseWav(await readFile(path))).toMatchObject({ sampleRate: 48000, channels: 2, frames: 2, notes: [] });
    const empty = join(dir, 'empty.wav');
    await (await WavWriter.create(empty)).close();
    expect(parseWav(await readFile(empty))).toMatchObject({ frames: 0, durationMs: 0, notes: [] });
    await expect(WavWriter.create(join(dir, 'no', 'such', 'dir.wav'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
