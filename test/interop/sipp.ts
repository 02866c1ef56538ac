// What the SIPp interop tests (test/interop/sipp-*.test.ts) share: finding sipp on PATH (the tests
// are skipped, with a warning, without it), running it with a kill timer and collecting its output,
// a temp directory for its scenario and logs, free UDP ports, waiting for SIPp to listen, reading
// its statistics and log files, and the parts of its command line and of a failure description
// that every test uses. Not a test file (vitest.config.ts includes test/**/*.test.ts only).
//
// SIPFLOW_KEEP_SIPP_LOGS=1 keeps each test's SIPp directory (scenario, statistics, logs) and says
// where it is.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UserAgentEvent } from '../../src/sip/dialog/index.js';
import type { Transport } from '../../src/sip/transport/transport.js';
import { UdpTransport } from '../../src/sip/transport/udp.js';
import { type TransportTaps, tapTransport } from '../sip/transport/tap.js';

// ---- finding SIPp ----------------------------------------------------------------------------

/** The first executable `sipp` in a directory of PATH, or undefined. */
function findSipp(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'sipp');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The sipp executable found on PATH, or undefined when there is none. */
const SIPP: string | undefined = findSipp();

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Whether sipp is missing, for `describe.skipIf`; when it is, warns that the tests of the calling
 * file (pass `import.meta.url`) are skipped and how to install SIPp. Call it once, at the top level
 * of the test file, so the warning shows in vitest's output even though every test is skipped.
 */
export function sippMissing(testFile: string): boolean {
  if (SIPP !== undefined) return false;
  const file = relative(REPO, fileURLToPath(testFile));
  console.warn(`sipp not found: skipping the SIPp interop tests (${file}). Install SIPp (Debian/Ubuntu: apt-get install sip-tester) to run them.`);
  return true;
}

// ---- running SIPp ----------------------------------------------------------------------------

/** How a SIPp run ended: its arguments, exit code or signal, the tail of its output, and how long it took. */
export interface SippRun {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last 200,000 characters of stdout (SIPp redraws its screen; the tail holds the final statistics). */
  stdout: string;
  /** The last 50,000 characters of stderr. */
  stderr: string;
  ms: number;
}

/** Every SIPp started by {@link startSipp} that has not exited yet. */
const running = new Set<ChildProcess>();

/**
 * Kills (SIGKILL) every SIPp that is still running: pass it to `afterEach`, so that a test that
 * failed or timed out leaves no SIPp behind.
 */
