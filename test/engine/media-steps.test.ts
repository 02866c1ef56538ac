// The media steps end to end on loopback: PlayAudio (WAV files of any format our reader takes,
// converted to 8 kHz mono; aborted at once by the call's end, a stop or a timeout), SendDTMF and
// DTMFReceived (RFC 4733 digits; expectedDigit, expectedDigits, skipped digits, digits that came
// early, the call's end, a timeout), media that follows hold, one RTP session and port per call
// kept across re-INVITEs, and runs with `media: false`.
//
// What the peer really received is checked by recording every media session the engine opens
// (MediaSession.open is wrapped to start a recording) and looking for the 440 Hz tone in it.
//
// The WAV fixtures under test/fixtures/audio are made by FIXTURES below with the project's own
// encodeWav; the first test checks the committed files still match it. To write them again:
//   SIPFLOW_WRITE_AUDIO_FIXTURES=1 npx vitest run test/engine/media-steps.test.ts
//
// Ports: this file uses SIP ports 33000–33999 only, a block of 20 per test (portBase 33000 + 20*i).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Engine, ScenarioError, loadScenarioFile, type RunEvent } from '../../src/engine/index.js';
import { MediaSession } from '../../src/media/media-session.js';
import { encodeWav, readWavFile } from '../../src/media/wav.js';
import { runOn, runScenario, type Ran } from './harness.js';

const AUDIO = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/audio');

// ---------------------------------------------------------------------------------------------
// Fixtures

/** A 440 Hz sine at a quarter of full scale (deterministic: Math.sin is fdlibm in V8). */
function tone(seconds: number, sampleRate: number, channels: number, hz = 440, amplitude = 8000): Int16Array {
  const frames = Math.round(seconds * sampleRate);
  const out = new Int16Array(frames * channels);
  for (let f = 0; f < frames; f++) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * hz * f) / sampleRate));
    for (let c = 0; c < channels; c++) out[f * channels + c] = v;
  }
  return out;
}

/** Every committed fixture and how it is made (each under 50 KB). */
const FIXTURES: Record<string, () => Uint8Array> = {
  // 1 s, 8 kHz mono 16-bit: 16 044 bytes, 50 packets of 20 ms.
  'tone-440hz-8k-mono.wav': () => encodeWav(tone(1, 8000, 1), 8000, 1),
  // 0.5 s, 16 kHz stereo 16-bit: 32 044 bytes; 25 packets once mixed down and resampled.
  'tone-440hz-16k-stereo.wav': () => encodeWav(tone(0.5, 16000, 2), 16000, 2),
  // 0.5 s, 44.1 kHz mono 16-bit: 44 144 bytes; 25 packets once resampled.
  'tone-440hz-44k1-mono.wav': () => encodeWav(tone(0.5, 44100, 1), 44100, 1),
  // Text with a .wav name: the extension must not fool the reader.
  'not-a-wav.wav': () => new TextEncoder().encode('This is a text file, not a WAV file.\n'),
};

if (process.env['SIPFLOW_WRITE_AUDIO_FIXTURES'] === '1') {
  mkdirSync(AUDIO, { recursive: true });
  for (const [name, make] of Object.entries(FIXTURES)) writeFileSync(join(AUDIO, name), make());
}

const TONE_8K = 'tone-440hz-8k-mono.wav';

