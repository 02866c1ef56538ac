import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, validateScenario } from '../../../src/engine/scenario/index.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('\n## Scenarios\n'));
const example = /```jsonc\n([\s\S]*?)```/.exec(section)![1]!;

describe('the README scenario example', () => {
  it('is a valid compact scenario', () => {
    const result = validateScenario(example, { file: 'call.json' });
    expect(result.diagnostics).toEqual([]);
    expect(result.scenario!.instances.map((i) => i.id)).toEqual(['alice', 'bob']);
  });

  it('gives the diagnostic the README shows when the target is wrong', () => {
    const shown = /\/\/ (call\.json:\d+:\d+: error: .*)$/m.exec(section)![1]!;
    const result = validateScenario(example.replace('"targetUri": "200"', '"targetUri": "300"'), { file: 'call.json' });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([shown]);
  });
});