export function killLeftoverSipp(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * Starts sipp with `args` in `cwd` (where its log files go). The promise resolves when it exits,
 * with whatever exit code; it rejects if sipp cannot be started, or if it runs longer than
 * `killAfter` ms, in which case it is killed (SIGKILL) first. It may be awaited later (e.g. after
 * the test has placed its calls): a rejection before then is not reported as unhandled. Throws
 * when there is no sipp on PATH.
 */
export function startSipp(args: string[], cwd: string, killAfter: number): Promise<SippRun> {
  if (SIPP === undefined) throw new Error('sipp not found on PATH (the tests should have been skipped: see sippMissing)');
  const started = performance.now();
  const child = spawn(SIPP, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString('latin1')).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('latin1')).slice(-50_000)));
  const done = new Promise<SippRun>((resolve, reject) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfter);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (killed) reject(new Error(`sipp ran longer than ${killAfter} ms and was killed\nstderr: ${stderr}\nstdout tail: ${stdout.slice(-3000)}`));
      else resolve({ args, code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
  done.catch(() => undefined); // awaited by the test; never an unhandled rejection
  return done;
}

/**
 * The options every test here gives SIPp: UDP on 127.0.0.1 at `port` (-t u1 -i -p), `calls`
 * calls (-m), no keyboard (-nostdin), `timeoutS` seconds after which SIPp stops and exits with an
 * error (-timeout -timeout_error), its statistics CSV in `statsFile` every second (-trace_stat
 * -stf -fd 1) and, when `lost` > 0, that percentage of packets dropped both ways (-lost).
 * A test adds its scenario (-sf, -sn), the remote address and whatever else it needs.
 */
export function sippArgs(o: { port: number; calls: number; timeoutS: number; statsFile: string; lost?: number }): string[] {
  return [
    '-t', 'u1', '-i', '127.0.0.1', '-p', String(o.port), '-m', String(o.calls), '-nostdin',
    '-timeout', `${o.timeoutS}s`, '-timeout_error',
    '-trace_stat', '-stf', o.statsFile, '-fd', '1',
    ...(o.lost !== undefined && o.lost > 0 ? ['-lost', String(o.lost)] : []),
  ];
}

/**
 * A failure description for `expect(…, why)`: the command line, how SIPp ended, its stderr, the
 * test's own `details` (one line each), and the last `stdoutTail` characters of SIPp's screen.
 */
export function describeRun(run: SippRun, details: string[], stdoutTail = 2500): string {
  return [
    `sipp ${run.args.join(' ')}`,
    `exit ${run.code} ${run.signal ?? ''} after ${Math.round(run.ms)} ms`,
    `stderr: ${run.stderr}`,
    ...details,
    `stdout tail: ${run.stdout.slice(-stdoutTail)}`,
  ].join('\n');
}

/** The 'error' events among a UserAgent's `events`, as `where: error` text joined by '; '. */
export function errorText(events: readonly UserAgentEvent[]): string {
  return events.flatMap((e) => (e.type === 'error' ? [`${e.where}: ${String(e.error)}`] : [])).join('; ');
}

// ---- SIPp's files ----------------------------------------------------------------------------

/** Whether SIPp's directories are kept (SIPFLOW_KEEP_SIPP_LOGS set, and not to '' or '0'). */
export const KEEP_SIPP_LOGS = !['', '0', undefined].includes(process.env.SIPFLOW_KEEP_SIPP_LOGS);

/** Makes a fresh temp directory for SIPp's scenario and files: `prefix` and a random suffix, in the OS temp dir. */
export function makeSippDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a directory made by {@link makeSippDir}, or, with {@link KEEP_SIPP_LOGS}, says where it is. */
export async function removeSippDir(dir: string): Promise<void> {
  if (KEEP_SIPP_LOGS) console.info(`SIPp's files kept in ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}

/** A file's text (latin1), or '' when it does not exist (SIPp writes some only when there is something to say). */
export async function readIfThere(file: string): Promise<string> {
  try {
    return await readFile(file, 'latin1');
  } catch {
    return '';
  }
}

/**
 * The header and last row of a SIPp CSV (-trace_stat's statistics, -trace_counts), as column name
 * → value, both trimmed; an empty map for an empty file. Rejects when the file does not exist.
 */
export async function lastCsvRow(file: string): Promise<Map<string, string>> {
  const lines = (await readFile(file, 'latin1')).split(/\r?\n/).filter((l) => l.trim() !== '');
  const names = lines[0]?.split(';') ?? [];
  const values = lines[lines.length - 1]?.split(';') ?? [];
  return new Map(names.map((name, i) => [name.trim(), (values[i] ?? '').trim()]));
}

/** The cumulative value of a row of SIPp's final statistics screen, e.g. "Successful call". */
export function screenCount(stdout: string, row: string): number | undefined {
  const matches = [...stdout.matchAll(new RegExp(`${row}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`, 'g'))];
  const last = matches[matches.length - 1];
  return last === undefined ? undefined : Number(last[1]);
}

// ---- sockets and waiting ---------------------------------------------------------------------

/** A UDP port on 127.0.0.1 nobody is using right now (SIPp binds it a moment later). */
export async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A UDP transport bound to 127.0.0.1 (any port), with `taps` seeing what goes through it. */
export async function tappedLoopbackUdp(taps: TransportTaps): Promise<Transport> {
  return tapTransport(await UdpTransport.bind({ host: '127.0.0.1', port: 0 }), taps);
}

/** Whether something listens on UDP 127.0.0.1:`port` (Linux /proc/net/udp; undefined elsewhere). */
async function udpBound(port: number): Promise<boolean | undefined> {
  try {
    const table = await readFile('/proc/net/udp', 'latin1');
    return table.includes(`0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} `);
  } catch {
    return undefined;
  }
}

/**
 * Waits until SIPp listens on UDP 127.0.0.1:`port` (at most `ms`), so that a first request to it is
 * not lost and re-sent only after T1. Where that cannot be seen (no /proc/net/udp) it waits 1 s.
 */
export async function waitForUdpPort(port: number, ms = 5000): Promise<void> {
  const t0 = performance.now();
  while ((await udpBound(port)) === false && performance.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
  if ((await udpBound(port)) === undefined) await new Promise((r) => setTimeout(r, 1000));
}

/** Polls `cond` every 20 ms until it holds or `ms` have passed; resolves with the ms waited. */
export async function waitUntil(cond: () => boolean, ms: number): Promise<number> {
  const t0 = performance.now();
  while (!cond() && performance.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
  return performance.now() - t0;
}

/**
 * The start line and dialog headers of a request SIPp sends in a call's scenario (CDATA text,
 * indented as the scenarios are): `uri` `[next_url]` makes it an in-dialog request, which then
 * carries our To tag ([peer_tag_param]); [routes] is empty when we add no Record-Route. `cseq` is a
 * number or SIPp's `[cseq]` keyword. Ends after Max-Forwards, without a line break.
 */
export function sippRequestHead(method: string, uri: string, cseq: number | string): string {
  return `
      ${method} ${uri} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "sipp" <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>${uri === '[next_url]' ? '[peer_tag_param]' : ''}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Max-Forwards: 70`;
}

/** What {@link sippInvite} varies; every field is optional. */
export interface SippInviteOptions {
  /** Attributes of the `<send>` after `retrans="500"`, e.g. `start_txn="invite"`; none by default. */
  attributes?: string;
  /**
   * The start line and the headers before Content-Type, as CDATA text indented as the scenarios
   * are, each line after a line break (as {@link sippRequestHead} returns them). By default
   * `sippRequestHead('INVITE', 'sip:[service]@[remote_ip]:[remote_port]', 1)` and
   * `Contact: <sip:sipp@[local_ip]:[local_port]>`.
   */
  head?: string;
  /** The o= line's username, session id and version (default `sipp 42 1`). */
  origin?: string;
  /** The RTP payload type of the audio format offered (default 0). */
  payloadType?: number;
  /** That format's encoding name, at 8000 Hz (default `PCMU`). */
  codec?: string;
  /** When given, telephone-events (0-15) are offered too, with this payload type. */
  telephoneEvent?: number;
}

/**
 * SIPp's INVITE with an SDP offer, as the `<send retrans="500">` element of a scenario (indented
 * as the scenarios are, ending with a line break): the head (see {@link SippInviteOptions.head}),
 * `Content-Type: application/sdp`, `Content-Length: [len]` and an offer of one audio stream at
 * [media_ip]:[media_port] from [local_ip], in SIPp's keywords, which SIPp fills in per call.
 */
export function sippInvite(o: SippInviteOptions = {}): string {
  const head = o.head ?? `${sippRequestHead('INVITE', 'sip:[service]@[remote_ip]:[remote_port]', 1)}
      Contact: <sip:sipp@[local_ip]:[local_port]>`;
  const pt = o.payloadType ?? 0;
  const te = o.telephoneEvent;
  const formats = te === undefined ? `${pt}` : `${pt} ${te}`;
  const events = te === undefined ? '' : `
      a=rtpmap:${te} telephone-event/8000
      a=fmtp:${te} 0-15`;
  return `  <send retrans="500"${o.attributes === undefined ? '' : ` ${o.attributes}`}>
    <![CDATA[
${head}
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=${o.origin ?? 'sipp 42 1'} IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP ${formats}
      a=rtpmap:${pt} ${o.codec ?? 'PCMU'}/8000${events}

    ]]>
  </send>
`;
}
