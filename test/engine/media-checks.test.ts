// Media you can assert on, end to end on loopback: CheckMedia (codec, packets, loss, jitter, MOS,
// direction; a lossy relay in the stream makes it fail with the right figures), ExpectAudio (a
// tone, silence, sound, a reference prompt found by correlation), DTMF in every form both ways
// (RFC 4733, in-band tone pairs, SIP INFO), early media (183 with SDP, EARLY_MEDIA, audio checks
// before the answer) and recordings (instance and step settings, StartRecording/StopRecording,
// mono and stereo files linked from the run result and its events).
//
// Ports: SIP 37000–37999, a block of 20 per test (portBase 37000 + 20*i); the relay's RTP pair
// from 37900.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateScenario, type MediaEvent } from '../../src/engine/index.js';
import { MediaSession } from '../../src/media/media-session.js';
import { encodeWav, readWavFile } from '../../src/media/wav.js';
import { runScenario, type Ran } from './harness.js';
import { LossyRelay } from './lossy-relay.js';

const ports = (i: number): number => {
  if (i < 0 || i >= 45) throw new Error(`port block ${i} is outside 37000–37899`);
  return 37000 + 20 * i;
};

type Step = string | Record<string, unknown>;
const twoParty = (name: string, alice: Step[] | { chains: Step[][] }, bob: Step[], extra: { alice?: object; bob?: object } = {}): unknown => ({
  name,
  instances: {
    alice: { ...(Array.isArray(alice) ? { steps: alice } : alice), ...extra.alice },
    bob: { steps: bob, ...extra.bob },
  },
});

/** A pure tone at 8 kHz. */
function tone(seconds: number, hz: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round(seconds * 8000));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}

/** A speech-like prompt: a gliding pitch with harmonics, syllable-like bursts; seeded. */
function prompt(seconds: number, seed: number): Int16Array {
  let s = seed >>> 0;
  const rand = (): number => ((s = (s * 1664525 + 1013904223) >>> 0) / 0x1_0000_0000);
  const out = new Int16Array(Math.round(seconds * 8000));
  let phase = 0;
  let pitch = 110 + rand() * 80;
  let syllable = 0;
  let envelope = 0;
  for (let i = 0; i < out.length; i++) {
    if (i % 800 === 0) {
      pitch = Math.min(260, Math.max(90, pitch + (rand() - 0.5) * 60));
      syllable = rand() < 0.8 ? 1 : 0;
    }
    envelope += (syllable - envelope) * 0.002;
    phase += (2 * Math.PI * pitch) / 8000;
    let v = 0;
    for (let h = 1; h <= 12; h++) v += Math.sin(h * phase + h * h) / h ** 1.2;
    out[i] = Math.round(4000 * envelope * v);
  }
  return out;
}

