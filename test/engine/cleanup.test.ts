// After a run — passed, failed or stopped — nothing is left open: no socket, no timer, so a
// process that ran a scenario exits by itself, and the same ports serve the next run at once.
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.js';
import { wait } from './harness.js';

/** Live handles of the kinds a run opens: sockets and timers. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) if (kind === 'UDPWrap' || kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const call = (dn: string, callee: string): object => ({
  instances: {
    alice: { dn, steps: [{ command: 'MakeCall', targetUri: callee }, { event: 'TIMEOUT', timeout: 200 }, { command: 'SendDTMF', digits: '1' }, 'Release'] },
    bob: { dn: callee, steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
  },
});

/** No more sockets than before, and no more timers (the test runner's own come and go). */
function expectNoneLeft(before: Record<string, number>): void {
  const now = handles();
  expect(now['UDPWrap'] ?? 0).toBe(before['UDPWrap'] ?? 0);
  expect(now['Timeout'] ?? 0).toBeLessThanOrEqual(before['Timeout'] ?? 0);
}

async function settled(): Promise<void> {
  // Closed sockets and cleared timers leave the list on the next turns of the event loop.
  await wait(50);
}

describe('cleanup', () => {
  it('leaves no socket and no timer after a passed run, and the ports are free for the next one', async () => {
    await settled();
    const before = handles();
    const engine = new Engine({ portBase: 36000, closeTimeoutMs: 300 });
    const first = await engine.run(call('100', '200'));
    expect(first.status).toBe('passed');
    await settled();
    expectNoneLeft(before);
    // The same ports at once, by the same engine.
    const second = await engine.run(call('100', '200'));
    expect(second.status).toBe('passed');
    expect(second.instances.map((i) => i.address.port)).toEqual(first.instances.map((i) => i.address.port));
    await settled();
    expectNoneLeft(before);
  }, 30_000);

  it('leaves nothing after a failed run and after a stopped one (calls still ringing or queued)', async () => {
    await settled();
    const before = handles();
    const engine = new Engine({ portBase: 36020, closeTimeoutMs: 300 });
    const failed = await engine.run({
      instances: {
        alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'HELD', timeout: 200 }] },
        bob: { dn: '200', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
      },
    });
    expect(failed.status).toBe('failed');
    await settled();
    expectNoneLeft(before);

    const running = engine.run({
      instances: {
        alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200', timeout: 30_000 }] },
        bob: { dn: '200', autoRinging: true, steps: [{ event: 'TIMEOUT', timeout: 30_000 }] },
      },
    });
    await wait(300);
    expect(engine.stop()).toBe(true);
    const stopped = await running;
    expect(stopped.status).toBe('stopped');
    expect(stopped.calls.every((c) => c.end !== undefined)).toBe(true);
    await settled();
    expectNoneLeft(before);
    // The ports are free: bind them.
    for (const instance of stopped.instances) {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(instance.address.port, instance.address.address, () => resolve());
      });
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  }, 30_000);

  const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  it.skipIf(!existsSync(dist))('a process that ran a scenario exits by itself', () => {
    // The built package, in a process of its own: once run() resolves nothing keeps it alive.
    const script = `
      import { Engine } from ${JSON.stringify(dist)};
      const result = await new Engine({ portBase: 36040 }).run(${JSON.stringify(call('100', '200'))});
      console.log(result.status);
      globalThis.ranAt = performance.now();
      process.on('exit', () => console.log('exited after', Math.round(performance.now() - globalThis.ranAt), 'ms'));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
    const [status, exited] = child.stdout.trim().split('\n');
    expect(status).toBe('passed');
    const ms = Number(/exited after (\d+) ms/.exec(exited ?? '')?.[1]);
    expect(ms).toBeLessThan(1000);
  }, 30_000);
});