// A 5 s prompt for the abort tests (80 KB: made at run time, not committed).
let scratch = '';
let LONG = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sipflow-media-steps-'));
  LONG = join(scratch, 'long-5s-8k-mono.wav');
  await writeFile(LONG, encodeWav(tone(5, 8000, 1, 440, 4000), 8000, 1));
});
afterAll(async () => {
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** The SIP port block of test `i` (33000–33999 are this file's). */
const ports = (i: number): number => {
  if (i < 0 || i >= 50) throw new Error(`port block ${i} is outside 33000–33999`);
  return 33000 + 20 * i;
};

type Step = string | Record<string, unknown>;

/** A two-party scenario: alice (DN alice) and bob (DN bob). */
function twoParty(name: string, alice: Step[], bob: Step[]): unknown {
  return { name, instances: { alice: { steps: alice }, bob: { steps: bob } } };
}

/** The logs of one node, in order. */
function nodeLogs(ran: Ran, nodeId: string): string[] {
  return ran.events.flatMap((e) => (e.type === 'scenario:action-log' && e.nodeId === nodeId ? [e.message] : []));
}

/** When (run-event timestamp) a node entered `state`. */
function stateAt(ran: Ran, nodeId: string, state: string): number {
  const ev = ran.events.find((e) => e.type === 'scenario:node-state' && e.nodeId === nodeId && e.newState === state);
  if (ev === undefined) throw new Error(`node ${nodeId} never became ${state}`);
  return ev.timestamp;
}

/** A node's last run duration, ms. */
function durationOf(ran: Ran, nodeId: string): number {
  const n = ran.result.nodes.find((x) => x.nodeId === nodeId);
  if (n?.durationMs === undefined) throw new Error(`node ${nodeId} has no duration`);
  return n.durationMs;
}

type SipEv = Extract<RunEvent, { type: 'sip' }>;

/** One instance's SIP messages that match. */
function sipOf(ran: Ran, instanceId: string, direction: 'sent' | 'received', match: (e: SipEv) => boolean = () => true): SipEv[] {
  return ran.events.filter((e): e is SipEv => e.type === 'sip' && e.instanceId === instanceId && e.direction === direction && match(e));
}

/** The `m=audio` port of a SIP message's SDP. */
function audioPort(raw: string): number {
  const m = /\r\nm=audio (\d+) /.exec(raw);
  if (m === null) throw new Error(`no m=audio line in:\n${raw}`);
  return Number(m[1]);
}

/** The SDP direction attribute of a SIP message's audio (sendrecv when none is written). */
function audioDirection(raw: string): string {
  return /\r\na=(sendrecv|sendonly|recvonly|inactive)\r\n/.exec(raw)?.[1] ?? 'sendrecv';
}

/** INVITEs an instance sent, in order (initial and re-INVITEs). */
const invitesSent = (ran: Ran, id: string): SipEv[] => sipOf(ran, id, 'sent', (e) => e.method === 'INVITE');
/** 200 OKs to INVITEs an instance sent, in order. */
const inviteOksSent = (ran: Ran, id: string): SipEv[] => sipOf(ran, id, 'sent', (e) => e.status === 200 && / INVITE\r\n/.test(cseqLine(e.raw)));
const cseqLine = (raw: string): string => /\r\nCSeq:[^\r]*\r\n/i.exec(raw)?.[0] ?? '';

/** "Received DTMF: d" as the call's media reported each digit (not a node's log), with its time. */
function digitsArrived(ran: Ran, instanceId: string): { digit: string; at: number }[] {
  return ran.events.flatMap((e) => {
    if (e.type !== 'scenario:action-log' || e.instanceId !== instanceId || e.nodeId !== '') return [];
    const m = /^Received DTMF: (.)$/.exec(e.message);
    return m === null ? [] : [{ digit: m[1]!, at: e.timestamp }];
  });
}

// Every MediaSession the engine opens, with a recording of what it received.
const realOpen = MediaSession.open.bind(MediaSession);
interface Tapped {
  readonly session: MediaSession;
  readonly file: string;
  readonly closed: () => Promise<void>;
}

/** Records every media session opened from now on; `received(port)` is what the session on `port` heard. */
function tapMedia(): { sessions: Tapped[]; received: (port: number) => Promise<Int16Array> } {
  const sessions: Tapped[] = [];
  let n = 0;
  vi.spyOn(MediaSession, 'open').mockImplementation(async (options) => {
    const session = await realOpen(options);
    const file = join(scratch, `rec-${process.pid}-${Date.now()}-${n++}-${session.local.port}.wav`);
    await session.record(file);
    // The engine closes media without waiting: keep the close so the recording can be awaited.
    const close = session.close.bind(session);
    let closing: Promise<void> | undefined;
    session.close = () => (closing ??= close());
    sessions.push({ session, file, closed: () => (closing ??= close()) });
    return session;
  });
  return {
    sessions,
    received: async (port) => {
      const t = sessions.find((s) => s.session.local.port === port);
      if (t === undefined) throw new Error(`no media session on port ${port}: ${sessions.map((s) => s.session.local.port).join(', ')}`);
      await t.closed();
      return (await readWavFile(t.file)).samples;
    },
  };
}
afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The 440 Hz tone in 8 kHz samples: how long it sounds (20 ms frames with an RMS over 500) and
 * its pitch (from the zero crossings between its first and last loud frame).
 */
function toneIn(samples: Int16Array): { ms: number; hz: number } {
  const loud: number[] = [];
  for (let f = 0; (f + 1) * 160 <= samples.length; f++) {
    let sum = 0;
    for (let i = f * 160; i < (f + 1) * 160; i++) sum += samples[i]! * samples[i]!;
    if (Math.sqrt(sum / 160) > 500) loud.push(f);
  }
  if (loud.length === 0) return { ms: 0, hz: 0 };
  const from = loud[0]! * 160;
  const to = (loud.at(-1)! + 1) * 160;
  let crossings = 0;
  for (let i = from + 1; i < to; i++) if (samples[i - 1]! < 0 && samples[i]! >= 0) crossings++;
  return { ms: loud.length * 20, hz: crossings / ((to - from) / 8000) };
}

// ---------------------------------------------------------------------------------------------

describe('audio fixtures', () => {
  it('are what FIXTURES makes with encodeWav, each under 50 KB', () => {
    for (const [name, make] of Object.entries(FIXTURES)) {
      const file = new Uint8Array(readFileSync(join(AUDIO, name)));
      const expected = make();
      expect(file.length, name).toBeLessThan(50 * 1024);
      expect(file.length, name).toBe(expected.length);
      if (!name.endsWith('.wav') || name.startsWith('not-')) {
        expect(Buffer.from(file).equals(Buffer.from(expected)), name).toBe(true);
        continue;
      }
      // The header exactly; samples within 1 (in case a platform's Math.sin rounds differently).
      expect(Buffer.from(file.subarray(0, 44)).equals(Buffer.from(expected.subarray(0, 44))), name).toBe(true);
      const a = new Int16Array(file.buffer, file.byteOffset + 44, (file.length - 44) / 2);
      const b = new Int16Array(expected.buffer, expected.byteOffset + 44, (expected.length - 44) / 2);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst, name).toBeLessThanOrEqual(1);
    }
  });
});

describe('PlayAudio', () => {
  const playScenario = (file: string, extra: Record<string, unknown> = {}): unknown =>
    twoParty(
      'play',
      [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'play', command: 'PlayAudio', filePath: file, ...extra }, { event: 'TIMEOUT', timeout: 200 }, 'Release'],
      ['INCOMING', 'Answer', 'DISCONNECTED'],
    );

  it('plays an 8 kHz mono WAV (path relative to baseDir) to the peer and completes when all of it is sent', async () => {
    const tap = tapMedia();
    const ran = await runScenario(playScenario(TONE_8K), { portBase: ports(0) }, { baseDir: AUDIO });
    expect(ran.failure).toBeUndefined();
    expect(ran.result.status).toBe('passed');
    expect(ran.node('play')).toEqual({ state: 'completed', error: undefined, runs: 1 });
    expect(nodeLogs(ran, 'play')).toEqual([`Playing audio file: ${TONE_8K}`, 'Playback completed (50 packets, 1000 ms)']);
    // Completes when sent: about the file's length, paced at 20 ms a packet.
    // (Loose bounds: under load the shared 20 ms ticker catches up late ticks in bursts.)
    expect(durationOf(ran, 'play')).toBeGreaterThanOrEqual(850);
    expect(durationOf(ran, 'play')).toBeLessThan(1800);
    // Bob heard the whole tone, at its pitch; alice heard silence.
    const bobPort = audioPort(inviteOksSent(ran, 'bob')[0]!.raw);
    const alicePort = audioPort(invitesSent(ran, 'alice')[0]!.raw);
    const heard = toneIn(await tap.received(bobPort));
    expect(heard.ms).toBeGreaterThanOrEqual(960);
    expect(heard.ms).toBeLessThanOrEqual(1040);
    expect(heard.hz).toBeGreaterThan(430);
    expect(heard.hz).toBeLessThan(450);
    expect(toneIn(await tap.received(alicePort)).ms).toBe(0);
  }, 15_000);

  it.each([
    ['tone-440hz-16k-stereo.wav', ports(1)],
    ['tone-440hz-44k1-mono.wav', ports(2)],
  ])('plays %s converted to 8 kHz mono (same length, same pitch)', async (file, portBase) => {
    const tap = tapMedia();
    const ran = await runScenario(playScenario(file), { portBase }, { baseDir: AUDIO });
    expect(ran.failure).toBeUndefined();
    expect(ran.node('play').state).toBe('completed');
    // The conversion is said in the node's log (the media's notes).
    const logs = nodeLogs(ran, 'play');
    expect(logs[0]).toBe(`Playing audio file: ${file}`);
    expect(logs.at(-1)).toBe('Playback completed (25 packets, 500 ms)');
    expect(logs.slice(1, -1)).toEqual(file.includes('stereo') ? ['PlayAudio: mixed 2 channels down to mono', 'PlayAudio: resampled from 16000 Hz to 8000 Hz'] : ['PlayAudio: resampled from 44100 Hz to 8000 Hz']);
    expect(durationOf(ran, 'play')).toBeGreaterThanOrEqual(400);
    expect(durationOf(ran, 'play')).toBeLessThan(1300);
    const heard = toneIn(await tap.received(audioPort(inviteOksSent(ran, 'bob')[0]!.raw)));
    expect(heard.ms).toBeGreaterThanOrEqual(440);
    expect(heard.ms).toBeLessThanOrEqual(540);
    expect(heard.hz).toBeGreaterThan(430);
    expect(heard.hz).toBeLessThan(450);
  }, 15_000);

  it('resolves a relative path against the scenario file folder (loadScenarioFile), not the working directory', async () => {
    const dir = join(scratch, 'scenario-dir');
    await mkdir(join(dir, 'prompts'), { recursive: true });
    await copyFile(join(AUDIO, TONE_8K), join(dir, 'prompts', 'hello.wav'));
    const file = join(dir, 'play.jsonc');
    await writeFile(file, JSON.stringify(playScenario('prompts/hello.wav')));
    expect(process.cwd()).not.toBe(dir);
    const ran = await runScenario(loadScenarioFile(file, { env: {} }), { portBase: ports(3) });
    expect(ran.failure).toBeUndefined();
    expect(nodeLogs(ran, 'play')).toEqual(['Playing audio file: hello.wav', 'Playback completed (50 packets, 1000 ms)']);
    // The same file missing is found at load.
    await writeFile(file, JSON.stringify(playScenario('prompts/missing.wav')));
    expect(() => loadScenarioFile(file, { env: {} })).toThrow(/audio file not found: prompts\/missing\.wav/);
  }, 15_000);

  it('refuses a missing file at load: the run does not start', async () => {
    const engine = new Engine({ portBase: ports(4) });
    const events: RunEvent[] = [];
    engine.on((e) => events.push(e));
    const err = await engine.run(playScenario('missing.wav'), { env: {}, baseDir: AUDIO }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toMatch(/audio file not found: missing\.wav/);
    expect(engine.running).toBe(false);
    expect(events.filter((e) => e.type === 'sip' || e.type === 'scenario:started')).toEqual([]);
  });

  it('fails the node with a clear WavError message for a file that is not WAV; the call goes on', async () => {
    const ran = await runScenario(
      twoParty(
        'not a wav',
        [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'play', command: 'PlayAudio', filePath: 'not-a-wav.wav', onFailure: [{ id: 'hangup', command: 'Release' }] }],
        ['INCOMING', 'Answer', { id: 'bob-gone', event: 'DISCONNECTED' }],
      ),
      { portBase: ports(5) },
      { baseDir: AUDIO },
    );
    expect(ran.result.status).toBe('passed'); // the failure branch handled it
    const play = ran.node('play');
    expect(play.state).toBe('failed');
    expect(play.error).toBe(`PlayAudio: ${join(AUDIO, 'not-a-wav.wav')}: not a WAV file: it starts with bytes 54 68 69 73 ("This") instead of "RIFF"`);
    expect(durationOf(ran, 'play')).toBeLessThan(500);
    expect(ran.node('hangup').state).toBe('completed');
    expect(ran.logs('bob')).toContain('DISCONNECTED: remote-bye (the peer sent BYE)');
  }, 15_000);

  it('fails at once when the call ends while playing, and stops sending', async () => {
    const tap = tapMedia();
    const ran = await runScenario(
      twoParty(
        'ended while playing',
        [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'play', command: 'PlayAudio', filePath: LONG, onFailure: [{ id: 'alice-gone', event: 'DISCONNECTED' }] }],
        ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 500 }, 'Release'],
      ),
      { portBase: ports(6) },
    );
    expect(ran.result.status).toBe('passed');
    const play = ran.node('play');
    expect(play.state).toBe('failed');
    expect(play.error).toMatch(/^PlayAudio: call call-1 ended \(remote-bye: the peer sent BYE\) after \d+ ms of audio$/);
    const playedMs = Number(/after (\d+) ms/.exec(play.error!)![1]);
    expect(playedMs).toBeGreaterThan(300);
    expect(playedMs).toBeLessThan(1500);
    // At once: within a few hundred ms of the BYE, not after the file's 5 s.
    const bye = sipOf(ran, 'alice', 'received', (e) => e.method === 'BYE')[0]!;
    expect(stateAt(ran, 'play', 'failed') - bye.timestamp).toBeLessThan(500);
    expect(durationOf(ran, 'play')).toBeLessThan(2000);
    expect(ran.result.durationMs).toBeLessThan(4000);
    const heard = toneIn(await tap.received(audioPort(inviteOksSent(ran, 'bob')[0]!.raw)));
    expect(heard.ms).toBeLessThan(1500);
  }, 15_000);

  it('stops at once when the run is stopped', async () => {
    const engine = new Engine({ portBase: ports(7), closeTimeoutMs: 500, notifyGraceMs: 300 });
    // Stop 300 ms into the 5 s playback.
    engine.on((e) => {
      if (e.type === 'scenario:node-state' && e.nodeId === 'play' && e.newState === 'running') setTimeout(() => engine.stop(), 300);
    });
    const started = Date.now();
    const ran = await runOn(engine, twoParty('stopped while playing', [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'play', command: 'PlayAudio', filePath: LONG }, 'Release'], ['INCOMING', 'Answer', 'DISCONNECTED']));
    expect(ran.result.status).toBe('stopped');
    expect(ran.node('play').state).toBe('stopped');
    expect(ran.node('play').error).toBe('the run was stopped');
    expect(durationOf(ran, 'play')).toBeGreaterThanOrEqual(290);
    expect(durationOf(ran, 'play')).toBeLessThan(800);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(engine.running).toBe(false);
  }, 15_000);

  it('is cut by its timeout, and the rest of the file is not sent', async () => {
    const tap = tapMedia();
    const ran = await runScenario(
      twoParty(
        'play timeout',
        [
          { command: 'MakeCall', targetUri: 'bob' },
          { id: 'play', command: 'PlayAudio', filePath: LONG, timeout: 500, onFailure: [{ event: 'TIMEOUT', timeout: 1000 }, { id: 'hangup', command: 'Release' }] },
        ],
        ['INCOMING', 'Answer', 'DISCONNECTED'],
      ),
      { portBase: ports(8) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('play').state).toBe('failed');
    expect(ran.node('play').error).toMatch(/^PlayAudio timed out after 500ms/);
    expect(durationOf(ran, 'play')).toBeGreaterThanOrEqual(490);
    expect(durationOf(ran, 'play')).toBeLessThan(1200);
    expect(ran.node('hangup').state).toBe('completed');
    // The call lasted another second, but bob heard only the half second played.
    const heard = toneIn(await tap.received(audioPort(inviteOksSent(ran, 'bob')[0]!.raw)));
    expect(heard.ms).toBeGreaterThan(200);
    expect(heard.ms).toBeLessThan(1000);
  }, 15_000);
});