let scratch = '';
let output = '';
const files: Record<string, string> = {};
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sipflow-media-checks-'));
  output = join(scratch, 'out');
  const write = async (name: string, samples: Int16Array): Promise<void> => {
    files[name] = join(scratch, name);
    await writeFile(files[name]!, encodeWav(samples, 8000, 1));
  };
  await write('tone440.wav', tone(1.5, 440));
  await write('tone440-short.wav', tone(0.6, 440));
  await write('welcome.wav', prompt(1.6, 1));
  await write('goodbye.wav', prompt(1.6, 2));
});
afterAll(async () => {
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const mediaEvents = (ran: Ran, kind?: MediaEvent['kind']): MediaEvent[] => ran.events.filter((e): e is MediaEvent => e.type === 'media' && (kind === undefined || e.kind === kind));
const nodeLogs = (ran: Ran, nodeId: string): string[] => ran.events.flatMap((e) => (e.type === 'scenario:action-log' && e.nodeId === nodeId ? [e.message] : []));

describe('CheckMedia', () => {
  it('passes on a clean call, every measured value in its log line', async () => {
    const ran = await runScenario(
      twoParty(
        'clean',
        [
          { command: 'MakeCall', targetUri: 'bob' },
          { event: 'TIMEOUT', timeout: 900 },
          { id: 'check', command: 'CheckMedia', codec: 'pcmu', minPacketsReceived: 20, maxLossPercent: 0, maxJitterMs: 30, minMos: 4, direction: 'sendrecv' },
          'Release',
        ],
        ['INCOMING', 'Answer', { command: 'PlayAudio', filePath: files['tone440-short.wav'] }, 'DISCONNECTED'],
      ),
      { portBase: ports(0) },
    );
    expect(ran.failure).toBeUndefined();
    const line = nodeLogs(ran, 'check').find((m) => m.startsWith('CheckMedia passed'));
    expect(line).toBeDefined();
    for (const word of ['PCMU', 'packets', 'loss', 'jitter', 'MOS', 'sendrecv']) expect(line).toContain(word);
  });

  it('checks that audio arrived when no limit is given, and fails naming the codec that is not the one asked for', async () => {
    const ran = await runScenario(
      twoParty(
        'codec',
        [
          { command: 'MakeCall', targetUri: 'bob' },
          { event: 'TIMEOUT', timeout: 500 },
          { id: 'any', command: 'CheckMedia' },
          { id: 'pcma', command: 'CheckMedia', codec: 'PCMA', onFailure: ['Release'] },
          'Release',
        ],
        ['INCOMING', 'Answer', { command: 'PlayAudio', filePath: files['tone440-short.wav'] }, 'DISCONNECTED'],
      ),
      { portBase: ports(1) },
    );
    expect(ran.node('any').state).toBe('completed');
    expect(ran.node('pcma').state).toBe('failed');
    expect(ran.node('pcma').error).toMatch(/^CheckMedia failed: codec PCMU ≠ PCMA|codec PCMU/);
  });

  it('fails behind a lossy relay with the loss, its burstiness and the MOS next to their limits', async () => {
    // Bob's stream to alice goes through a relay that drops 2 packets in every 10 (20 %, in pairs).
    const relay = await LossyRelay.open(37900, (i) => i % 10 === 3 || i % 10 === 4);
    try {
      const sessions: MediaSession[] = [];
      const realOpen = MediaSession.open.bind(MediaSession);
      vi.spyOn(MediaSession, 'open').mockImplementation(async (options) => {
        const s = await realOpen(options);
        sessions.push(s);
        return s;
      });
      const realUpdate = MediaSession.prototype.update;
      vi.spyOn(MediaSession.prototype, 'update').mockImplementation(function (this: MediaSession, params) {
        // Both ends send to the relay. The first session opened is alice's (she makes the offer): what
        // it sends to is bob's address, the sender's; bob's sends to alice's, the receiver's.
        if (this === sessions[0]) relay.setSender(params.remoteAddress, params.remotePort);
        else relay.setReceiver(params.remoteAddress, params.remotePort);
        return realUpdate.call(this, { ...params, remoteAddress: '127.0.0.1', remotePort: relay.port });
      });
      const ran = await runScenario(
        twoParty(
          'lossy',
          [{ command: 'MakeCall', targetUri: 'bob' }, { event: 'TIMEOUT', timeout: 1200 }, { id: 'check', command: 'CheckMedia', maxLossPercent: 5, minMos: 3.5, maxJitterMs: 50, onFailure: ['Release'] }, 'Release'],
          ['INCOMING', 'Answer', { command: 'PlayAudio', filePath: files['tone440.wav'] }, 'DISCONNECTED'],
        ),
        { portBase: ports(2) },
      );
      expect(relay.dropped, `sessions ${sessions.length}, forwarded ${relay.forwarded}`).toBeGreaterThan(5);
      const error = ran.node('check').error ?? '';
      expect(ran.node('check').state, error).toBe('failed');
      const loss = Number(/loss ([\d.]+) %/.exec(error)?.[1]);
      expect(loss, error).toBeGreaterThan(15);
      expect(loss, error).toBeLessThan(25);
      expect(error).toMatch(/max 5 %/);
      const mos = Number(/MOS ([\d.]+)/.exec(error)?.[1]);
      expect(mos, error).toBeLessThan(3.5);
      expect(error).toMatch(/min 3\.5/);
      // The jitter limit held: it is reported too, as passed.
      expect(error).toMatch(/jitter [\d.]+ ms ≤ max 50 ms/);
      // Failed checks come first.
      expect(error.indexOf('loss')).toBeLessThan(error.indexOf('jitter'));
    } finally {
      relay.close();
    }
  });
});

describe('ExpectAudio', () => {
  it('hears the tone that is played, and says what it heard when it is not the one expected', async () => {
    const ran = await runScenario(
      twoParty(
        'tone',
        [
          { command: 'MakeCall', targetUri: 'bob' },
          { id: 'hear', event: 'ExpectAudio', expect: 'tone', frequencyHz: 440, minDurationMs: 300, timeout: 3000 },
          { id: 'wrong', event: 'ExpectAudio', expect: 'tone', frequencyHz: 1000, minDurationMs: 300, timeout: 600, onFailure: [{ id: 'quiet', event: 'ExpectAudio', expect: 'silence', minDurationMs: 300, timeout: 3000 }, 'Release'] },
          'Release',
        ],
        ['INCOMING', 'Answer', { command: 'PlayAudio', filePath: files['tone440.wav'] }, 'DISCONNECTED'],
      ),
      { portBase: ports(3) },
    );
    expect(ran.node('hear').state, ran.node('hear').error).toBe('completed');
    expect(nodeLogs(ran, 'hear').join('\n')).toMatch(/ExpectAudio: heard a 440±20 Hz tone for 300 ms \((4[34]\d) Hz/);
    expect(ran.node('wrong').state).toBe('failed');
    expect(ran.node('wrong').error).toMatch(/^ExpectAudio event timeout after 600ms: waiting for a 1000±20 Hz tone for 300 ms; heard .*44\d Hz/);
    expect(ran.node('quiet').state, ran.node('quiet').error).toBe('completed');
  });

  it('finds the prompt that is played by correlation, and not another one', async () => {
    const ran = await runScenario(
      twoParty(
        'prompt',
        [
          { command: 'MakeCall', targetUri: 'bob' },
          { id: 'welcome', event: 'ExpectAudio', expect: 'file', filePath: files['welcome.wav'], timeout: 4000 },
          { id: 'goodbye', event: 'ExpectAudio', expect: 'file', filePath: files['goodbye.wav'], timeout: 2500, onFailure: ['Release'] },
          'Release',
        ],
        ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 300 }, { command: 'PlayAudio', filePath: files['welcome.wav'] }, { command: 'PlayAudio', filePath: files['welcome.wav'] }, 'DISCONNECTED'],
      ),
      { portBase: ports(4) },
    );
    expect(ran.node('welcome').state, ran.node('welcome').error).toBe('completed');
    expect(nodeLogs(ran, 'welcome').join('\n')).toMatch(/heard the prompt welcome\.wav \(correlation ≥ 0\.7\) \(.*correlation (0\.9\d|1\.00)/);
    expect(ran.node('goodbye').state).toBe('failed');
    expect(ran.node('goodbye').error).toMatch(/waiting for the prompt goodbye\.wav.*; heard .*best correlation 0\.[0-6]/);
  });

  it('fails at once when the call ends, saying what was heard', async () => {
    const ran = await runScenario(
      twoParty(
        'ends',
        [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'hear', event: 'ExpectAudio', expect: 'tone', frequencyHz: 2000, timeout: 10_000 }],
        ['INCOMING', 'Answer', { command: 'PlayAudio', filePath: files['tone440-short.wav'] }, 'Release'],
      ),
      { portBase: ports(5) },
    );
    expect(ran.node('hear').state).toBe('failed');
    expect(ran.node('hear').error).toMatch(/^ExpectAudio: the call ended .* before a 2000±20 Hz tone for 200 ms was heard; heard/);
    expect(ran.nodeResult('hear').durationMs!).toBeLessThan(5000);
  });
});

describe('DTMF in every form', () => {
  for (const mode of ['inband', 'info', 'rfc4733'] as const) {
    it(`${mode}: digits sent each way arrive, each reported with its form`, async () => {
      const ran = await runScenario(
        twoParty(
          mode,
          [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '159#', mode, intervalMs: 80 }, { id: 'back', event: 'DTMFReceived', expectedDigits: '*0D', timeout: 5000 }, 'Release'],
          ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', expectedDigits: '159#', timeout: 5000 }, { command: 'SendDTMF', digits: '*0D', mode }, 'DISCONNECTED'],
        ),
        { portBase: ports(6 + ['inband', 'info', 'rfc4733'].indexOf(mode)) },
      );
      expect(ran.failure).toBeUndefined();
      const received = (id: string): string => mediaEvents(ran, 'dtmf-received').filter((e) => e.instanceId === id).map((e) => `${e.digits}:${e.form}`).join(' ');
      expect(received('bob')).toBe(['1', '5', '9', '#'].map((d) => `${d}:${mode}`).join(' '));
      expect(received('alice')).toBe(['*', '0', 'D'].map((d) => `${d}:${mode}`).join(' '));
      const sent = mediaEvents(ran, 'dtmf-sent').map((e) => e.form);
      expect(new Set(sent)).toEqual(new Set([mode]));
      if (mode !== 'rfc4733') expect(nodeLogs(ran, 'got').join('\n')).toContain(mode === 'inband' ? '(4/4, in-band)' : '(4/4, SIP INFO)');
      if (mode === 'info') {
        const infos = ran.sips('alice').filter((e) => e.direction === 'sent' && e.method === 'INFO');
        expect(infos.length).toBe(4);
        expect(infos[0]!.raw).toMatch(/Content-Type: application\/dtmf-relay\r\n[\s\S]*\r\n\r\nSignal=1\r\nDuration=100\r\n$/);
      }
    });
  }
});

