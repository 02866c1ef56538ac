// Interop with SIPp: REFER (RFC 3515) into an established call, our UserAgent as the transferee.
// SIPp (the transferor, a scenario this test writes) calls our UA on 127.0.0.1 over UDP, which
// rings and answers; ACK; SIPp sends REFER in the dialog with Refer-To naming a second UserAgent
// of the test (the transfer target). Our UA accepts: SIPp must get the 202 and then, in order,
// NOTIFYs with `Event: refer;id=2`, `Content-Type: message/sipfrag` and the bodies
// `SIP/2.0 100 Trying`, `SIP/2.0 180 Ringing` and the final status (`Subscription-State:
// active` on the first two, `terminated` on the last); SIPp checks each with ereg, so a call fails
// inside SIPp otherwise. SIPp answers each NOTIFY 200, then hangs up (BYE → 200). On our side the
// target gets an INVITE carrying the Referred-By SIPp sent (or SIPp's From URI when it sent none,
// RFC 3892), our new call to it is confirmed (target answers) or rejected 486 (target busy), no
// UA reports an internal error, and everything closes cleanly. Proven repeatable (5 calls per
// run), with SIPp dropping 10% of packets both ways (-lost 10), and with a control run showing
// that SIPp's sipfrag check does fail a call whose transfer outcome differs from the expected one.
// Without sipp on PATH it is skipped, with a warning.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sdpOfferAnswer } from '../../src/sdp/index.js';
import { type DialogSession, type IncomingRefer, RequestFailedError, UserAgent, type UserAgentEvent } from '../../src/sip/dialog/index.js';
import type { SipRequest } from '../../src/sip/parser/index.js';
import type { TimerSettings } from '../../src/sip/transaction/timers.js';
import type { Transport } from '../../src/sip/transport/transport.js';
import { describeRun, freePort, KEEP_SIPP_LOGS, killLeftoverSipp, lastCsvRow, makeSippDir, readIfThere, removeSippDir, sippArgs, sippMissing, sippRequestHead, type SippRun, startSipp, tappedLoopbackUdp, waitUntil } from './sipp.js';

const CALLS = 5;
/** SIPp's -timeout (it then fails, -timeout_error); the child is killed outright a little later. */
const SIPP_TIMEOUT_S = 45;
const SIPP_KILL_MS = (SIPP_TIMEOUT_S + 10) * 1000;
const TEST_TIMEOUT_MS = SIPP_KILL_MS + 10_000;

const NO_SIPP = sippMissing(import.meta.url);
afterEach(killLeftoverSipp);

// ---- the scenario ------------------------------------------------------------------------------
// SIPp's requests carry fixed CSeqs (INVITE/ACK 1, REFER 2, BYE 3): SIPp raises its [cseq] to the
// CSeq of every request it receives, so with [cseq] the BYE's number would depend on our NOTIFYs'.
// In-dialog requests go to [next_url] (our Contact, learnt from the 200 thanks to rrs="true") with
// our To tag. Each 200 to a NOTIFY copies the NOTIFY's headers ([last_*]); SIPp re-sends it when
// the same NOTIFY comes again (its recv_retrans mechanism), so our retransmissions are answered.

/** `<send>` of `lines` (indented like the rest: SIPp strips the indentation), re-sent every 500 ms doubling when `retrans`. */
const send = (lines: string, retrans = false): string => `
  <send${retrans ? ' retrans="500"' : ''}>
    <![CDATA[
${lines}

    ]]>
  </send>`;

/** A request from SIPp: `[next_url]` and our To tag in the dialog. */
const request = (method: string, uri: string, cseq: number, rest: string): string => `${sippRequestHead(method, uri, cseq)}${rest}
      Content-Length: ${method === 'INVITE' ? '[len]' : '0'}`;

const CONTACT = '\n      Contact: <sip:sipp@[local_ip]:[local_port]>';

const INVITE = `${send(`${request('INVITE', 'sip:[service]@[remote_ip]:[remote_port]', 1, `${CONTACT}\n      Content-Type: application/sdp`)}

      v=0
      o=sipp 42 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 8
      a=rtpmap:0 PCMU/8000`, true)}
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>${send(request('ACK', '[next_url]', 1, ''))}`;

/** The REFER; `referredBy` adds a Referred-By header (without it our UA must use SIPp's From URI). */
const refer = (targetPort: number, referredBy: boolean): string =>
  send(request('REFER', '[next_url]', 2, `${CONTACT}\n      Refer-To: <sip:target@127.0.0.1:${targetPort}>${referredBy ? '\n      Referred-By: <sip:transferor@[local_ip]:[local_port]>' : ''}`), true);

