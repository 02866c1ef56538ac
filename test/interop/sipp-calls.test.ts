// Interop with SIPp (calls): full INVITE/180/200/ACK … BYE/200 calls between our UserAgent and
// SIPp's built-in scenarios over real UDP sockets on 127.0.0.1, with and without packet loss
// (SIPp's -lost 10 drops 10% of what SIPp sends and of what it receives).
//   1. SIPp's `uac` places 200 calls to a UserAgent that rings, answers and waits for the BYE:
//      SIPp counts 200 successful calls, 0 failed; every dialog ends with SIPp's BYE.
//   2. A UserAgent places 200 calls (20 at a time) to SIPp's `uas`: every ua.invite() resolves and
//      every bye() gets a 2xx; SIPp counts 200 successful calls, 0 failed.
// In every run our UA emits no error event and closes cleanly. SIPp 3.6's built-in scenarios
// cannot cope with some correct retransmissions of ours under loss; each case is explained,
// and proven from SIPp's own logs, where it is handled (sippCallsUs, weCallSipp). Without sipp on
// PATH the tests are skipped, with a warning. SIPFLOW_KEEP_SIPP_LOGS=1 keeps SIPp's files.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sdpOfferAnswer } from '../../src/sdp/index.js';
import { DialogEndedError } from '../../src/sip/dialog/errors.js';
import { UserAgent, type UserAgentEvent } from '../../src/sip/dialog/user-agent.js';
import { describeRun as describeSippRun, errorText, freePort, killLeftoverSipp, lastCsvRow, makeSippDir, removeSippDir, screenCount, sippArgs, sippMissing, type SippRun, startSipp, waitForUdpPort } from './sipp.js';

const CALLS = 200;
/** How many of our own calls are in progress at once (test 2). */
const CONCURRENCY = 20;
/** SIPp's -timeout (it then fails, -timeout_error); the child is killed outright a little later. */
const SIPP_TIMEOUT_S = 45;
const SIPP_KILL_MS = (SIPP_TIMEOUT_S + 5) * 1000;
const TEST_TIMEOUT_MS = SIPP_KILL_MS + 8000;

const NO_SIPP = sippMissing(import.meta.url);
afterEach(killLeftoverSipp);

/** A message in SIPp's -trace_msg log (`first`: a request's method, a response's status code). Those -lost dropped on sending are logged without text. */
interface SippMessage { sent: boolean; first: string; cseq: string; callId: string }

/**
 * What SIPp saw: -trace_stat (its own retransmissions, messages for calls already over),
 * -trace_counts (per scenario message; `…_Retrans` on a recv line counts the retransmissions of
 * ours it recognised as such), -trace_err (unexpected messages) and -trace_msg.
 */
interface SippFigures {
  stats: Map<string, string>;
  sippRetrans: number;
  peerRetrans: number;
  deadCallMsgs: number;
  /** The -trace_err log, one entry per event. */
  errors: string[];
  messages: SippMessage[];
}