describe('early media', () => {
  it('plays a tone in a 183 that the caller hears and checks before the answer', async () => {
    const ran = await runScenario(
      twoParty(
        'early',
        {
          chains: [
            [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'after', command: 'CheckMedia', minPacketsReceived: 1 }, 'Release'],
            [
              { id: 'ringing', event: 'RINGING' },
              { id: 'early', event: 'EARLY_MEDIA' },
              { id: 'ringback', event: 'ExpectAudio', expect: 'tone', frequencyHz: 440, minDurationMs: 300, timeout: 3000 },
              { id: 'before', command: 'CheckMedia', codec: 'PCMU', minPacketsReceived: 15 },
            ],
          ],
        },
        ['INCOMING', { id: 'progress', command: 'SessionProgress' }, { command: 'PlayAudio', filePath: files['tone440-short.wav'] }, { event: 'TIMEOUT', timeout: 300 }, 'Answer', 'DISCONNECTED'],
        { bob: { autoRinging: false } },
      ),
      { portBase: ports(9) },
    );
    expect(ran.failure).toBeUndefined();
    expect(nodeLogs(ran, 'ringing').join('\n')).toContain('183 Session Progress with SDP (early media)');
    expect(nodeLogs(ran, 'early').join('\n')).toContain('EARLY_MEDIA: received 183 Session Progress with SDP');
    expect(ran.node('ringback').state).toBe('completed');
    // The checks before the answer ran while bob had not answered.
    const answeredAt = ran.call('alice', 'call-1').answeredAt!;
    expect(ran.nodeResult('before').endedAt!).toBeLessThan(answeredAt);
    // One SDP answer: the 200 repeats the 183's.
    const bobSent = ran.sips('bob').filter((e) => e.direction === 'sent' && (e.status === 183 || e.status === 200) && /\r\nCSeq: \d+ INVITE\r\n/.test(e.raw));
    const sdpOf = (raw: string): string => raw.slice(raw.indexOf('\r\n\r\n') + 4);
    expect(bobSent.map((e) => e.status)).toEqual([183, 200]);
    expect(sdpOf(bobSent[1]!.raw)).toBe(sdpOf(bobSent[0]!.raw));
  });
});

