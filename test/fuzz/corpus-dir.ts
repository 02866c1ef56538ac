// Where the fuzz corpus lives in the source tree, whether the code runs from test/fuzz/ (vitest)
// or from .bench-out/test/fuzz/ (npm run fuzz).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fuzz/corpus, holding one folder per target. */
export function corpusDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes('.bench-out') ? join(here, '..', '..', '..', 'test', 'fuzz', 'corpus') : join(here, 'corpus');
}
