import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compactScenarioSchema, sipflowFlowSchema, validateScenario } from '../../../src/engine/scenario/index.js';
import { schemaValidators } from './helpers.js';

const committed = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../schema/${name}`, import.meta.url), 'utf8'));


describe('JSON Schemas', () => {
  it('the committed files are what the catalog gives (run `npm run schema` after changing the catalog)', () => {
    expect(committed('scenario.schema.json')).toEqual(compactScenarioSchema());
    expect(committed('sipflow-flow.schema.json')).toEqual(sipflowFlowSchema());
  });

  it('compile under Ajv strict mode (draft 2020-12)', () => {
    const { compact, sipflow } = schemaValidators();
    expect(typeof compact).toBe('function');
    expect(typeof sipflow).toBe('function');
  });

  const basic = {
    $schema: '../schema/scenario.schema.json',
    instances: {
      alice: { dn: '100', steps: [{ command: 'MakeCall', targetUri: '200' }, { event: 'TIMEOUT', timeout: 2000 }, 'Release'] },
      bob: { dn: '200', port: '${BOB_PORT}', steps: ['INCOMING', 'Answer', 'DISCONNECTED'] },
    },
  };

  it('accept a valid compact scenario, as the validator does', () => {
    const { compact } = schemaValidators();
    expect(compact(basic)).toBe(true);
    expect(validateScenario(basic, { vars: { BOB_PORT: '5070' } }).errors).toEqual([]);
  });

  it.each([
    ['a misspelt field', { instances: { a: { steps: [{ command: 'MakeCall', targetUrl: '200' }] } } }],
    ['an unknown command', { instances: { a: { steps: [{ command: 'MakeCal', targetUri: '200' }] } } }],
    ['a missing required field', { instances: { a: { steps: [{ command: 'SendDTMF' }] } } }],
    ['a DTMF digit outside 0-9 * # A-D', { instances: { a: { steps: [{ command: 'SendDTMF', digits: '12E' }] } } }],
    ['a timeout of the wrong type', { instances: { a: { steps: [{ event: 'TIMEOUT', timeout: 'soon' }] } } }],
    ['TIMEOUT of 0', { instances: { a: { steps: [{ event: 'TIMEOUT', timeout: 0 }] } } }],
    ['steps and chains together', { instances: { a: { steps: [], chains: [] } } }],
    ['BlindTransfer without a target', { instances: { a: { steps: [{ command: 'BlindTransfer' }] } } }],
    ['a transport other than UDP', { instances: { a: { pbxTransport: 'TCP' } } }],
    ['an unknown codec', { instances: { a: { codecs: ['G729'] } } }],
  ])('reject %s, which the validator reports as an error', (_, doc) => {
    const { compact } = schemaValidators();
    expect(compact(doc)).toBe(false);
    expect(validateScenario(doc).errors.length).toBeGreaterThan(0);
  });

  it('accept a desktop flow and reject an unsupported command in one', () => {
    const { sipflow } = schemaValidators();
    const flow = {
      nodes: [
        { id: 'a', type: 'sipInstance', position: { x: 0, y: 0 }, data: { label: '100', dn: '100', register: false, color: '#3b82f6', codecs: ['PCMU', 'PCMA'] } },
        { id: 'c1', type: 'command', position: { x: 0, y: 160 }, data: { label: 'MakeCall', command: 'MakeCall', sipInstanceId: 'a', targetUri: 'sip:200@127.0.0.1:5062' } },
      ],
      edges: [{ id: 'a-c1', source: 'a', target: 'c1', sourceHandle: 'source', type: 'branch', data: { branchType: 'success' } }],
    };
    expect(sipflow(flow)).toBe(true);
    expect(validateScenario(flow).errors).toEqual([]);
    const bad = { ...flow, nodes: [flow.nodes[0], { ...flow.nodes[1], data: { ...flow.nodes[1]!.data, command: 'MakeCal' } }] };
    expect(sipflow(bad)).toBe(false);
    expect(validateScenario(bad).errors.map((d) => d.message)).toContain('node c1 uses unsupported command MakeCal');
  });
});