describe('recordings', () => {
  it('records calls by instance setting, step field and StartRecording/StopRecording, linked from the result and the events', async () => {
    const ran = await runScenario(
      twoParty(
        'rec',
        [{ command: 'MakeCall', targetUri: 'bob' }, { event: 'TIMEOUT', timeout: 1000 }, 'Release'],
        [
          'INCOMING',
          { command: 'Answer', record: true },
          { command: 'PlayAudio', filePath: files['tone440-short.wav'] },
          { id: 'start', command: 'StartRecording', stereo: true },
          { event: 'TIMEOUT', timeout: 200 },
          { id: 'stop', command: 'StopRecording' },
          { id: 'again', command: 'StopRecording' },
          'DISCONNECTED',
        ],
        { alice: { record: true, recordStereo: true } },
      ),
      { portBase: ports(10), outputDir: output },
    );
    expect(ran.failure).toBeUndefined();
    const alice = ran.call('alice', 'call-1').recordings;
    const bob = ran.call('bob', 'call-1').recordings;
    expect(alice.map((r) => r.stereo)).toEqual([true]);
    expect(bob.map((r) => r.stereo)).toEqual([false, true]);
    for (const r of [...alice, ...bob]) {
      expect(r.file.startsWith(output)).toBe(true);
      expect(r.durationMs).toBeGreaterThan(0);
    }
    const sipCallId = ran.call('alice', 'call-1').sipCallId.replace(/[^A-Za-z0-9._-]+/g, '_');
    expect(alice[0]!.file).toBe(join(output, `alice-call-1-${sipCallId}.wav`));
    expect(bob[1]!.file).toBe(join(output, `bob-call-1-${sipCallId}-2.wav`));
    expect((await readdir(output)).sort()).toEqual([alice[0]!.file, bob[0]!.file, bob[1]!.file].map((f) => f.slice(output.length + 1)).sort());
    // Alice's stereo file: bob's tone on the left (received), nothing sent on the right.
    const wav = await readWavFile(alice[0]!.file);
    expect(wav.channels).toBe(2);
    let left = 0;
    let right = 0;
    for (let i = 0; i < wav.samples.length; i += 2) {
      left = Math.max(left, Math.abs(wav.samples[i]!));
      right = Math.max(right, Math.abs(wav.samples[i + 1]!));
    }
    expect(left).toBeGreaterThan(5000);
    expect(right).toBeLessThan(50);
    // Bob's first recording is what bob received (mono).
    expect((await readWavFile(bob[0]!.file)).channels).toBe(1);
    const started = mediaEvents(ran, 'recording-started').map((e) => `${e.instanceId}:${e.stereo}:${e.nodeId ?? ''}`);
    expect(started.sort()).toEqual(['alice:true:alice.steps[0]', 'bob:false:bob.steps[1]', 'bob:true:start'].sort());
    const stopped = mediaEvents(ran, 'recording-stopped');
    expect(stopped.map((e) => e.audioFile).sort()).toEqual([alice[0]!.file, bob[0]!.file, bob[1]!.file].sort());
    expect(stopped.find((e) => e.nodeId === 'stop')?.audioFile).toBe(bob[1]!.file);
    expect(nodeLogs(ran, 'again').join('\n')).toContain('StopRecording: nothing is recording on call-1');
  });
});