async function sippFigures(dir: string, statsFile: string): Promise<SippFigures> {
  const stats = await lastCsvRow(statsFile);
  const files = await readdir(dir);
  const read = async (suffix: string): Promise<string> => {
    const file = files.find((f) => f.endsWith(suffix));
    return file === undefined ? '' : readFile(join(dir, file), 'latin1');
  };
  const countsFile = files.find((f) => f.endsWith('_counts.csv'));
  const counts = countsFile === undefined ? new Map<string, string>() : await lastCsvRow(join(dir, countsFile));
  // Columns are `<index>_<message>_<counter>`; a recv line has a `_Recv` counter.
  const recvLines = new Set([...counts.keys()].filter((k) => k.endsWith('_Recv')).map((k) => k.split('_')[0]));
  let peerRetrans = 0;
  for (const [name, value] of counts) if (name.endsWith('_Retrans') && recvLines.has(name.split('_')[0])) peerRetrans += Number(value);
  const errors = (await read('_errors.log')).split(/^\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: /m).slice(1);
  const messages: SippMessage[] = [];
  for (const block of (await read('_messages.log')).split(/-{20,} \d{4}-\d\d-\d\d [\d:.]+\r?\n/)) {
    const m = /^UDP message (sent|received)[^:]*:\s*(?:SIP\/2\.0 (\d+)|([A-Z]+)) /.exec(block);
    const cseq = /^CSeq: *\d+ +(\w+)/m.exec(block)?.[1];
    const callId = /^Call-ID: *(\S+)/m.exec(block)?.[1];
    if (m !== null && cseq !== undefined && callId !== undefined) messages.push({ sent: m[1] === 'sent', first: m[2] ?? m[3]!, cseq, callId });
  }
  return { stats, sippRetrans: Number(stats.get('Retransmissions(C)')), peerRetrans, deadCallMsgs: Number(stats.get('DeadCallMsgs(C)')), errors, messages };
}

/** The SIPp error-log entries that do not match any of `benign` (each: [pattern, Call-ID group must be one of ours]). */
function unexplained(errors: string[], benign: RegExp[], ours: Set<string>): string[] {
  return errors.filter((e) => !benign.some((re) => {
    const m = re.exec(e);
    return m !== null && ours.has(m[1]!);
  }));
}

/**
 * Runs `body` with a fresh temp dir and a UserAgent on 127.0.0.1 (`t1`: our T1, default 500 ms);
 * afterwards closes the UA (if the body did not) and removes the dir.
 */
async function withUa(t1: number | undefined, body: (dir: string, ua: UserAgent, errors: UserAgentEvent[]) => Promise<void>): Promise<void> {
  const dir = await makeSippDir('sipflow-sipp-calls-');
  const ua = new UserAgent({
    bind: { host: '127.0.0.1', port: 0 },
    identity: { user: 'sipflow' },
    ...(t1 !== undefined ? { timers: { t1 } } : {}),
    offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port: 40000 }),
  });
  const errors: UserAgentEvent[] = [];
  ua.on('event', (e) => void (e.type === 'error' && errors.push(e)));
  try {
    await ua.ready;
    await body(dir, ua, errors);
  } finally {
    await ua.close().catch(() => undefined); // idempotent: the body's own close() is the one awaited
    await removeSippDir(dir);
  }
}

/** The SIPp options both directions share; `lost` is SIPp's -lost percentage (0: none). */
function commonArgs(sippPort: number, mediaPort: number, statsFile: string, lost: number): string[] {
  return [
    ...sippArgs({ port: sippPort, calls: CALLS, timeoutS: SIPP_TIMEOUT_S, statsFile, lost }),
    '-mp', String(mediaPort), '-trace_counts', '-trace_err', '-trace_msg',
  ];
}

function describeRun(run: SippRun, figures: SippFigures | undefined, extra: string): string {
  return describeSippRun(run, [`errors log (${figures?.errors.length ?? '?'} entries): ${figures?.errors.slice(0, 3).join('') ?? ''}`, extra]);
}

/** SIPp's verdict: exit 0 (every call succeeded) and, in its statistics, 200 of 200 calls. */
function expectSippSuccess(run: SippRun, figures: SippFigures | undefined, why: string): asserts figures is SippFigures {
  expect(run.code, why).toBe(0);
  expect(figures, why).toBeDefined();
  expect([figures!.stats.get('SuccessfulCall(C)'), figures!.stats.get('FailedCall(C)')], why).toEqual([String(CALLS), '0']);
  expect([screenCount(run.stdout, 'Successful call'), screenCount(run.stdout, 'Failed call')], why).toEqual([CALLS, 0]);
}

