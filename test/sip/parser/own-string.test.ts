import { describe, expect, it } from 'vitest';
import { ownString } from '../../../src/sip/parser/own-string.js';

describe('ownString', () => {
  it('is equal to what it copies, whatever the characters', () => {
    const invite = 'INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: a84b4c76e66710@pc33.atlanta.com\r\n';
    const callId = invite.slice(invite.indexOf('Call-ID: ') + 9, invite.indexOf('\r\n', 40));
    for (const s of [callId, '', 'x', '"Ünïcødé" <sip:ü@host>;tag=😀', `${'<sip:a@b>'};tag=${Math.random()}`, '\u0000\r\n\\"']) {
      expect(ownString(s)).toBe(s);
    }
  });
});
