import { readFileSync } from 'node:fs';

const DIR = new URL('../../fixtures/rfc4475/', import.meta.url);

/** One RFC 4475 message as listed in test/fixtures/rfc4475/manifest.json. */
export interface TortureCase {
  name: string;
  section: string;
  title: string;
  kind: 'valid' | 'invalid' | 'semantic';
  summary: string;
}

export const manifest = JSON.parse(readFileSync(new URL('manifest.json', DIR), 'utf8')) as TortureCase[];

/** The exact bytes of an RFC 4475 message. */
export function torture(name: string): Buffer {
  return readFileSync(new URL(`${name}.dat`, DIR));
}