/**
 * Test 1: SIPp's built-in uac calls a UserAgent that rings, answers and waits for SIPp's BYE. Our
 * timers are the RFC 3261 defaults (T1 = 500 ms).
 *
 * SIPp 3.6's uac sends its BYE right after its ACK, and its `<recv response="200">` for the BYE
 * takes any 200 whose CSeq method it has sent before (its scenario keeps one cumulative
 * "INVITEACKBYE" method list), a retransmitted 200 to the INVITE too, without re-sending the ACK.
 * So when -lost drops both its ACK and its BYE, our retransmission of the 200 (RFC 3261
 * §13.3.1.4) ends the call for SIPp: it counts it successful and stops re-sending the BYE, and
 * nothing of that call reaches us again (SIPp logs our next 200s as "Dead call"). The test proves
 * such a call is exactly that (SIPp's -trace_msg shows no ACK or BYE of it on the wire) and lets
 * close() end it; every other call must end with SIPp's BYE.
 */
function sippCallsUs(lost: number): Promise<void> {
  return withUa(undefined, async (dir, ua, errors) => {
    const callIds = new Map<string, number>();
    /** Calls whose dialog has not ended yet, and how the others ended. */
    const open = new Set<string>();
    const ended = new Map<string, number>();
    const problems: string[] = [];
    let acked = 0;
    const endedBy = (id: string, reason: string): void => {
      open.delete(id);
      ended.set(reason, (ended.get(reason) ?? 0) + 1);
    };
    ua.on('invite', (call) => {
      const id = call.callId ?? '(none)';
      callIds.set(id, (callIds.get(id) ?? 0) + 1);
      open.add(id);
      call.ringing();
      call.answer().then(
        (session) => {
          acked++;
          const onEnd = (): void => endedBy(id, (session.signal.reason as DialogEndedError).reason);
          if (session.signal.aborted) onEnd();
          else session.signal.addEventListener('abort', onEnd, { once: true });
        },
        // Under loss SIPp's ACK may be dropped and its BYE arrive first: the answer then rejects
        // with remote-bye (we answer the BYE and stop re-sending the 200).
        (err: unknown) => {
          if (err instanceof DialogEndedError) endedBy(id, err.reason);
          else problems.push(`answer failed for ${id}: ${String(err)}`);
        },
      );
    });

    const statsFile = join(dir, 'stats.csv');
    const args = [`127.0.0.1:${ua.local.port}`, '-sn', 'uac', '-s', 'sipflow', '-r', '50', '-l', '50', ...commonArgs(await freePort(), await freePort(), statsFile, lost)];
    const run = await startSipp(args, dir, SIPP_KILL_MS);
    const figures = await sippFigures(dir, statsFile).catch(() => undefined);
    const reachedUs = new Set(figures?.messages.filter((m) => m.sent && (m.first === 'ACK' || m.first === 'BYE')).map((m) => m.callId));
    const abandoned = [...open];
    const ours = `our side: ${callIds.size} Call-IDs, ${acked} ACKed, ended ${JSON.stringify([...ended])}, still open ${abandoned.join(', ')}; problems ${problems.join('; ')}; errors ${errorText(errors)}`;
    const why = describeRun(run, figures, ours);

    expectSippSuccess(run, figures, why);
    // All SIPp noted besides: 200s of ours reaching calls it had already ended (retransmissions).
    expect(unexplained(figures.errors, [/^Dead call (\S+) \(successful\), received 'SIP\/2\.0 200 OK/], new Set(callIds.keys())), why).toEqual([]);

    // SIPp's message log was read (the check below relies on it).
    expect(figures.messages.filter((m) => m.sent && m.first === 'INVITE').length, why).toBeGreaterThanOrEqual(CALLS);

    // Our side: each call reached the application once; each dialog ended with SIPp's BYE, except
    // calls SIPp gave up without any ACK or BYE reaching us (above), only possible under loss.
    expect(callIds.size, why).toBe(CALLS);
    expect([...callIds].filter(([, n]) => n !== 1), why).toEqual([]);
    expect(problems, why).toEqual([]);
    expect(abandoned.filter((id) => reachedUs.has(id)), why).toEqual([]);
    if (lost === 0) expect([abandoned.length, acked], why).toEqual([0, CALLS]);
    expect([...ended], why).toEqual([['remote-bye', CALLS - abandoned.length]]);
    expect(ua.activeSessions, why).toEqual([]);
    expect(errors, why).toEqual([]);
    // close() hangs up what is left (BYE 'closed'; SIPp has gone, so it waits closeTimeout).
    await ua.close();
    expect([open.size, ended.get('closed') ?? 0], why).toEqual([0, abandoned.length]);
    expect(errors, why).toEqual([]);
    console.info(
      `sipp uac -> UserAgent, -lost ${lost}: ${CALLS} calls in ${Math.round(run.ms)} ms; SIPp retransmitted ${figures.sippRetrans}, ` +
        `recognised ${figures.peerRetrans} retransmissions of ours and got ${figures.deadCallMsgs} after ending the call; ` +
        `${acked} ACKed, ${CALLS - acked - abandoned.length} BYE before ACK, ${abandoned.length} ended by SIPp without ACK or BYE`,
    );
  });
}

/**
 * Test 2: a UserAgent calls SIPp's built-in uas (180, then 200 with SDP; it waits for our BYE).
 *
 * SIPp 3.6 recognises a retransmitted request only if it answered it with one message, and
 * forgets a call 4 s after answering its BYE (`<timewait milliseconds="4000"/>`). Hence:
 * - With its 180 and 200 both dropped, our Timer A re-sends the INVITE (RFC 3261 §17.1.1.2); SIPp,
 *   which answered it with two, takes the copy for an unexpected message and by default aborts the
 *   call. So with an ACK we re-send (§13.2.2.4) for a 200 retransmission that crossed our BYE, if
 *   it reaches SIPp in its timewait. `-default_behaviors all,-abortunexp` makes SIPp carry on; the
 *   test checks that all SIPp logged are such copies of ours.
 * - Our BYE is re-sent until answered (Timer E, up to Timer F = 64·T1), SIPp's 200 only when our
 *   BYE comes again within those 4 s. With the default T1 (500 ms) that is 4 tries, and ~0.1% of
 *   calls would lose all four: we use T1 = 100 ms (RFC 3261 §17.1.1.1 allows a smaller T1 on a
 *   closed network; this is the loopback), 6 tries. A BYE that still gets no answer (synthetic
 *   408) is accepted only under loss, and only if SIPp's -trace_msg shows it received our BYE
 *   and its retransmission yet put no 200 for it on the wire.
 */
function weCallSipp(lost: number): Promise<void> {
  return withUa(100, async (dir, ua, errors) => {
    const statsFile = join(dir, 'stats.csv');
    const sippPort = await freePort();
    const args = ['-sn', 'uas', '-default_behaviors', 'all,-abortunexp', ...commonArgs(sippPort, await freePort(), statsFile, lost)];
    const sipp = startSipp(args, dir, SIPP_KILL_MS);
    // Do not call before SIPp listens (the INVITE would be lost and the first call delayed by T1).
    await waitForUdpPort(sippPort);

    const offer = sdpOfferAnswer({ address: '127.0.0.1', port: 40000 }).createOffer(undefined);
    const problems: string[] = [];
    const callIds = new Set<string>();
    const byeTimeouts: string[] = [];
    let answered = 0;
    let byeOk = 0;
    let ringing = 0;
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < CALLS) {
        const n = next++;
        try {
          const session = await ua.invite(`sip:service@127.0.0.1:${sippPort}`, { sdp: offer, onProgress: (r) => void (r.status === 180 && ringing++) });
          answered++;
          callIds.add(session.callId);
          if (session.remoteSdp === undefined) problems.push(`call ${n}: no SDP in SIPp's 200`);
          const res = await session.bye();
          if (res !== undefined && res.status >= 200 && res.status < 300) byeOk++;
          else if (res?.status === 408 && lost > 0) byeTimeouts.push(session.callId);
          else problems.push(`call ${n}: BYE answered ${res?.status} ${res?.reason}`);
          if ((session.signal.reason as DialogEndedError | undefined)?.reason !== 'local-bye') problems.push(`call ${n}: ended ${String(session.signal.reason)}`);
        } catch (err) {
          problems.push(`call ${n}: ${String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const callsMs = performance.now() - started;
    // SIPp exits once its 200 calls are over (each keeps a 4 s timewait after the BYE's 200).
    const run = await sipp;
    const figures = await sippFigures(dir, statsFile).catch(() => undefined);
    const why = describeRun(run, figures, `our side: ${answered} answered, ${byeOk} BYE 2xx, BYE 408 ${byeTimeouts.join(', ')}, ${ringing} 180s; problems ${problems.slice(0, 20).join('; ')}; errors ${errorText(errors)}`);

    expect(problems, why).toEqual([]);
    expect(answered, why).toBe(CALLS);
    expect(byeOk + byeTimeouts.length, why).toBe(CALLS);
    expect(ua.activeSessions, why).toEqual([]);
    expect(errors, why).toEqual([]);
    expectSippSuccess(run, figures, why);
    // What SIPp logged besides: copies of our INVITE, ACK or BYE (see above), nothing else.
    const benign = [
      /^Continuing call on unexpected message for Call-Id '([^']+)': while expecting 'ACK' \(index \d+\), received 'INVITE /,
      /^Continuing call on unexpected message for Call-Id '([^']+)': while pausing \(index \d+\), received 'ACK /,
      /^Dead call (\S+) \(successful\), received '(?:ACK|BYE) /,
    ];
    expect(unexplained(figures.errors, benign, callIds), why).toEqual([]);
    if (lost === 0) expect(figures.errors, why).toEqual([]);
    expect(figures.messages.filter((m) => !m.sent && m.first === 'BYE').length, why).toBeGreaterThanOrEqual(CALLS);
    // A BYE without answer: SIPp got it more than once (we did retransmit) and sent no 200 for it.
    const msgs = (id: string, sent: boolean, first: string): number => figures.messages.filter((m) => m.callId === id && m.sent === sent && m.first === first && m.cseq === 'BYE').length;
    expect(byeTimeouts.filter((id) => msgs(id, false, 'BYE') < 2 || msgs(id, true, '200') > 0), why).toEqual([]);
    await ua.close();
    expect(errors, why).toEqual([]);
    console.info(
      `UserAgent (T1 100 ms) -> sipp uas, -lost ${lost}: ${CALLS} calls (${CONCURRENCY} at a time) in ${Math.round(callsMs)} ms, SIPp done after ${Math.round(run.ms)} ms; ` +
        `SIPp retransmitted ${figures.sippRetrans}, recognised ${figures.peerRetrans} retransmissions of ours and logged ${figures.errors.length} others; ` +
        `${ringing} 180s reached us; ${byeTimeouts.length} BYE unanswered (SIPp's 200s all dropped)`,
    );
  });
}

describe.skipIf(NO_SIPP)('SIPp interop: calls with a UserAgent (UDP, 127.0.0.1)', () => {
  for (const lost of [0, 10]) {
    const loss = lost > 0 ? `with -lost ${lost}` : 'without loss';
    it(`SIPp's uac places ${CALLS} calls (50/s, 50 at once) to a UserAgent ${loss}: all succeed`, () => sippCallsUs(lost), TEST_TIMEOUT_MS);
    it(`a UserAgent places ${CALLS} calls (${CONCURRENCY} at a time) to SIPp's uas ${loss}: all succeed`, () => weCallSipp(lost), TEST_TIMEOUT_MS);
  }
});