describe('SendDTMF and DTMFReceived', () => {
  it('sends a sequence that the peer receives with expectedDigits', async () => {
    const ran = await runScenario(
      twoParty(
        'dtmf sequence',
        [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'send', command: 'SendDTMF', digits: '123#', intervalMs: 100 }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', expectedDigits: '123#' }, 'Release'],
      ),
      { portBase: ports(9) },
    );
    expect(ran.failure).toBeUndefined();
    expect(ran.node('send').state).toBe('completed');
    expect(ran.node('got').state).toBe('completed');
    expect(nodeLogs(ran, 'send')).toEqual(['Sent DTMF: 1', 'Sent DTMF: 2', 'Sent DTMF: 3', 'Sent DTMF: #', 'DTMF transmission completed (4 digits)']);
    expect(nodeLogs(ran, 'got')).toEqual(['Received DTMF: 1 (1/4)', 'Received DTMF: 2 (2/4)', 'Received DTMF: 3 (3/4)', 'Received DTMF: # (4/4)']);
    expect(digitsArrived(ran, 'bob').map((d) => d.digit)).toEqual(['1', '2', '3', '#']);
    expect(digitsArrived(ran, 'alice')).toEqual([]);
  }, 15_000);

  it.each([
    [0, ports(10)],
    [400, ports(11)],
  ])('puts intervalMs (%i) between the digits', async (intervalMs, portBase) => {
    const ran = await runScenario(
      twoParty(
        'dtmf interval',
        [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'send', command: 'SendDTMF', digits: '147', intervalMs }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', expectedDigits: '147' }, 'Release'],
      ),
      { portBase },
    );
    expect(ran.failure).toBeUndefined();
    expect(digitsArrived(ran, 'bob').map((d) => d.digit)).toEqual(['1', '4', '7']);
    // The sender logs each digit once its last packet is out; the next one takes intervalMs, then
    // a 100 ms tone (7 packets over 120 ms: about 540 ms apart for 400). The lower bound on the
    // sender is firm (a sleep never ends early; a late ticker may send a tone's packets in a
    // burst); the others are loose, for loaded machines.
    const sent = ran.events.flatMap((e) => (e.type === 'scenario:action-log' && e.nodeId === 'send' && e.message.startsWith('Sent DTMF: ') ? [e.timestamp] : []));
    expect(sent).toHaveLength(3);
    const arrived = digitsArrived(ran, 'bob').map((d) => d.at);
    for (let i = 1; i < 3; i++) {
      expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(intervalMs);
      expect(sent[i]! - sent[i - 1]!).toBeLessThan(intervalMs + 500);
      expect(arrived[i]! - arrived[i - 1]!).toBeGreaterThanOrEqual(intervalMs * 0.75);
      expect(arrived[i]! - arrived[i - 1]!).toBeLessThan(intervalMs + 500);
    }
    expect(durationOf(ran, 'send')).toBeGreaterThanOrEqual(2 * intervalMs);
    expect(durationOf(ran, 'send')).toBeLessThan(2 * intervalMs + 3 * 120 + 800);
  }, 15_000);

  it('expectedDigit: skips and logs other digits, then takes the expected one', async () => {
    const ran = await runScenario(
      twoParty(
        'expected digit',
        [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '95', intervalMs: 50 }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', expectedDigit: '5' }, 'Release'],
      ),
      { portBase: ports(12) },
    );
    expect(ran.failure).toBeUndefined();
    expect(nodeLogs(ran, 'got')).toEqual(['Received DTMF: 9 (waiting for 5, continuing)', 'Received DTMF: 5']);
  }, 15_000);

  it('an empty (or absent) expectedDigit takes any digit', async () => {
    const ran = await runScenario(
      twoParty(
        'any digit',
        [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '7*', intervalMs: 50 }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', { id: 'any1', event: 'DTMFReceived' }, { id: 'any2', event: 'DTMFReceived', expectedDigit: '' }, 'Release'],
      ),
      { portBase: ports(13) },
    );
    expect(ran.failure).toBeUndefined();
    expect(nodeLogs(ran, 'any1')).toEqual(['Received DTMF: 7']);
    expect(nodeLogs(ran, 'any2')).toEqual(['Received DTMF: *']);
  }, 15_000);

  it('expectedDigits: skips and logs digits before the sequence starts', async () => {
    const ran = await runScenario(
      twoParty(
        'sequence after junk',
        [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '9123', intervalMs: 50 }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', expectedDigits: '123' }, 'Release'],
      ),
      { portBase: ports(14) },
    );
    expect(ran.failure).toBeUndefined();
    expect(nodeLogs(ran, 'got')).toEqual(['Received DTMF: 9 (waiting for 1, continuing)', 'Received DTMF: 1 (1/3)', 'Received DTMF: 2 (2/3)', 'Received DTMF: 3 (3/3)']);
  }, 15_000);

  it('expectedDigits: finds a sequence that overlaps a false start (112 in 1112)', async () => {
    // The digits 1, 1, 2 arrive in order (the last three of 1112): the sequence is there, whether
    // "sequence" means consecutive digits or digits in order with others skipped.
    const ran = await runScenario(
      twoParty(
        'overlapping sequence',
        [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '1112', intervalMs: 50 }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', expectedDigits: '112', timeout: 2000 }, 'Release'],
      ),
      { portBase: ports(15) },
    );
    expect(ran.node('got').error, `logs of the wait: ${nodeLogs(ran, 'got').join(' | ')}`).toBeUndefined();
    expect(ran.node('got').state).toBe('completed');
    expect(ran.result.status).toBe('passed');
  }, 15_000);

  it('does not lose digits that arrived before the node waits', async () => {
    const ran = await runScenario(
      twoParty(
        'early digits',
        [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '42', intervalMs: 50 }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 1200 }, { id: 'got', event: 'DTMFReceived', expectedDigits: '42', timeout: 500 }, 'Release'],
      ),
      { portBase: ports(16) },
    );
    expect(ran.failure).toBeUndefined();
    const arrived = digitsArrived(ran, 'bob');
    expect(arrived.map((d) => d.digit)).toEqual(['4', '2']);
    expect(arrived[1]!.at).toBeLessThan(stateAt(ran, 'got', 'running'));
    expect(nodeLogs(ran, 'got')).toEqual(['Received DTMF: 4 (1/2)', 'Received DTMF: 2 (2/2)']);
    expect(durationOf(ran, 'got')).toBeLessThan(250);
  }, 15_000);

  it('a single expected digit that arrived early is taken at once too', async () => {
    const ran = await runScenario(
      twoParty(
        'early digit',
        [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '8' }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 800 }, { id: 'got', event: 'DTMFReceived', expectedDigit: '8', timeout: 500 }, 'Release'],
      ),
      { portBase: ports(17) },
    );
    expect(ran.failure).toBeUndefined();
    expect(nodeLogs(ran, 'got')).toEqual(['Received DTMF: 8']);
    expect(durationOf(ran, 'got')).toBeLessThan(250);
  }, 15_000);

  it('a wait fails at once when its call ends meanwhile, with the reason', async () => {
    const ran = await runScenario(
      twoParty(
        'ended while waiting',
        [{ command: 'MakeCall', targetUri: 'bob' }, { event: 'TIMEOUT', timeout: 400 }, 'Release'],
        ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', expectedDigit: '5', timeout: 10_000, onFailure: [{ id: 'bob-gone', event: 'DISCONNECTED' }] }],
      ),
      { portBase: ports(18) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('got').state).toBe('failed');
    expect(ran.node('got').error).toBe('DTMFReceived: call call-1 ended (remote-bye: the peer sent BYE)');
    const bye = sipOf(ran, 'bob', 'received', (e) => e.method === 'BYE')[0]!;
    expect(stateAt(ran, 'got', 'failed') - bye.timestamp).toBeLessThan(500);
    expect(durationOf(ran, 'got')).toBeLessThan(2000);
  }, 15_000);

  it('a wait that starts after its call ended fails at once, naming the end', async () => {
    const ran = await runScenario(
      twoParty(
        'ended before waiting',
        [{ command: 'MakeCall', targetUri: 'bob' }, 'Release'],
        ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 600 }, { id: 'got', event: 'DTMFReceived', expectedDigit: '5', timeout: 5000, onFailure: [{ id: 'bob-gone', event: 'DISCONNECTED' }] }],
      ),
      { portBase: ports(19) },
    );
    expect(ran.node('got').state).toBe('failed');
    expect(ran.node('got').error).toBe('DTMFReceived: call call-1 ended (remote-bye: the peer sent BYE)');
    expect(durationOf(ran, 'got')).toBeLessThan(250);
  }, 15_000);

  it('digits received before the call ended still satisfy a later wait', async () => {
    const ran = await runScenario(
      twoParty(
        'digits then hang up',
        [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '5' }, { event: 'TIMEOUT', timeout: 200 }, 'Release'],
        ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 1200 }, { id: 'got', event: 'DTMFReceived', expectedDigit: '5', timeout: 500 }, 'DISCONNECTED'],
      ),
      { portBase: ports(20) },
    );
    expect(digitsArrived(ran, 'bob').map((d) => d.digit)).toEqual(['5']);
    expect(ran.node('got').error).toBeUndefined();
    expect(ran.node('got').state).toBe('completed');
    expect(ran.result.status).toBe('passed');
  }, 15_000);

  it('PlayAudio and SendDTMF on a call that has already ended fail naming the end', async () => {
    const ran = await runScenario(
      twoParty(
        'media steps after the end',
        [{ command: 'MakeCall', targetUri: 'bob' }, 'Release'],
        [
          'INCOMING',
          'Answer',
          { event: 'TIMEOUT', timeout: 600 },
          { id: 'play', command: 'PlayAudio', filePath: TONE_8K, onFailure: 'send' },
          { id: 'send', command: 'SendDTMF', digits: '1', onFailure: 'bob-gone' },
          { id: 'bob-gone', event: 'DISCONNECTED' },
        ],
      ),
      { portBase: ports(26) },
      { baseDir: AUDIO },
    );
    expect(ran.node('play').state).toBe('failed');
    expect(ran.node('play').error).toMatch(/ended.*remote-bye/);
    expect(ran.node('send').state).toBe('failed');
    expect(ran.node('send').error).toMatch(/ended.*remote-bye/);
  }, 15_000);

  it('SendDTMF fails at once when its call ends between two digits, naming the end', async () => {
    const ran = await runScenario(
      twoParty(
        'ended while sending',
        [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'send', command: 'SendDTMF', digits: '12', intervalMs: 3000, onFailure: [{ id: 'alice-gone', event: 'DISCONNECTED' }] }],
        ['INCOMING', 'Answer', { event: 'TIMEOUT', timeout: 500 }, 'Release'],
      ),
      { portBase: ports(27) },
    );
    expect(ran.node('send').state).toBe('failed');
    expect(ran.node('send').error).toMatch(/ended.*remote-bye/);
    const bye = sipOf(ran, 'alice', 'received', (e) => e.method === 'BYE')[0]!;
    expect(stateAt(ran, 'send', 'failed') - bye.timestamp).toBeLessThan(500);
  }, 15_000);

  it('a timeout says what was awaited: DTMFReceived event timeout after …', async () => {
    const ran = await runScenario(
      twoParty(
        'dtmf timeout',
        [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '1' }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', expectedDigit: '#', timeout: 600, onFailure: [{ id: 'hangup', command: 'Release' }] }],
      ),
      { portBase: ports(21) },
    );
    expect(ran.result.status).toBe('passed');
    expect(ran.node('got').state).toBe('failed');
    expect(ran.node('got').error).toMatch(/^DTMFReceived event timeout after 600ms: waiting for DTMF digit #; on call call-1 \(confirmed\)/);
    expect(nodeLogs(ran, 'got')).toContain('Received DTMF: 1 (waiting for #, continuing)');
    expect(durationOf(ran, 'got')).toBeGreaterThanOrEqual(590);
    expect(durationOf(ran, 'got')).toBeLessThan(1500);
  }, 15_000);

  it('refuses a digit outside 0-9 * # A-D at load: the run does not start', async () => {
    const engine = new Engine({ portBase: ports(22) });
    const events: RunEvent[] = [];
    engine.on((e) => events.push(e));
    const err = await engine
      .run(twoParty('bad digits', [{ command: 'MakeCall', targetUri: 'bob' }, { command: 'SendDTMF', digits: '12x' }, 'Release'], ['INCOMING', 'Answer', 'DISCONNECTED']), { env: {} })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toMatch(/digits/);
    expect(engine.running).toBe(false);
    expect(events.filter((e) => e.type === 'sip' || e.type === 'scenario:started')).toEqual([]);
  });
});

