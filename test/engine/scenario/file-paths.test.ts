// Untrusted scenario files (issue 17): PlayAudio and ExpectAudio files resolve relative to the
// scenario file and must lie in its directory (or below): `..`, an absolute path elsewhere and a
// symbolic link out are the error `file-outside`, unless allowOutsideFiles (--allow-outside-files).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileScenario, validateScenarioFile } from '../../../src/engine/scenario/index.js';
import { cli } from '../../api/cli-harness.js';

const root = mkdtempSync(join(tmpdir(), 'sipflow-paths-'));
const dir = join(root, 'scenarios');
mkdirSync(join(dir, 'audio'), { recursive: true });
writeFileSync(join(dir, 'audio', 'in.wav'), 'x');
writeFileSync(join(root, 'secret.wav'), 'x');
symlinkSync(join(root, 'secret.wav'), join(dir, 'audio', 'link.wav'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A scenario file in `dir` whose one step plays `filePath`. */
function scenarioPlaying(name: string, filePath: string): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ instances: { a: { steps: ['INCOMING', 'Answer', { command: 'PlayAudio', filePath }] } } }));
  return file;
}

describe('files a scenario names', () => {
  it('a file in the directory or below is fine, and resolves relative to the scenario file', () => {
    const r = validateScenarioFile(scenarioPlaying('inside', 'audio/in.wav'));
    expect(r.diagnostics).toEqual([]);
    const node = compileScenario(r.scenario!).nodes.find((n) => n.name === 'PlayAudio')!;
    expect(node.fields['filePath']).toBe(join(dir, 'audio', 'in.wav'));
    expect(validateScenarioFile(scenarioPlaying('inside-abs', join(dir, 'audio', 'in.wav'))).diagnostics).toEqual([]);
    expect(validateScenarioFile(scenarioPlaying('inside-dots', 'audio/../audio/in.wav')).diagnostics).toEqual([]);
  });

  it.each([
    ['dot-dot', '../secret.wav'],
    ['absolute', join(root, 'secret.wav')],
    ['symlink', 'audio/link.wav'],
    ['system', '/etc/passwd'],
  ])('%s: a path out of the directory is the error file-outside, with the way to allow it', (name, filePath) => {
    const r = validateScenarioFile(scenarioPlaying(name, filePath));
    expect(r.ok).toBe(false);
    expect(r.errors.map((d) => [d.code, d.field])).toEqual([['file-outside', 'filePath']]);
    expect(r.errors[0]!.message).toContain(JSON.stringify(filePath));
    expect(r.errors[0]!.message).toContain('--allow-outside-files');
  });

  it('allowOutsideFiles accepts them (the file must still exist)', () => {
    expect(validateScenarioFile(scenarioPlaying('allowed', '../secret.wav'), { allowOutsideFiles: true }).diagnostics).toEqual([]);
    const missing = validateScenarioFile(scenarioPlaying('allowed-missing', '../nothing.wav'), { allowOutsideFiles: true });
    expect(missing.errors.map((d) => d.code)).toEqual(['file-not-found']);
  });

  it('the CLI refuses such a scenario (exit 2) and takes it with --allow-outside-files', async () => {
    const file = scenarioPlaying('cli', '../secret.wav');
    const refused = await cli(['validate', file]);
    expect(refused.code).toBe(2);
    expect(refused.stdout + refused.stderr).toContain(`filePath "../secret.wav" is outside the scenario's directory`);
    const allowed = await cli(['validate', file, '--allow-outside-files']);
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
  });
});
