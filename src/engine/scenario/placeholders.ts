// `${NAME}` placeholders in string values, filled from the caller's variables or else the
// environment, so that passwords and hosts need not sit in a scenario file.
//
//   ${NAME}            the variable NAME (letters, digits, _; not starting with a digit); an error when unset
//   ${NAME:-default}   NAME, or `default` when NAME is unset or empty (as in a POSIX shell)
//   $${                a literal `${`

import type { JsonValue } from './jsonc.js';
import type { DiagnosticSink, JsonPath } from './diagnostics.js';

/** Where placeholder values come from. */
export interface PlaceholderSource {
  /** Variables given by the caller (the CLI's `--var NAME=value`); they win over the environment. */
  readonly vars?: Readonly<Record<string, string>>;
  /** The environment; `process.env` when left out. Pass `{}` to use `vars` only. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The document with its placeholders handled, and which string values were exactly one placeholder. */
export interface FilledDocument {
  readonly value: JsonValue;
  /**
   * The paths (as {@link pathKey}) of string values that were a single placeholder and nothing
   * else: such a value may stand for a number or boolean field (`"port": "${SIP_PORT}"`).
   */
  readonly whole: ReadonlySet<string>;
  /**
   * The paths (as {@link pathKey}) of string values whose text is not final: with `fill`, those
   * where a placeholder could not be filled (already an error); with `keep`, every value with a
   * `${` in it (a placeholder or an escape). Checks of their content are skipped.
   */
  readonly opaque: ReadonlySet<string>;
}

/** A key for a path in {@link FilledDocument.whole}. */
export function pathKey(path: JsonPath): string {
  return JSON.stringify(path);
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Fills (`mode: 'fill'`) or only checks (`mode: 'keep'`) every placeholder of every string value
 * in the document. Problems go to `sink` as `variable` errors at the string's path.
 */
export function fillPlaceholders(
  doc: JsonValue,
  source: PlaceholderSource,
  mode: 'fill' | 'keep',
  sink: DiagnosticSink,
): FilledDocument {
  const whole = new Set<string>();
  const opaque = new Set<string>();
  const lookup = (name: string): string | undefined => {
    if (source.vars !== undefined && Object.hasOwn(source.vars, name)) return source.vars[name];
    const env = source.env ?? process.env;
    return Object.hasOwn(env, name) ? env[name] : undefined;
  };

  const visit = (value: JsonValue, path: (string | number)[]): JsonValue => {
    if (typeof value === 'string') {
      if (!value.includes('${')) return value;
      const result = expand(value, lookup, mode);
      for (const problem of result.problems) sink.error('variable', problem, { path: [...path] });
      if (result.whole) whole.add(pathKey(path));
      if (mode === 'keep' || result.problems.length > 0) opaque.add(pathKey(path));
      return result.text;
    }
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        path.push(i);
        const out = visit(item, path);
        path.pop();
        return out;
      });
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, JsonValue> = {};
      for (const [key, item] of Object.entries(value)) {
        path.push(key);
        defineMember(out, key, visit(item, path));
        path.pop();
      }
      return out;
    }
    return value;
  };
  return { value: visit(doc, []), whole, opaque };
}

/** Sets a member as JSON.parse would, `__proto__` included. */
export function defineMember(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

interface Expansion {
  readonly text: string;
  readonly whole: boolean;
  readonly problems: string[];
}

function expand(text: string, lookup: (name: string) => string | undefined, mode: 'fill' | 'keep'): Expansion {
  const problems: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('$', i);
    if (at < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, at);
    if (text.startsWith('$${', at)) {
      out += mode === 'fill' ? '${' : '$${';
      i = at + 3;
      continue;
    }
    if (text[at + 1] !== '{') {
      out += '$';
      i = at + 1;
      continue;
    }
    const close = text.indexOf('}', at + 2);
    if (close < 0) {
      problems.push(`unterminated placeholder in ${JSON.stringify(short(text))}: "\${" has no closing "}"`);
      out += text.slice(at);
      break;
    }
    const body = text.slice(at + 2, close);
    const sep = body.indexOf(':-');
    const name = sep < 0 ? body : body.slice(0, sep);
    const fallback = sep < 0 ? undefined : body.slice(sep + 2);
    if (!NAME.test(name)) {
      problems.push(`malformed placeholder \${${short(body)}}: a name is letters, digits and _, not starting with a digit (write $\${ for a literal \${)`);
      out += text.slice(at, close + 1);
    } else if (mode === 'keep') {
      out += text.slice(at, close + 1);
    } else {
      const value = lookup(name);
      if (value !== undefined && (value !== '' || fallback === undefined)) out += value;
      else if (fallback !== undefined) out += fallback;
      else {
        problems.push(`variable ${name} is not set: give it with --var ${name}=value (or vars) or in the environment`);
        out += text.slice(at, close + 1);
      }
    }
    i = close + 1;
  }
  return { text: out, whole: /^\$\{[^}]*\}$/.test(text), problems };
}

function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