describe('media and hold', () => {
  it('keeps the call RTP port in the hold and retrieve re-INVITEs, and pauses playback while held', async () => {
    const tap = tapMedia();
    const ran = await runScenario(
      twoParty(
        'hold',
        [{ command: 'MakeCall', targetUri: 'bob' }, { id: 'hold', command: 'Hold' }, { event: 'TIMEOUT', timeout: 600 }, { id: 'retrieve', command: 'Retrieve' }, 'DISCONNECTED'],
        ['INCOMING', 'Answer', 'HELD', { id: 'play', command: 'PlayAudio', filePath: TONE_8K }, { event: 'TIMEOUT', timeout: 200 }, 'Release'],
      ),
      { portBase: ports(23) },
      { baseDir: AUDIO },
    );
    expect(ran.failure).toBeUndefined();
    const invites = invitesSent(ran, 'alice');
    expect(invites.map((e) => audioDirection(e.raw))).toEqual(['sendrecv', 'sendonly', 'sendrecv']);
    const alicePort = audioPort(invites[0]!.raw);
    expect(invites.map((e) => audioPort(e.raw))).toEqual([alicePort, alicePort, alicePort]);
    const oks = inviteOksSent(ran, 'bob');
    expect(oks.map((e) => audioDirection(e.raw))).toEqual(['sendrecv', 'recvonly', 'sendrecv']);
    const bobPort = audioPort(oks[0]!.raw);
    expect(oks.map((e) => audioPort(e.raw))).toEqual([bobPort, bobPort, bobPort]);
    expect(alicePort).not.toBe(bobPort);
    // One media session per call side, no new one for the re-INVITEs.
    expect(tap.sessions.map((s) => s.session.local.port).sort()).toEqual([alicePort, bobPort].sort());
    // Bob started playing while held: the playback waited for the retrieve, and all of it arrived.
    expect(nodeLogs(ran, 'play')).toContain('Playback completed (50 packets, 1000 ms)');
    expect(stateAt(ran, 'play', 'running')).toBeLessThan(stateAt(ran, 'retrieve', 'running'));
    expect(durationOf(ran, 'play')).toBeGreaterThanOrEqual(1300);
    expect(durationOf(ran, 'play')).toBeLessThan(3500);
    const heard = toneIn(await tap.received(alicePort));
    expect(heard.ms).toBeGreaterThanOrEqual(960);
    expect(heard.ms).toBeLessThanOrEqual(1040);
  }, 15_000);
});