describe('validation of the new steps', () => {
  const steps = (...s: Step[]): unknown => ({ instances: { a: { steps: s } } });
  const messages = (input: unknown): string[] => validateScenario(input).diagnostics.map((d) => `${d.severity}: ${d.message}`);

  it('asks for what each ExpectAudio needs and warns of fields it ignores', () => {
    expect(messages(steps({ event: 'ExpectAudio', expect: 'tone' }))).toContain('error: ExpectAudio: expect tone requires frequencyHz');
    expect(messages(steps({ event: 'ExpectAudio', expect: 'file' }))).toContain('error: ExpectAudio: expect file requires filePath');
    expect(messages(steps({ event: 'ExpectAudio', expect: 'silence', frequencyHz: 440 }))).toContain('warning: frequencyHz has no effect on ExpectAudio with expect silence');
    expect(messages(steps({ event: 'ExpectAudio', expect: 'tones', frequencyHz: 440 }))).toContain('error: expect must be one of tone, silence, sound, file, not "tones"');
  });

  it('warns of recordStereo without record', () => {
    expect(messages({ instances: { a: { recordStereo: true, steps: ['INCOMING'] } } })).toContain('warning: recordStereo has no effect without record: true (a step can still record in stereo with StartRecording)');
    expect(messages({ instances: { a: { record: true, recordStereo: true, steps: ['INCOMING'] } } }).filter((m) => m.includes('record'))).toEqual([]);
  });

  it('checks the enumerations and ranges of CheckMedia and SendDTMF', () => {
    const r = validateScenario(steps({ command: 'SendDTMF', digits: '1', mode: 'inbnad' }, { command: 'CheckMedia', minMos: 5, direction: 'both' }));
    const text = r.errors.map((d) => d.message).join('\n');
    expect(r.errors.find((d) => d.field === 'mode')?.suggestion).toBe('inband');
    expect(text).toMatch(/minMos/);
    expect(text).toContain('direction must be one of sendrecv, sendonly, recvonly, inactive, not "both"');
  });
});
