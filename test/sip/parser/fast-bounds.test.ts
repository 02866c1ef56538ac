// The fast path reads only b[0, len): one read past the end would make V8 recompile its scanning
// loops with bounds handling, several times slower, for every later parse (see parseFast).
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../../../bench/corpus.js';
import { parseFast } from '../../../src/sip/parser/fast-parse.js';
import { serializeMessage } from '../../../src/sip/parser/index.js';

function outcome(b: Buffer, len: number): string | undefined {
  const m = parseFast(b, len);
  return m === undefined ? undefined : Buffer.from(serializeMessage(m)).toString('latin1');
}

describe('fast path bounds', () => {
  it('decides every cut-off message on its first len bytes alone', () => {
    // parseFast(whole, n) sees the real continuation after n if it reads past n; a copy of the
    // first n bytes shows it nothing there. The outcomes can only differ if it does.
    const bodyless = Buffer.from('OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n');
    for (const whole of [...CORPUS.map((m) => m.data), bodyless]) {
      for (let n = 0; n < whole.length; n++) {
        const copy = Buffer.from(whole.subarray(0, n));
        expect(outcome(whole, n), `cut at ${n}: ${JSON.stringify(copy.toString('latin1').slice(-40))}`).toBe(outcome(copy, n));
      }
    }
  });
});
