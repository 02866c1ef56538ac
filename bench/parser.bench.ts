// Parser benchmark: sipflow's parseMessage against kirm's `sip` package on the same corpus.
//
// Each measured operation is what a transaction layer does with a datagram: parse it from the
// Buffer the socket delivered, then read Call-ID, CSeq and the top Via's branch.
//
//   npm run bench
//
// Environment knobs (optional): BENCH_TIME_MS (per task, default 1000), BENCH_WARMUP_MS (default 500),
// BENCH_ROUNDS (default 5).

import { Bench, type FnReturnedObject } from 'tinybench';
import sip from 'sip';
import { aggregate, type Aggregate, batched, benchSettings, keepResults, machine, median, printTable, type RoundStat, SEPARATOR, statOf } from './harness.js';
import { parseMessage, SipParseError } from '../src/sip/parser/index.js';
import { CORPUS, type CorpusMessage, TYPICAL_INVITE } from './corpus.js';

/** Interleaved rounds per task; the reported figures are medians over rounds. */
const { timeMs: TIME_MS, warmupMs: WARMUP_MS, rounds: ROUNDS } = benchSettings({ timeMs: 1000, warmupMs: 500, rounds: 5 });
/** Parses per tinybench sample: amortises the timer call (tens of ns) over ~10-50 µs of work. */
const BATCH = 32;

/** Targets from the issue. */
const TARGET_SPEEDUP = 3;
const TARGET_INVITE_NS = 1500;

interface Extracted {
  callId: string;
  seq: number;
  method: string;
  branch: string;
}

// --- The two operations under test -----------------------------------------------------------------

/** sipflow: parse the Buffer, read Call-ID, CSeq and the top Via (branch). */
function sipflowOp(data: Buffer): number {
  const m = parseMessage(data);
  const callId = m.callId;
  const cseq = m.cseq;
  const via = m.vias[0];
  return (callId?.length ?? 0) + (cseq?.seq ?? 0) + (via?.branch?.length ?? 0);
}

/**
 * `sip`: its UDP transport hands the datagram Buffer to `parseMessage`, which does
 * `s.toString('binary')` itself, so `sip.parse(buffer)` is exactly its receive path.
 */
function sipjsOp(data: Buffer): number {
  const m = sip.parse(data);
  if (m === undefined) return -1;
  const callId = m.headers['call-id'];
  const cseq = m.headers.cseq;
  const via = m.headers.via?.[0];
  return (callId?.length ?? 0) + (cseq?.seq ?? 0) + (via?.params['branch']?.length ?? 0);
}

/**
 * A reference, not a parser: the least any strict parser does with a message — look at every byte
 * of the header section once and check that it may be there (VCHAR, SP, HTAB, or the CRLF that
 * ends a line). No grammar, no strings, no objects. Its time is the floor this machine and V8 set
 * under the per-message figures.
 */
function byteCheckOnly(data: Buffer, headerEnd: number): number {
  let lines = 0;
  for (let i = 0; i < headerEnd; i++) {
    const c = data[i]!;
    if (c - 32 < 95 ? c >= 32 : c === 9) continue;
    if (c === 13 && data[i + 1] === 10) {
      lines++;
      i++;
      continue;
    }
    return -1;
  }
  return lines;
}

// --- Verification before timing ---------------------------------------------------------------------

function extractSipflow(msg: CorpusMessage): Extracted & { body: number } {
  let m;
  try {
    m = parseMessage(msg.data);
  } catch (err) {
    const why = err instanceof SipParseError ? err.message : String(err);
    throw new Error(`sipflow rejected "${msg.name}": ${why}`);
  }
  return {
    callId: m.callId ?? '<missing>',
    seq: m.cseq?.seq ?? -1,
    method: m.cseq?.method ?? '<missing>',
    branch: m.vias[0]?.branch ?? '<missing>',
    body: m.body.length,
  };
}

function extractSipjs(msg: CorpusMessage): Extracted & { body: number } {
  const m = sip.parse(msg.data);
  if (m === undefined) throw new Error(`sip rejected "${msg.name}" (parse returned undefined)`);
  return {
    callId: m.headers['call-id'] ?? '<missing>',
    seq: m.headers.cseq?.seq ?? -1,
    method: m.headers.cseq?.method ?? '<missing>',
    branch: m.headers.via?.[0]?.params['branch'] ?? '<missing>',
    // `content` is a binary (latin1) string, so its length is the byte count.
    body: m.content.length,
  };
}

