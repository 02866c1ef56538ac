// What sipflow's Go decoder (encoding/json into untagged structs) does with flow JSON, so that we
// read the envelope, nodes and edges as it did: case-insensitive keys, the last one winning, and
// its words for a value of the wrong type.

import type { DiagnosticSink, JsonPath } from './diagnostics.js';
import type { JsonValue } from './jsonc.js';

/** Go's case folding of struct field names (encoding/json matches keys case-insensitively). */
export function fold(key: string): string {
  return key.replace(/[A-Z]/g, (c) => c.toLowerCase()).replaceAll('\u017f', 's').replaceAll('\u212a', 'k');
}

/** The value of the last member whose key folds to `name` (Go assigns each in turn), and its key. */
export function member(obj: Readonly<Record<string, JsonValue>>, name: string): { key: string; value: JsonValue } | undefined {
  let found: { key: string; value: JsonValue } | undefined;
  for (const [key, value] of Object.entries(obj)) if (fold(key) === name) found = { key, value };
  return found;
}

/** Go's word for a JSON value's type in an UnmarshalTypeError. */
export function goKind(value: JsonValue): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

/** Reports a Go UnmarshalTypeError as sipflow's ParseScenario words it. */
export function unmarshalError(sink: DiagnosticSink, detail: string, path: JsonPath): void {
  sink.error('unmarshal', `failed to unmarshal flowData: json: ${detail}`, { path });
}
