// Shutdown (issue 17): stopping a load run during 1,000 live calls into SIPp's uas ends every
// one of them with a BYE, within a bounded time, and SIPp counts all 1,000 as successful (its
// uas succeeds on the BYE it answers 200). Ports: 34900–34999. Skipped with a warning without sipp.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadRunner } from '../../src/engine/index.js';
import { describeRun, killLeftoverSipp, lastCsvRow, makeSippDir, removeSippDir, sippArgs, sippMissing, startSipp, waitForUdpPort } from './sipp.js';

const NO_SIPP = sippMissing(import.meta.url);
afterEach(killLeftoverSipp);

describe.skipIf(NO_SIPP)('stopping a load during 1,000 live calls', () => {
  it('every call ends with a BYE within a bounded time; SIPp counts 1,000 successful', async () => {
    const SIPP_PORT = 34900;
    const CALLS = 1000;
    const dir = await makeSippDir('sipflow-shutdown-');
    try {
      const statsFile = join(dir, 'stats.csv');
      const sipp = startSipp(['-sn', 'uas', ...sippArgs({ port: SIPP_PORT, calls: CALLS, timeoutS: 60, statsFile })], dir, 70_000);
      await waitForUdpPort(SIPP_PORT);
      const stop = new AbortController();
      let upAt = 0;
      let stoppedAt = 0;
      const result = await new LoadRunner({ portBase: 34910, closeTimeoutMs: 5000 }).run(
        {
          name: 'hold 1,000 calls',
          instances: { alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: `sip:service@127.0.0.1:${SIPP_PORT}`, timeout: 30_000 }, { event: 'TIMEOUT', timeout: 600_000 }, 'Release'] } },
        },
        {
          rate: 400,
          calls: CALLS,
          statsIntervalMs: 100,
          load: { env: {} },
          signal: stop.signal,
          onStats: (s) => {
            // Once every call has started (SIPp answers at once), give the last ones 2 s to be
            // answered, then stop the load with 1,000 calls up.
            if (upAt !== 0 || s.started !== CALLS || s.concurrent !== CALLS) return;
            upAt = performance.now();
            setTimeout(() => {
              stoppedAt = performance.now();
              stop.abort();
            }, 2000);
          },
        },
      );
      const endedAt = performance.now();
      console.log(`stopping ${CALLS} live calls took ${Math.round(endedAt - stoppedAt)} ms (BYEs sent and answered, instances closed)`);
      const run = await sipp;
      const stats = await lastCsvRow(statsFile).catch(() => new Map<string, string>());
      const why = describeRun(run, [`load: ${JSON.stringify(result.totals)} ${JSON.stringify(result.failures)}`]);
      expect(upAt, why).toBeGreaterThan(0);
      expect(result.status, why).toBe('stopped');
      expect(result.totals, why).toMatchObject({ started: CALLS, concurrent: 0 });
      // Stopped, not failed by the far end: each call was taken down by us.
      expect(result.failures.map((f) => [f.reason, f.count]), why).toEqual([['stopped with the load', CALLS]]);
      // Bounded: the BYEs went out and were answered well within the cleanup's 5 s.
      expect(endedAt - stoppedAt, why).toBeLessThan(5000);
      // SIPp's uas: 1,000 calls each ended by a BYE it answered.
      expect(run.code, why).toBe(0);
      expect([stats.get('SuccessfulCall(C)'), stats.get('FailedCall(C)')], why).toEqual([String(CALLS), '0']);
    } finally {
      await removeSippDir(dir);
    }
  }, 90_000);
});