function verify(): void {
  const problems: string[] = [];
  for (const msg of CORPUS) {
    const want = { ...msg.expect, body: msg.bodyLength };
    for (const [who, extract] of [['sipflow', extractSipflow], ['sip', extractSipjs]] as const) {
      let got: Extracted & { body: number };
      try {
        got = extract(msg);
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
        continue;
      }
      for (const k of ['callId', 'seq', 'method', 'branch', 'body'] as const) {
        if (got[k] !== want[k]) problems.push(`${who} on "${msg.name}": ${k} = ${JSON.stringify(got[k])}, expected ${JSON.stringify(want[k])}`);
      }
    }
    // The timed operations must do real work on this message too.
    if (sipflowOp(msg.data) <= 0 || sipjsOp(msg.data) <= 0) problems.push(`"${msg.name}": a timed operation extracted nothing`);
    if (byteCheckOnly(msg.data, msg.data.indexOf('\r\n\r\n') + 4) <= 0) problems.push(`"${msg.name}": the byte check rejected it`);
  }
  if (problems.length > 0) {
    throw new Error(`corpus verification failed, not timing anything:\n  ${problems.join('\n  ')}`);
  }
}

// --- Output --------------------------------------------------------------------------------------------

function fmtNs(ns: number): string {
  return ns >= 10_000 ? ns.toFixed(0) : ns.toFixed(1);
}

