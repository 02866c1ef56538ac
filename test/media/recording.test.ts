// A session's recording: frames in timestamp order, lost packets as silence (up to 1 s), late
// packets dropped, and a complete WAV file at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Recording } from '../../src/media/recording.js';
import { readWavFile } from '../../src/media/wav.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function file(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sipflow-rec-'));
  dirs.push(dir);
  return join(dir, 'rec.wav');
}

const frame = (value: number, n = 160): Int16Array => new Int16Array(n).fill(value);

describe('Recording', () => {
  it('writes consecutive frames as they come and reports the duration', async () => {
    const path = await file();
    const rec = await Recording.create(path);
    rec.write(1000, frame(1));
    rec.write(1160, frame(2));
    expect(await rec.close()).toEqual({ samples: 320, durationMs: 40 });
    const wav = await readWavFile(path);
    expect([wav.sampleRate, wav.channels, wav.bitsPerSample]).toEqual([8000, 1, 16]);
    expect(Array.from(wav.samples)).toEqual([...frame(1), ...frame(2)]);
  });

  it('fills lost packets with silence, across the 32-bit timestamp wrap', async () => {
    const path = await file();
    const rec = await Recording.create(path);
    rec.write(0xffffff00, frame(3)); // ends at 0xffffffa0
    rec.write(0x00000040, frame(4)); // 160 samples after the end of frame 3: one packet lost
    expect((await rec.close()).samples).toBe(160 + 160 + 160);
    const got = Array.from((await readWavFile(path)).samples);
    expect(got).toEqual([...frame(3), ...frame(0), ...frame(4)]);
  });

  it('drops a late packet whose place is already written, and does not fill a jump of a second or more', async () => {
    const path = await file();
    const rec = await Recording.create(path);
    rec.write(1600, frame(5));
    rec.write(1440, frame(6)); // reordered, too late
    rec.write(1760 + 8000, frame(7)); // a new talkspurt 1 s on: not loss
    expect((await rec.close()).samples).toBe(320);
    expect(Array.from((await readWavFile(path)).samples)).toEqual([...frame(5), ...frame(7)]);
  });
});