describe('DTMF and hold', () => {
  it('digits sent while held wait for the retrieve, then arrive', async () => {
    const ran = await runScenario(
      twoParty(
        'dtmf while held',
        [
          { command: 'MakeCall', targetUri: 'bob' },
          'Hold',
          { event: 'TIMEOUT', timeout: 500 },
          { id: 'retrieve', command: 'Retrieve' },
          { id: 'got', event: 'DTMFReceived', expectedDigits: '58' },
          'Release',
        ],
        ['INCOMING', 'Answer', 'HELD', { id: 'send', command: 'SendDTMF', digits: '58', intervalMs: 50 }, 'DISCONNECTED'],
      ),
      { portBase: ports(28) },
    );
    expect(ran.failure).toBeUndefined();
    const arrived = digitsArrived(ran, 'alice');
    expect(arrived.map((d) => d.digit)).toEqual(['5', '8']);
    expect(arrived[0]!.at).toBeGreaterThanOrEqual(stateAt(ran, 'retrieve', 'running'));
    expect(stateAt(ran, 'send', 'running')).toBeLessThan(stateAt(ran, 'retrieve', 'running'));
    expect(nodeLogs(ran, 'send')).toContain('DTMF transmission completed (2 digits)');
  }, 15_000);

  it('a digit that could not be sent (held until the call ended) fails SendDTMF', async () => {
    const ran = await runScenario(
      twoParty(
        'dtmf held until the end',
        [{ command: 'MakeCall', targetUri: 'bob' }, 'Hold', { event: 'TIMEOUT', timeout: 500 }, 'Release'],
        ['INCOMING', 'Answer', 'HELD', { id: 'send', command: 'SendDTMF', digits: '5', onFailure: [{ id: 'bob-gone', event: 'DISCONNECTED' }] }],
      ),
      { portBase: ports(29) },
    );
    expect(digitsArrived(ran, 'alice')).toEqual([]);
    expect(nodeLogs(ran, 'send')).not.toContain('DTMF transmission completed (1 digits)');
    expect(ran.node('send').state).toBe('failed');
    expect(ran.node('send').error).toMatch(/ended.*remote-bye/);
  }, 15_000);
});

