// An instance's settings with every default applied, the same for both formats except the few
// defaults sipflow JSON and the compact format differ on (dn, label, register).

import type { AudioCodecName } from '../../sdp/codecs.js';
import { INSTANCE_FIELDS, KNOWN_CODECS } from './catalog.js';
import type { ScenarioFormat, ScenarioInstance } from './model.js';

/** An instance's settings, resolved. */
export interface EffectiveInstance {
  /** The DN, trimmed ('' when sipflow JSON gives none). */
  readonly dn: string;
  /** The DN as written, before trimming (for the warning that it was trimmed). */
  readonly dnAsWritten: string;
  readonly label: string;
  readonly displayName: string | undefined;
  /** `pbx` when pbxHost is set. */
  readonly mode: 'local' | 'pbx';
  readonly pbxHost: string;
  /** The PBX port as a number; `undefined` when none was given; `NaN` when the given one is not a port. */
  readonly pbxPort: number | undefined;
  /** The transport, trimmed; `UDP` when none or an empty one is given (as sipflow's normalizeTransport). */
  readonly pbxTransport: string;
  /** `register` as written or defaulted (sipflow JSON: true; compact: true when pbxHost is set). */
  readonly registerRequested: boolean;
  /** Whether the instance REGISTERs: requested and in PBX mode. */
  readonly register: boolean;
  readonly registerIntervalSeconds: number;
  /** The codecs as listed (unknown names included). */
  readonly codecsListed: readonly string[];
  /** The codecs that will be offered, in order, without unknown names and repeats. */
  readonly codecs: readonly AudioCodecName[];
  readonly authUsername: string;
  readonly password: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly rtpPortRange: { readonly min: number; readonly max: number } | undefined;
  readonly userAgent: string | undefined;
  readonly autoRinging: boolean;
  /** Record every call: the received audio (`mono`), both directions (`stereo`), or not at all. */
  readonly record: 'off' | 'mono' | 'stereo';
  readonly color: string | undefined;
}

/** Applies the defaults of `format` to an instance's settings. */
export function effectiveInstance(instance: ScenarioInstance, format: ScenarioFormat): EffectiveInstance {
  const s = instance.settings;
  const text = (key: keyof typeof INSTANCE_FIELDS): string | undefined => (typeof s[key] === 'string' ? (s[key] as string) : undefined);
  const dnAsWritten = text('dn') ?? (format === 'compact' ? instance.id : '');
  const label = text('label') ?? (format === 'compact' ? instance.id : '');
  const pbxHost = (text('pbxHost') ?? '').trim();
  const mode = pbxHost === '' ? 'local' : 'pbx';
  const registerRequested = typeof s.register === 'boolean' ? s.register : format === 'sipflow' || mode === 'pbx';
  const interval = typeof s.registerIntervalSeconds === 'number' ? Math.trunc(s.registerIntervalSeconds) : 300;
  const codecsListed = Array.isArray(s.codecs) ? (s.codecs as string[]) : KNOWN_CODECS;
  const codecs: AudioCodecName[] = [];
  for (const name of codecsListed) {
    if ((KNOWN_CODECS as readonly string[]).includes(name) && !codecs.includes(name as AudioCodecName)) codecs.push(name as AudioCodecName);
  }
  const dn = dnAsWritten.trim();
  const range = s.rtpPortRange as { min: unknown; max: unknown } | undefined;
  return {
    dn,
    dnAsWritten,
    label,
    displayName: text('displayName') ?? (label !== '' ? label : undefined),
    mode,
    pbxHost,
    pbxPort: portNumber(s.pbxPort),
    pbxTransport: (text('pbxTransport') ?? '').trim() || 'UDP',
    registerRequested,
    register: registerRequested && mode === 'pbx',
    registerIntervalSeconds: interval > 0 ? interval : 300,
    codecsListed,
    codecs,
    authUsername: text('authUsername') ?? dn,
    password: text('password'),
    host: text('host'),
    port: typeof s.port === 'number' ? s.port : undefined,
    rtpPortRange: range !== undefined && typeof range.min === 'number' && typeof range.max === 'number' ? { min: range.min, max: range.max } : undefined,
    userAgent: text('userAgent'),
    autoRinging: typeof s.autoRinging === 'boolean' ? s.autoRinging : true,
    record: s.record === true ? (s.recordStereo === true ? 'stereo' : 'mono') : 'off',
    color: text('color'),
  };
}

/** A port given as a number or a string of digits; `undefined` for none or '', `NaN` when it is not a port. */
function portNumber(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    const t = value.trim();
    if (t === '') return undefined;
    if (!/^\d+$/.test(t)) return NaN;
    value = Number(t);
  }
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535 ? value : NaN;
}
