import { describe, expect, it } from 'vitest';
import { defineScenario } from '../../../src/engine/scenario/index.js';

describe('defineScenario typing', () => {
  it('type-checks', () => {
    defineScenario({ instances: { a: { steps: [{ command: 'MakeCall', targetUri: '200' }, 'Release'] } } });
    // @ts-expect-error misspelt field
    defineScenario({ instances: { a: { steps: [{ command: 'MakeCall', targetUrl: '200' }] } } });
    // @ts-expect-error missing required field
    defineScenario({ instances: { a: { steps: [{ command: 'MakeCall' }] } } });
    // @ts-expect-error misspelt command
    defineScenario({ instances: { a: { steps: [{ command: 'MakeCal', targetUri: '1' }] } } });
    // @ts-expect-error field of another step
    defineScenario({ instances: { a: { steps: [{ command: 'MakeCall', targetUri: '1', expectedDigit: '5' }] } } });
    // @ts-expect-error shorthand for a command that needs a field
    defineScenario({ instances: { a: { steps: ['MakeCall'] } } });
    // @ts-expect-error misspelt instance setting
    defineScenario({ instances: { a: { dnn: '1' } } });
    // @ts-expect-error wrong type
    defineScenario({ instances: { a: { steps: [{ event: 'TIMEOUT', timeout: '5' }] } } });
    expect(1).toBe(1);
  });
});