describe('one media session per call', () => {
  it('gives two calls on one instance their own RTP ports, and each call its own digits', async () => {
    const tap = tapMedia();
    const ran = await runScenario(
      {
        name: 'two calls',
        instances: {
          alice: {
            chains: [
              [{ command: 'MakeCall', targetUri: 'bob', callId: 'first' }, { command: 'SendDTMF', digits: '1', callId: 'first' }, { event: 'DISCONNECTED', callId: 'first' }],
              [{ command: 'MakeCall', targetUri: 'carol', callId: 'second' }, { command: 'SendDTMF', digits: '2', callId: 'second' }, { event: 'DISCONNECTED', callId: 'second' }],
            ],
          },
          bob: { steps: ['INCOMING', 'Answer', { id: 'bob-got', event: 'DTMFReceived' }, 'Release'] },
          carol: { steps: ['INCOMING', 'Answer', { id: 'carol-got', event: 'DTMFReceived' }, 'Release'] },
        },
      },
      { portBase: ports(24) },
    );
    expect(ran.failure).toBeUndefined();
    const invites = invitesSent(ran, 'alice');
    expect(invites).toHaveLength(2);
    const [p1, p2] = invites.map((e) => audioPort(e.raw));
    expect(p1).not.toBe(p2);
    const answers = [...inviteOksSent(ran, 'bob'), ...inviteOksSent(ran, 'carol')].map((e) => audioPort(e.raw));
    expect(new Set([p1, p2, ...answers]).size).toBe(4);
    expect(tap.sessions).toHaveLength(4);
    expect(nodeLogs(ran, 'bob-got')).toEqual(['Received DTMF: 1']);
    expect(nodeLogs(ran, 'carol-got')).toEqual(['Received DTMF: 2']);
  }, 15_000);
});

