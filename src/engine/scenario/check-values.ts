// Checks of single values beyond their JSON type: numbers against their spec, DTMF digits, SIP
// user parts, host[:port], IP literals, reason phrases and call targets.

import { isIP } from 'node:net';
import { parseUri } from '../../sip/parser/uri.js';
import { DTMF_DIGITS, type FieldSpec } from './catalog.js';
import { suggest } from './did-you-mean.js';

/** A problem with a value, and a near miss to suggest when there is one. */
export interface ValueProblem {
  readonly message: string;
  readonly suggestion?: string;
}

/** Where a call goes: a DN of the run (that instance) or a URI used as is. */
export type CallTarget =
  | { readonly kind: 'dn'; readonly dn: string; readonly instance: string }
  | { readonly kind: 'uri'; readonly uri: string };

/** A number against its spec's integer, min and max. */
export function checkNumber(name: string, value: number, spec: FieldSpec): ValueProblem | undefined {
  const whole = spec.integer === true;
  const range =
    spec.min !== undefined && spec.max !== undefined
      ? ` from ${spec.min} to ${spec.max}`
      : spec.min !== undefined
        ? ` of at least ${spec.min}`
        : spec.max !== undefined
          ? ` of at most ${spec.max}`
          : '';
  if ((whole && !Number.isInteger(value)) || (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    return { message: `${name} must be ${whole ? 'a whole number' : 'a number'}${range}, not ${value}` };
  }
  return undefined;
}

/** DTMF digits: each of `0-9 * # A-D` (upper case, as sipflow). */
export function checkDtmfDigits(name: string, digits: string): ValueProblem | undefined {
  for (let i = 0; i < digits.length; i++) {
    const c = digits[i]!;
    if (!DTMF_DIGITS.includes(c)) {
      const upper = c.toUpperCase();
      return {
        message: `invalid DTMF digit ${JSON.stringify(c)} at position ${i + 1} of ${name} ${JSON.stringify(digits)} (allowed: 0-9 * # A-D)`,
        ...(DTMF_DIGITS.includes(upper) ? { suggestion: digits.toUpperCase() } : {}),
      };
    }
  }
  return undefined;
}

// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved )
const USER_CHAR = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;

/** A SIP URI user part (RFC 3261 §25.1): unreserved, escaped (%XX) and user-unreserved characters. */
export function checkUser(name: string, user: string): ValueProblem | undefined {
  if (user === '') return { message: `${name} must not be empty` };
  for (let i = 0; i < user.length; i++) {
    const c = user[i]!;
    if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(user.slice(i + 1, i + 3))) {
      i += 2;
      continue;
    }
    if (!USER_CHAR.test(c)) {
      return { message: `${name} ${JSON.stringify(user)} cannot be a SIP user part: ${describeChar(c)} is not allowed (write it as %${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')} if it must be there)` };
    }
  }
  return undefined;
}

/** A host name or IP address, without a port. */
export function checkHost(name: string, host: string): ValueProblem | undefined {
  if (host === '') return { message: `${name} must not be empty` };
  if (isIP(host) !== 0 || (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6)) return undefined;
  if (/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(host)) return undefined;
  const colon = host.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(host.slice(colon + 1)) && isIP(host) === 0) {
    return { message: `${name} ${JSON.stringify(host)} has a port in it; give the port on its own`, suggestion: host.slice(0, colon) };
  }
  return { message: `${name} ${JSON.stringify(host)} is not a host name or IP address` };
}

/** `host` or `host:port` (an IPv6 address in brackets when it has a port). */
export function checkHostPort(name: string, value: string): ValueProblem | undefined {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(value);
  if (m === null) {
    return isIP(value) === 6 ? undefined : { message: `${name} ${JSON.stringify(value)} is not host or host:port` };
  }
  const hostProblem = checkHost(name, m[1]!);
  if (hostProblem) return { message: `${name} ${JSON.stringify(value)} is not host or host:port: ${hostProblem.message}` };
  if (m[2] !== undefined) {
    const port = Number(m[2]);
    if (port < 1 || port > 65_535) return { message: `${name} ${JSON.stringify(value)} has port ${m[2]}, outside 1-65535` };
  }
  return undefined;
}

/** An IPv4 or IPv6 address literal (what a socket binds to). */
export function checkIp(name: string, value: string): ValueProblem | undefined {
  return isIP(value) === 0 ? { message: `${name} must be an IP address to bind to, such as 127.0.0.1 or ::1, not ${JSON.stringify(value)}` } : undefined;
}

/** Text that goes into a header value: no line breaks or other control characters. */
export function checkHeaderText(name: string, value: string): ValueProblem | undefined {
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u0008\u000a-\u001f\u007f]/.exec(value);
  return bad ? { message: `${name} must be one line of text: it holds ${describeChar(bad[0])}` } : undefined;
}

/**
 * A call target: a `sip:`, `sips:` or `tel:` URI (checked with our URI parser) used as is, or a DN
 * of the run. `dns` maps each DN (trimmed) to its instance.
 */
export function resolveTarget(
  name: string,
  value: string,
  dns: ReadonlyMap<string, string>,
  suggestAmong: (name: string, candidates: Iterable<string>) => string | undefined = suggest,
): CallTarget | ValueProblem {
  const target = value.trim();
  if (/^(sips?|tel):/i.test(target)) {
    try {
      parseUri(target);
    } catch (err) {
      return { message: `${name} ${JSON.stringify(target)} is not a valid URI: ${(err as { reason?: string }).reason ?? (err as Error).message}` };
    }
    return { kind: 'uri', uri: target };
  }
  const instance = dns.get(target);
  if (instance !== undefined) return { kind: 'dn', dn: target, instance };
  if (/[@:]/.test(target)) {
    return { message: `${name} ${JSON.stringify(target)} is neither a DN of this scenario nor a sip:, sips: or tel: URI`, suggestion: `sip:${target}` };
  }
  const suggestion = suggestDn(target, dns.keys(), suggestAmong);
  return { message: `target DN not found: ${target}`, ...(suggestion ? { suggestion } : {}) };
}

/** A DN near `dn` among `dns`; none for numbers (extensions one digit apart are other phones, not typos). */
export function suggestDn(
  dn: string,
  dns: Iterable<string>,
  suggestAmong: (name: string, candidates: Iterable<string>) => string | undefined = suggest,
): string | undefined {
  return /^\d+$/.test(dn) ? undefined : suggestAmong(dn, dns);
}

function describeChar(c: string): string {
  const code = c.codePointAt(0)!;
  return code > 0x20 && code < 0x7f ? `'${c}'` : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
