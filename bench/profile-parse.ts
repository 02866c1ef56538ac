// A profiling loop, not a benchmark: parses one corpus message many times (default: the INVITE
// with SDP, 1e6 times) and reads Call-ID, CSeq and the top Via branch, like the benchmark does.
//
//   npx tsc -p tsconfig.bench.json
//   node --cpu-prof --cpu-prof-dir=.bench-out/prof .bench-out/bench/profile-parse.js [message] [count]
//   node .bench-out/bench/cpuprofile-summary.js .bench-out/prof/<file>.cpuprofile
//
// `message` is a corpus name (e.g. "proxied INVITE"); `count` the number of parses.

import { parseMessage } from '../src/sip/parser/index.js';
import { CORPUS, TYPICAL_INVITE } from './corpus.js';

const name = process.argv[2] ?? TYPICAL_INVITE;
const count = Number(process.argv[3] ?? 1e6);
const msg = CORPUS.find((m) => m.name === name);
if (msg === undefined) throw new Error(`no corpus message ${JSON.stringify(name)}; have ${CORPUS.map((m) => m.name).join(', ')}`);
const data = msg.data;

let acc = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < count; i++) {
  const m = parseMessage(data);
  acc += (m.callId?.length ?? 0) + (m.cseq?.seq ?? 0) + (m.vias[0]?.branch?.length ?? 0);
}
const ns = Number(process.hrtime.bigint() - t0) / count;
console.log(`${count} parses of "${name}" (${data.length} bytes): ${ns.toFixed(0)} ns/parse (checksum ${acc})`);
