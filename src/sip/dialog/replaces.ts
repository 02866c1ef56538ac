// The Replaces header (RFC 3891): which dialog an INVITE replaces, written from the point of view
// of the UA that receives the INVITE.

import type { DialogId } from './dialog.js';

/**
 * A Replaces value: the dialog to replace as its recipient knows it (RFC 3891 §3, §6.1): `toTag`
 * is the recipient's local tag, `fromTag` its remote tag.
 */
export interface ReplacesTarget {
  readonly callId: string;
  readonly toTag: string;
  readonly fromTag: string;
  /** `early-only`: replace the dialog only while it is early (RFC 3891 §6.1). */
  readonly earlyOnly: boolean;
}

/**
 * The Replaces value that makes the peer of `dialog` replace it (attended transfer: the
 * transferor builds it from its dialog with the target, RFC 3891 §4, RFC 5589 §7). Seen from the
 * target, its own tag — our remote tag — is the to-tag.
 */
export function replacesFor(dialog: DialogId, earlyOnly = false): ReplacesTarget {
  return { callId: dialog.callId, toTag: dialog.remoteTag, fromTag: dialog.localTag, earlyOnly };
}

/** `callid;to-tag=…;from-tag=…[;early-only]` (RFC 3891 §6.1). */
export function formatReplaces(r: ReplacesTarget): string {
  return `${r.callId};to-tag=${r.toTag};from-tag=${r.fromTag}${r.earlyOnly ? ';early-only' : ''}`;
}

/**
 * Parses a Replaces value (RFC 3891 §6.1: `callid *(SEMI replaces-param)` with exactly one
 * to-tag and one from-tag). Returns `undefined` when it is malformed (the UAS answers 400).
 */
export function parseReplaces(value: string): ReplacesTarget | undefined {
  const parts = value.split(';').map((p) => p.trim());
  const callId = parts[0] ?? '';
  if (callId === '' || /[\s<>"]/.test(callId)) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? undefined : part.slice(eq + 1).trim();
    if (name === 'to-tag') {
      if (toTag !== undefined || v === undefined || v === '') return undefined;
      toTag = v;
    } else if (name === 'from-tag') {
      if (fromTag !== undefined || v === undefined || v === '') return undefined;
      fromTag = v;
    } else if (name === 'early-only') {
      earlyOnly = true;
    } else if (name === '') {
      return undefined;
    }
  }
  if (toTag === undefined || fromTag === undefined) return undefined;
  return { callId, toTag, fromTag, earlyOnly };
}