function fmtRate(ns: number): string {
  const perSec = 1e9 / ns;
  return perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)} M` : `${(perSec / 1e3).toFixed(0)} k`;
}

const CORPUS_ROW = '(corpus)';

// --- Main ----------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  verify();
  console.log(`Corpus verified: both parsers parse all ${CORPUS.length} messages and agree on Call-ID, CSeq and top-Via branch.`);

  console.log(machine());
  console.log(
    `tinybench: per task ${TIME_MS} ms in ${ROUNDS} interleaved rounds (+ ${WARMUP_MS} ms warmup in round 1, ` +
      `${Math.round(WARMUP_MS / 5)} ms after); each sample = ${BATCH} parses.\n`,
  );

  // Work items: each message, then the whole corpus in call order (the mix a stack actually sees,
  // megamorphic call sites included), reported per message.
  const all = CORPUS.map((m) => m.data);
  const n = all.length;
  const items: { name: string; sipflow: () => FnReturnedObject; sip: () => FnReturnedObject }[] = CORPUS.map((msg) => {
    const data = msg.data;
    return { name: msg.name, sipflow: batched(() => sipflowOp(data), BATCH), sip: batched(() => sipjsOp(data), BATCH) };
  });
  items.push({
    name: CORPUS_ROW,
    sipflow: batched(() => {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += sipflowOp(all[i]!);
      return acc;
    }, BATCH, n),
    sip: batched(() => {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += sipjsOp(all[i]!);
      return acc;
    }, BATCH, n),
  });

  // The reference floor, on the typical INVITE (timed in the same rounds).
  const invite = CORPUS.find((m) => m.name === TYPICAL_INVITE)!.data;
  const inviteHeaderEnd = invite.indexOf('\r\n\r\n') + 4;
  const floorFn = batched(() => byteCheckOnly(invite, inviteHeaderEnd), BATCH);
  const floorStats: RoundStat[] = [];

  // This machine's speed may drift over seconds (shared CPUs), so instead of timing each task once
  // for TIME_MS, run ROUNDS short rounds; within a round both parsers run back to back on the same
  // message (alternating who goes first), and the speedup is the median of the per-round ratios.
  const stats = new Map<string, { sipflow: RoundStat[]; sip: RoundStat[] }>(items.map((it) => [it.name, { sipflow: [], sip: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({
      name: `SIP parser round ${round + 1}`,
      time: TIME_MS / ROUNDS,
      warmup: true,
      warmupTime: round === 0 ? WARMUP_MS : WARMUP_MS / 5,
      warmupIterations: 16,
      iterations: 16,
      throws: true,
    });
    for (const it of items) {
      const pair = [['sipflow', it.sipflow], ['sip', it.sip]] as const;
      for (const [who, fn] of round % 2 === 0 ? pair : [pair[1], pair[0]]) bench.add(`${who}|${it.name}`, fn);
    }
    bench.add('floor', floorFn);
    await bench.run();
    floorStats.push(statOf(bench.getTask('floor')));
    for (const it of items) {
      const s = stats.get(it.name)!;
      s.sipflow.push(statOf(bench.getTask(`sipflow|${it.name}`)));
      s.sip.push(statOf(bench.getTask(`sip|${it.name}`)));
    }
    process.stderr.write(`  round ${round + 1}/${ROUNDS} done\n`);
  }

  const header = ['message', 'bytes', 'sipflow ns', 'p50 ns', '±%', 'msg/s', 'sip ns', 'p50 ns', '±%', 'msg/s', 'speedup'];
  const rows: (readonly string[])[] = [];
  const result = new Map<string, { a: Aggregate; b: Aggregate; ratio: number }>();
  for (const it of items) {
    const s = stats.get(it.name)!;
    const ratio = median(s.sip.map((b, r) => b.mean / s.sipflow[r]!.mean));
    const a = aggregate(s.sipflow);
    const b = aggregate(s.sip);
    result.set(it.name, { a, b, ratio });
    const msg = CORPUS.find((m) => m.name === it.name);
    if (msg === undefined) rows.push(SEPARATOR);
    const bytes = msg !== undefined ? msg.data.length : Math.round(all.reduce((t, d) => t + d.length, 0) / n);
    rows.push([
      it.name === CORPUS_ROW ? `whole corpus (${n} msgs, per msg)` : it.name, String(bytes),
      fmtNs(a.mean), fmtNs(a.p50), a.spread.toFixed(1), fmtRate(a.mean),
      fmtNs(b.mean), fmtNs(b.p50), b.spread.toFixed(1), fmtRate(b.mean),
      `${ratio.toFixed(2)}x`,
    ]);
  }

  console.log('Parse from Buffer + read Call-ID, CSeq, top Via branch.');
  console.log(`ns = median over ${ROUNDS} rounds of the mean ns per message; p50 = median over rounds of the median ${BATCH}-parse batch mean;`);
  console.log('±% = half the range of the round means, relative; speedup = median over rounds of sip mean / sipflow mean.\n');
  printTable(header, rows, 1);

  const corpus = result.get(CORPUS_ROW)!;
  const corpusBytes = all.reduce((t, d) => t + d.length, 0);
  const perMsgRatios = CORPUS.map((m) => result.get(m.name)!.ratio);
  const geo = Math.exp(perMsgRatios.reduce((t, r) => t + Math.log(r), 0) / perMsgRatios.length);
  console.log(
    `\nwhole corpus: sipflow ${fmtNs(corpus.a.mean * n)} ns, sip ${fmtNs(corpus.b.mean * n)} ns per pass over the ${n} messages ` +
      `(${corpusBytes} bytes); geometric mean of the per-message speedups ${geo.toFixed(2)}x`,
  );
  const slowest = CORPUS.map((m) => ({ name: m.name, ns: result.get(m.name)!.a.mean, bytes: m.data.length })).sort((x, y) => y.ns - x.ns);
  console.log(`sipflow, slowest first: ${slowest.map((s) => `${s.name} ${fmtNs(s.ns)} ns (${(s.ns / s.bytes).toFixed(1)} ns/B)`).join(', ')}`);

  const inviteNs = result.get(TYPICAL_INVITE)!.a.mean;
  const floorNs = aggregate(floorStats).mean;
  console.log(
    `reference (${TYPICAL_INVITE}): checking each of its ${inviteHeaderEnd} header bytes once, nothing else, takes ${fmtNs(floorNs)} ns ` +
      `(${(floorNs / inviteHeaderEnd).toFixed(2)} ns/B), ${((100 * floorNs) / inviteNs).toFixed(0)} % of sipflow's parse of it`,
  );
  console.log('\nTargets (measured, not enforced):');
  const t1 = corpus.ratio >= TARGET_SPEEDUP;
  console.log(`  ${t1 ? 'PASS' : 'MISS'}  sipflow >= ${TARGET_SPEEDUP}x faster than sip across the corpus: ${corpus.ratio.toFixed(2)}x`);
  const t2 = inviteNs < TARGET_INVITE_NS;
  console.log(`  ${t2 ? 'PASS' : 'MISS'}  sipflow < ${(TARGET_INVITE_NS / 1000).toFixed(1)} µs per typical INVITE (${TYPICAL_INVITE}): ${fmtNs(inviteNs)} ns`);
  keepResults();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
