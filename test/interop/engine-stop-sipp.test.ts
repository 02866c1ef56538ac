// Shutdown of an Engine run (issue 17): 1,000 calls from SIPp's caller are alerting at an
// instance whose queue takes them all (queueLimit 1,000) when engine.stop() is called: every one
// gets its final answer (480, RFC 3261 §13.3.1.3: we cannot take it now), within a bounded time,
// the run reports every call ended, and SIPp counts 1,000 calls refused and ACKed.
// Ports: 34920–34939. Skipped with a warning without sipp.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { describeRun, killLeftoverSipp, lastCsvRow, makeSippDir, removeSippDir, sippArgs, sippInvite, sippMissing, sippRequestHead, startSipp, waitForUdpPort } from './sipp.js';

const NO_SIPP = sippMissing(import.meta.url);
afterEach(killLeftoverSipp);

const CALLS = 1000;
const BOB_PORT = 34920;

/**
 * SIPp as a caller that expects to be turned away: INVITE, ringing, then a 480 it ACKs. The ACK of a
 * non-2xx belongs to the INVITE's transaction and carries the response's To (RFC 3261 §17.1.1.3):
 * [branch-4] is the INVITE's branch, [peer_tag_param] our To tag.
 */
const REFUSED_CALLER = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="caller refused with 480">
${sippInvite({ attributes: 'start_txn="invite"' })}  <recv response="100" optional="true" response_txn="invite"/>
  <recv response="180" optional="true" response_txn="invite"/>
  <recv response="480" response_txn="invite"/>
  <send ack_txn="invite">
    <![CDATA[
${sippRequestHead('ACK', 'sip:[service]@[remote_ip]:[remote_port]', 1).replace('branch=[branch]', 'branch=[branch-4]').replace('[remote_port]>\n', '[remote_port]>[peer_tag_param]\n')}
      Content-Length: 0

    ]]>
  </send>
</scenario>
`;

describe.skipIf(NO_SIPP)('engine.stop() with 1,000 calls alerting', () => {
  it('every call gets its final answer in bounded time; the run says so; SIPp counts 1,000 refused and ACKed', async () => {
    const dir = await makeSippDir('sipflow-engine-stop-');
    try {
      const statsFile = join(dir, 'stats.csv');
      await writeFile(join(dir, 'refused.xml'), REFUSED_CALLER);
      const engine = new Engine({ portBase: 34922, queueLimit: CALLS, closeTimeoutMs: 5000, media: false });
      const invites = new Set<string>();
      let stoppedAt = 0;
      engine.on((e) => {
        if (e.type !== 'sip' || e.direction !== 'received' || e.method !== 'INVITE') return;
        invites.add(e.sipCallId);
        // Once every call is in (and has had a moment to ring), stop the run.
        if (invites.size === CALLS && stoppedAt === 0) {
          stoppedAt = -1;
          setTimeout(() => {
            stoppedAt = performance.now();
            engine.stop();
          }, 500);
        }
      });
      const running = engine.run({ name: 'never answers', instances: { bob: { dn: 'service', port: BOB_PORT, steps: [{ event: 'TIMEOUT', timeout: 120_000 }] } } }, { env: {} });
      await waitForUdpPort(BOB_PORT);
      const sipp = startSipp([`127.0.0.1:${BOB_PORT}`, '-sf', 'refused.xml', '-r', '500', ...sippArgs({ port: 34930, calls: CALLS, timeoutS: 60, statsFile })], dir, 70_000);
      const result = await running;
      const endedAt = performance.now();
      const run = await sipp;
      const stats = await lastCsvRow(statsFile).catch(() => new Map<string, string>());
      const why = describeRun(run, [`run: ${result.status} ${JSON.stringify(result.failure)}; ${result.calls.length} calls`]);
      console.log(`engine.stop() with ${CALLS} calls alerting: ${Math.round(endedAt - stoppedAt)} ms to answer them all and close`);
      expect(result.status, why).toBe('stopped');
      expect(stoppedAt, why).toBeGreaterThan(0);
      // Bounded by the cleanup's closeTimeoutMs (5 s), which the shutdown uses up here waiting for the
      // ACKs of its 480s (RFC 3261 §17.2.1): a burst of 1,000 ACKs overflows the instance's receive
      // buffer, and SIPp, its calls already counted, does not ACK the re-sent 480s again.
      expect(endedAt - stoppedAt, why).toBeLessThan(5000 + 2000);
      expect(result.calls.length, why).toBe(CALLS);
      expect(result.calls.every((c) => c.end !== undefined), why).toBe(true);
      expect(run.code, why).toBe(0);
      expect([stats.get('SuccessfulCall(C)'), stats.get('FailedCall(C)')], why).toEqual([String(CALLS), '0']);
    } finally {
      await removeSippDir(dir);
    }
  }, 90_000);
});
