// JSON text for people: a value that fits on one line stays on one line, as a hand-written
// scenario would have it; anything longer is spread one member or element per line.

/**
 * Writes a JSON value with two-space indentation, keeping each object or array on one line when
 * it fits within `width` columns. Ends with a newline.
 *
 * @example
 * ```ts
 * stringifyScenario({ instances: { bob: { steps: ['INCOMING', 'Answer'] } } });
 * // {
 * //   "instances": { "bob": { "steps": ["INCOMING", "Answer"] } }
 * // }
 * ```
 */
export function stringifyScenario(value: unknown, width = 100): string {
  return `${write(value, 0, width, true)}\n`;
}

/** `indent`: the indentation of the current line; `used`: columns already taken on it before the value. */
function write(value: unknown, indent: number, width: number, top = false, used = indent): string {
  const flat = oneLine(value);
  if (flat !== undefined && (!top || !isContainer(value) || flat.length <= 2) && used + flat.length <= width) return flat;
  const pad = ' '.repeat(indent + 2);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => pad + write(item, indent + 2, width));
    return `[\n${items.join(',\n')}\n${' '.repeat(indent)}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const items = entries.map(([k, v]) => {
      const key = `${JSON.stringify(k)}: `;
      return pad + key + write(v, indent + 2, width, false, indent + 2 + key.length);
    });
    return `{\n${items.join(',\n')}\n${' '.repeat(indent)}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isContainer(value: unknown): boolean {
  return value !== null && typeof value === 'object';
}

/** The one-line form: `{ "a": 1, "b": [1, 2] }`. */
function oneLine(value: unknown): string | undefined {
  if (Array.isArray(value)) return `[${value.map((v) => oneLine(v) ?? 'null').join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v) ?? 'null'}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}
