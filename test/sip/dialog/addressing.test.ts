import { describe, expect, it } from 'vitest';
import { outOfDialogRequest } from '../../../src/sip/dialog/addressing.js';
import { parseUri } from '../../../src/sip/parser/index.js';

describe('outOfDialogRequest', () => {
  const target = parseUri('sip:bob@192.0.2.2:5062;transport=udp');

  it('From: our identity with a new tag each time; To: the target without tag; Call-ID at our host', () => {
    const identity = { user: 'al ice', displayName: 'Alice "A"' };
    const a = outOfDialogRequest(identity, '<sip:alice@192.0.2.1:5070>', undefined, 'INVITE', target, {});
    const b = outOfDialogRequest(identity, '<sip:alice@192.0.2.1:5070>', undefined, 'INVITE', target, {});
    expect(a.header('from')).toMatch(/^"Alice \\"A\\"" <sip:al%20ice@192\.0\.2\.1>;tag=[A-Za-z0-9_-]+$/);
    expect(a.from!.tag).not.toBe(b.from!.tag);
    expect(a.header('to')).toBe('<sip:bob@192.0.2.2:5062;transport=udp>');
    expect(a.to!.tag).toBeUndefined();
    expect(a.callId).toMatch(/@192\.0\.2\.1$/);
    expect(a.cseq).toMatchObject({ seq: 1, method: 'INVITE' });
  });

  it('follows an identity changed in place, and a new Contact', () => {
    const identity: { user: string; displayName?: string; domain?: string } = { user: 'alice' };
    expect(outOfDialogRequest(identity, '<sip:alice@192.0.2.1:5070>', undefined, 'OPTIONS', target, {}).from!.uri.toString()).toBe('sip:alice@192.0.2.1');
    identity.domain = 'example.com';
    identity.displayName = 'Al';
    const changed = outOfDialogRequest(identity, '<sip:alice@192.0.2.1:5070>', undefined, 'OPTIONS', target, {});
    expect(changed.from!.uri.toString()).toBe('sip:alice@example.com');
    expect(changed.from!.displayName).toBe('Al');
    identity.user = 'carol';
    delete identity.domain;
    const moved = outOfDialogRequest(identity, '<sip:carol@198.51.100.7:5070>', undefined, 'OPTIONS', target, {});
    expect(moved.from!.uri.toString()).toBe('sip:carol@198.51.100.7');
    expect(moved.callId).toMatch(/@198\.51\.100\.7$/);
  });
});