/**
 * One NOTIFY of the refer subscription, checked by SIPp (check_it: the call fails when a regexp
 * does not match), then answered 200. SIPp hands a header's value to the regexp with the blank
 * after the colon, hence the ` *`.
 */
const notify = (n: number, sipfrag: string, final: boolean): string => `
  <recv request="NOTIFY">
    <action>
      <ereg regexp="^ *refer;id=2 *$" search_in="hdr" header="Event:" check_it="true" assign_to="event${n}"/>
      <ereg regexp="^ *${final ? 'terminated' : 'active'}(;| *$)" search_in="hdr" header="Subscription-State:" check_it="true" assign_to="state${n}"/>
      <ereg regexp="^ *message/sipfrag(;| *$)" search_in="hdr" header="Content-Type:" check_it="true" assign_to="type${n}"/>
      <ereg regexp="^${sipfrag.replace('.', '\\.')}[[:space:]]*$" search_in="body" check_it="true" assign_to="frag${n}"/>
    </action>
  </recv>${send(`
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]${CONTACT}
      Content-Length: 0`)}`;

/**
 * The transferor's scenario. `final`: the sipfrag the last NOTIFY must carry; `pause`: ms after
 * the ACK (0: none), so that a lost ACK is repaired before the REFER; `hangUpAfter`: ms between
 * answering the last NOTIFY and the BYE, so that SIPp still answers that NOTIFY if we re-send it
 * (its 200 lost): once SIPp has sent the BYE it takes the re-sent NOTIFY for an unexpected message.
 *
 * The 202 and the first NOTIFY: our UA sends the 202 first, and on loopback it arrives first. Only
 * SIPp's -lost can make SIPp see the NOTIFY first (it drops the 202 on receipt). SIPp cannot answer
 * that NOTIFY then: it sends nothing while its REFER is unanswered and being re-sent. So an
 * optional recv takes such a NOTIFY and leaves it unanswered (counted as `notifyFirst`); SIPp
 * ignores our copies of it as already received, re-sends the REFER, gets our 202 again, and then
 * answers (and checks) our next copy of the NOTIFY like any other. The runs without loss require
 * `notifyFirst` to stay 0. The 180 NOTIFY is not optional: the target always rings, and our
 * NOTIFYs go one at a time (each waits for the previous one's 200), so none overtakes another.
 */