describe('media: false', () => {
  it('still offers SDP (port 9) but opens no RTP; the media steps fail saying media is off', async () => {
    const open = vi.spyOn(MediaSession, 'open');
    const ran = await runScenario(
      twoParty(
        'no media',
        [
          { command: 'MakeCall', targetUri: 'bob' },
          { id: 'play', command: 'PlayAudio', filePath: TONE_8K, onFailure: 'send' },
          { id: 'send', command: 'SendDTMF', digits: '1', onFailure: 'wait' },
          { id: 'wait', event: 'TIMEOUT', timeout: 300 },
          'Release',
        ],
        ['INCOMING', 'Answer', { id: 'got', event: 'DTMFReceived', timeout: 5000, onFailure: 'bob-gone' }, { id: 'bob-gone', event: 'DISCONNECTED' }],
      ),
      { portBase: ports(25), media: false },
      { baseDir: AUDIO },
    );
    expect(ran.result.status).toBe('passed');
    expect(open).not.toHaveBeenCalled();
    expect(audioPort(invitesSent(ran, 'alice')[0]!.raw)).toBe(9);
    expect(audioPort(inviteOksSent(ran, 'bob')[0]!.raw)).toBe(9);
    expect(ran.node('play')).toMatchObject({ state: 'failed', error: 'PlayAudio: media is off in this run' });
    expect(ran.node('send')).toMatchObject({ state: 'failed', error: 'SendDTMF: media is off in this run' });
    expect(ran.node('got')).toMatchObject({ state: 'failed', error: 'DTMFReceived: media is off in this run' });
    expect(durationOf(ran, 'got')).toBeLessThan(250);
    expect(ran.node('bob-gone').state).toBe('completed');
  }, 15_000);
});
