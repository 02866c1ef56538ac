// Every example scenario runs and passes (examples/pbx/ needs a PBX: it runs in
// test/interop/engine-kamailio.test.ts, and is only validated here). The sipflow JSON versions next to some of them mean the
// same as their compact twins.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, compileScenario, loadScenarioFile, validateScenarioFile } from '../../src/engine/index.js';
import { meaning } from './scenario/helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
/** Examples that need a PBX: in their own folder, so `sipflow run examples/` passes on loopback. */
const PBX_EXAMPLES = readdirSync(EXAMPLES + 'pbx/').filter((f) => f.endsWith('.json')).map((f) => 'pbx/' + f);

// Recordings the examples make go to a scratch folder, not the working directory.
const output = mkdtempSync(join(tmpdir(), 'sipflow-examples-'));
afterAll(() => rmSync(output, { recursive: true, force: true }));

describe('the examples', () => {
  it('are all valid, with no warning', () => {
    expect(files.length + PBX_EXAMPLES.length).toBeGreaterThanOrEqual(10);
    expect(PBX_EXAMPLES).toEqual(['pbx/register-and-call.json']);
    for (const file of [...files, ...PBX_EXAMPLES]) {
      const result = validateScenarioFile(EXAMPLES + file, { env: {}, vars: { ALICE_PASSWORD: 'x', BOB_PASSWORD: 'y', PBX_PORT: '5060' } });
      expect(result.diagnostics, file).toEqual([]);
    }
  });

  files
    .filter((f) => !f.endsWith('.sipflow.json'))
    .forEach((file, i) => {
      it(`${file} runs and passes`, async () => {
        const engine = new Engine({ portBase: 35000 + 20 * i, closeTimeoutMs: 500, outputDir: join(output, file) });
        const scenario = loadScenarioFile(EXAMPLES + file, { env: {} });
        const graph = compileScenario(scenario);
        const result = await engine.run(graph);
        expect(result.failure?.message, file).toBeUndefined();
        expect(result.status).toBe('passed');
        // Every node that ran ended well, or failed into its failure branch.
        const bad = result.nodes.filter((n) => n.state === 'stopped' || (n.state === 'failed' && graph.node(n.nodeId)!.onFailure === undefined));
        expect(bad, file).toEqual([]);
      }, 30_000);
    });

  it('each sipflow JSON version means what its compact twin does', () => {
    const twins = files.filter((f) => f.endsWith('.sipflow.json'));
    expect(twins.length).toBeGreaterThanOrEqual(3);
    for (const twin of twins) {
      const compact = twin.replace('.sipflow.json', '.json');
      const a = compileScenario(loadScenarioFile(EXAMPLES + twin, { env: {} }));
      const b = compileScenario(loadScenarioFile(EXAMPLES + compact, { env: {} }));
      expect(meaning(a), twin).toEqual(meaning(b));
    }
  });
});