function scenario(opts: { targetPort: number; referredBy: boolean; final: string; pause: number; hangUpAfter: number }): string {
  const frags = ['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', opts.final];
  const vars = frags.flatMap((_, i) => [`event${i}`, `state${i}`, `type${i}`, `frag${i}`]);
  const pause = (ms: number): string => (ms > 0 ? `\n  <pause milliseconds="${ms}"/>` : '');
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="sipflow REFER transferor">${INVITE}${pause(opts.pause)}${refer(opts.targetPort, opts.referredBy)}
  <recv request="NOTIFY" optional="true" counter="notifyFirst"/>
  <recv response="202"/>${frags.map((frag, i) => notify(i, frag, i === frags.length - 1)).join('')}${pause(opts.hangUpAfter)}${send(request('BYE', '[next_url]', 3, ''), true)}
  <recv response="200"/>
  <Reference variables="${vars.join(',')}"/>
</scenario>
`;
}

// ---- our side ------------------------------------------------------------------------------------

/** What the transferee's socket saw: REFERs in, 202s and NOTIFYs out (retransmissions included). */
interface Wire { refersIn: number; accepted202Out: number; notifiesOut: number }

/** A UDP transport on 127.0.0.1 that counts what {@link Wire} lists. */
function countingTransport(wire: Wire): Promise<Transport> {
  return tappedLoopbackUdp({
    received: (m) => void (m.message.isRequest && m.message.method === 'REFER' && wire.refersIn++),
    sent: (data) => {
      const start = Buffer.from(data.subarray(0, 12)).toString('latin1');
      if (start === 'SIP/2.0 202 ') wire.accepted202Out++;
      if (start.startsWith('NOTIFY ')) wire.notifiesOut++;
    },
  });
}

/** Our side: `transferee` answers SIPp's calls and accepts the REFERs; `target` rings, then answers or rejects 486. */
interface Side {
  transferee: UserAgent;
  target: UserAgent;
  /** SIPp's calls (sessions of role uas), the REFERs, how each accept() settled, the target's INVITEs. */
  sippCalls: DialogSession[];
  refers: IncomingRefer[];
  transferred: Array<{ session: DialogSession; state: string } | { error: unknown }>;
  targetInvites: SipRequest[];
  events: Array<{ ua: string; event: UserAgentEvent }>;
  problems: string[];
  wire: Wire;
}

async function startSide(targetAnswers: boolean, timers: Partial<TimerSettings>): Promise<Side> {
  const wire: Wire = { refersIn: 0, accepted202Out: 0, notifiesOut: 0 };
  const transferee = new UserAgent({ transport: await countingTransport(wire), identity: { user: 'transferee' }, offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port: 40000 }), timers, closeTimeout: 500 });
  const target = new UserAgent({ bind: { host: '127.0.0.1', port: 0 }, identity: { user: 'target' }, offerAnswer: sdpOfferAnswer({ address: '127.0.0.1', port: 40002 }), timers, closeTimeout: 500 });
  await Promise.all([transferee.ready, target.ready]);
  const side: Side = { transferee, target, sippCalls: [], refers: [], transferred: [], targetInvites: [], events: [], problems: [], wire };
  transferee.on('event', (event) => void side.events.push({ ua: 'transferee', event }));
  target.on('event', (event) => void side.events.push({ ua: 'target', event }));

  transferee.on('invite', (call) => {
    call.ringing();
    call.answer().catch((err) => side.problems.push(`transferee answer ${call.callId}: ${String(err)}`));
  });
  // 'session' comes when the ACK arrives, before the REFER that follows it (see the -lost test).
  transferee.on('session', (session) => {
    if (session.role !== 'uas') return; // our own call to the target
    side.sippCalls.push(session);
    session.on('refer', (refer) => {
      side.refers.push(refer);
      refer.accept().then(
        (newCall) => side.transferred.push({ session: newCall, state: newCall.state }),
        (error: unknown) => side.transferred.push({ error }),
      );
    });
  });

  target.on('invite', (call) => {
    side.targetInvites.push(call.request);
    call.ringing();
    if (targetAnswers) call.answer().catch((err) => side.problems.push(`target answer ${call.callId}: ${String(err)}`));
    else call.reject(486);
  });
  return side;
}

// ---- running SIPp --------------------------------------------------------------------------------

/** A finished run: SIPp's exit and statistics, our side (closed), our BYEs' answers for the transferred calls, sessions up before close(). */
interface ReferRun { run: SippRun; csv: Map<string, string>; side: Side; sippPort: number; byeStatuses: Array<number | undefined>; stillUp: string[]; why: string }

/**
 * `calls` SIPp transfers into a fresh transferee and target. `answers`: the target answers (else
 * 486); `referredBy`: SIPp sends Referred-By; `final`: the sipfrag SIPp requires last; `lost`:
 * SIPp's -lost percentage; `pause`, `hangUpAfter`: see {@link scenario}; `timers`: our T1/T2.
 */
async function referRun(
  opts: { calls: number; answers: boolean; referredBy: boolean; final: string; lost: number; pause: number; hangUpAfter: number; timers: Partial<TimerSettings> },
  check: (r: ReferRun) => void | Promise<void>,
): Promise<void> {
  const dir = await makeSippDir('sipflow-sipp-refer-');
  let side: Side | undefined;
  try {
    side = await startSide(opts.answers, opts.timers);
    const [file, stats, errors] = ['refer-uac.xml', 'stats.csv', 'errors.log'].map((f) => join(dir, f)) as [string, string, string];
    await writeFile(file, scenario({ targetPort: side.target.local.port, referredBy: opts.referredBy, final: opts.final, pause: opts.pause, hangUpAfter: opts.hangUpAfter }), 'latin1');
    const sippPort = await freePort();
    const args = [
      `127.0.0.1:${side.transferee.local.port}`, '-sf', file, '-r', '10', '-l', String(opts.calls), '-bind_local', '-trace_err', '-error_file', errors,
      ...sippArgs({ port: sippPort, calls: opts.calls, timeoutS: SIPP_TIMEOUT_S, statsFile: stats, lost: opts.lost }),
      // With SIPFLOW_KEEP_SIPP_LOGS, SIPp's message log is kept too.
      ...(KEEP_SIPP_LOGS ? ['-trace_msg'] : []),
    ];
    const run = await startSipp(args, dir, SIPP_KILL_MS);
    const s = side;
    // SIPp's calls end with its BYE; our new calls settle before the last NOTIFY is sent.
    await waitUntil(() => s.sippCalls.every((c) => c.signal.aborted) && s.transferred.length === s.refers.length, 3000);
    const byeStatuses: Array<number | undefined> = [];
    for (const t of s.transferred) if ('session' in t && t.session.endReason === undefined) byeStatuses.push((await t.session.bye())?.status);
    await waitUntil(() => s.target.activeSessions.length === 0, 2000);
    // Sessions still up now would be leaks; then close, so that what close() reports is checked too.
    const stillUp = [...s.transferee.activeSessions, ...s.target.activeSessions].map((x) => `${x.role} ${x.callId}`);
    await Promise.all([s.transferee.close(), s.target.close()]);
    const why = describeRun(run, [
      `sipp errors: ${(await readIfThere(errors)).slice(-4000)}`,
      `problems: ${s.problems.join('; ')}`,
      `our wire: ${JSON.stringify(s.wire)}`,
      `our errors: ${s.events.flatMap(({ ua, event: e }) => (e.type === 'error' ? [`${ua} ${e.where}: ${String(e.error)}`] : [])).join('; ')}`,
    ]);
    await check({ run, csv: await lastCsvRow(stats), side: s, sippPort, byeStatuses, stillUp, why });
  } finally {
    await Promise.all([side?.transferee.close(), side?.target.close()]);
    await removeSippDir(dir);
  }
}

/** SIPp and both of our user agents say every transfer went as `expected`. */
function expectTransfers({ run, csv, side, byeStatuses, stillUp, why }: ReferRun, calls: number, expected: { answers: boolean; referredBy: string }): void {
  // SIPp: exit 0 means every call succeeded, and with it every ereg check on our NOTIFYs.
  expect(run.code, why).toBe(0);
  expect(csv.get('SuccessfulCall(C)'), why).toBe(String(calls));
  expect(csv.get('FailedCall(C)'), why).toBe('0');
  expect(csv.get('FailedRegexpDoesntMatch(C)'), why).toBe('0');

  expect(side.problems, why).toEqual([]);
  expect(side.events.filter(({ event }) => event.type === 'error'), why).toEqual([]);
  // One call from SIPp and one REFER handed to the application per SIPp call.
  const target = `sip:target@127.0.0.1:${side.target.local.port}`;
  expect(side.sippCalls.length, why).toBe(calls);
  expect(side.refers.map((r) => `${String(r.target)} by ${r.referredBy}`), why).toEqual(Array(calls).fill(`${target} by ${expected.referredBy}`));
  // The target got one INVITE per transfer, with that Referred-By (RFC 3892) copied onto it.
  expect(side.targetInvites.map((r) => `${String(r.uri)} by ${r.header('Referred-By')}`), why).toEqual(Array(calls).fill(`${target} by ${expected.referredBy}`));
  // accept() settled with the new call (confirmed), or with the target's 486.
  expect(side.transferred.length, why).toBe(calls);
  for (const t of side.transferred) {
    if (expected.answers) expect('session' in t ? `${t.session.role} ${t.state}` : String(t.error), why).toBe('uac confirmed');
    else expect('error' in t && t.error instanceof RequestFailedError ? `${t.error.kind} ${t.error.status}` : String(t), why).toBe('rejected 486');
  }
  // SIPp hung up its calls; we hung up the transferred ones (after SIPp finished): all 200.
  for (const session of side.sippCalls) expect((session.signal.reason as { reason?: string }).reason, why).toBe('remote-bye');
  expect(byeStatuses, why).toEqual(Array(expected.answers ? calls : 0).fill(200));
  expect(stillUp, why).toEqual([]);
}

const SUCCESS = { answers: true, referredBy: true, final: 'SIP/2.0 200 OK' };
const BUSY = { answers: false, referredBy: false, final: 'SIP/2.0 486 Busy Here' };

describe.skipIf(NO_SIPP)('SIPp interop: REFER into an established call, our UserAgent as transferee (UDP, 127.0.0.1)', () => {
  // SIPp sends Referred-By in the first case; in the second it sends none, so our UA uses its From URI.
  for (const [name, variant, referredBy] of [
    ['target rings and answers: 202, NOTIFYs 100/180/200 checked by SIPp, new calls confirmed', SUCCESS, (port: number) => `<sip:transferor@127.0.0.1:${port}>`],
    ['target rings and is busy: 202, NOTIFYs 100/180/486 checked by SIPp, accept() rejects 486', BUSY, (port: number) => `<sip:sipp@127.0.0.1:${port}>`],
  ] as const) {
    it(`${CALLS} transfers, ${name}`, async () => {
      await referRun({ calls: CALLS, ...variant, lost: 0, pause: 0, hangUpAfter: 0, timers: {} }, (r) => {
        expectTransfers(r, CALLS, { answers: variant.answers, referredBy: referredBy(r.sippPort) });
        // No loss: the 202 came first every time, nothing was retransmitted, 3 NOTIFYs per call.
        expect([r.csv.get('notifyFirst(C)'), r.csv.get('Retransmissions(C)')], r.why).toEqual(['0', '0']);
        expect(r.side.wire, r.why).toEqual({ refersIn: CALLS, accepted202Out: CALLS, notifiesOut: 3 * CALLS });
        console.info(`sipp REFER, ${variant.final}: ${CALLS} transfers in ${Math.round(r.run.ms)} ms`);
      });
    }, TEST_TIMEOUT_MS);
  }

  // With -lost 10 SIPp drops 10% of what it sends and of what it receives. Its INVITE, REFER and
  // BYE are re-sent (retrans 500 ms); our NOTIFYs and 2xx are re-sent by us (T1 250 ms, T2 500 ms)
  // and SIPp answers a re-sent NOTIFY by re-sending its 200. Two things need help:
  //  - A lost ACK is repaired only by our 2xx retransmission and SIPp's re-sent ACK, but SIPp
  //    sends the REFER right away. A REFER before the ACK gets 603 from us (a gap in the dialog
  //    layer: the application gets the session, so can listen for 'refer', only once the ACK
  //    has come), so SIPp pauses 2.5 s after the ACK (about 5 more 2xx retransmissions).
  //  - SIPp recognises a re-sent request only until it sends a request: if the 200 to our last
  //    NOTIFY is lost and SIPp has sent its BYE already, our re-sent NOTIFY is unexpected and
  //    aborts the call. So SIPp waits 4 s before the BYE (8 more NOTIFY retransmissions).
  // T1 is no shorter than 250 ms so that Timer J (64·T1 = 16 s) still covers SIPp's BYE
  // retransmissions (0.5, 1.5, 3.5, 7.5, 15.5 s).
  it(`${CALLS} transfers with SIPp dropping 10% of packets: all still succeed, once each at our side`, async () => {
    await referRun({ calls: CALLS, ...SUCCESS, lost: 10, pause: 2500, hangUpAfter: 4000, timers: { t1: 250, t2: 500 } }, (r) => {
      expectTransfers(r, CALLS, { answers: true, referredBy: `<sip:transferor@127.0.0.1:${r.sippPort}>` });
      // Not asserted above zero (a run may be lucky), but reported: what the loss cost.
      console.info(
        `sipp REFER, -lost 10: ${CALLS} transfers in ${Math.round(r.run.ms)} ms; SIPp retransmitted ${r.csv.get('Retransmissions(C)')} requests; ` +
          `a NOTIFY overtook the 202 in ${r.csv.get('notifyFirst(C)')} calls; our wire ${JSON.stringify(r.side.wire)}`,
      );
    });
  }, TEST_TIMEOUT_MS);

  // Control: SIPp expects the final sipfrag `SIP/2.0 200 OK` but the target is busy, so the last
  // NOTIFY says 486: SIPp's check must fail the call (it carries on to the BYE, so our side still
  // ends cleanly). The header checks were shown live the same way by hand (Event id, state, type).
  it('control: SIPp fails the call when the final NOTIFY does not carry the expected status', async () => {
    await referRun({ calls: 1, ...BUSY, final: 'SIP/2.0 200 OK', lost: 0, pause: 0, hangUpAfter: 0, timers: {} }, ({ run, csv, side, stillUp, why }) => {
      expect(run.code, why).not.toBe(0);
      expect(csv.get('FailedCall(C)'), why).toBe('1');
      expect(csv.get('FailedRegexpDoesntMatch(C)'), why).toBe('1');
      expect(side.transferred.map((t) => ('error' in t && t.error instanceof RequestFailedError ? t.error.status : 0)), why).toEqual([486]);
      expect(side.events.filter(({ event }) => event.type === 'error'), why).toEqual([]);
      expect(stillUp, why).toEqual([]);
    });
  }, TEST_TIMEOUT_MS);
});
