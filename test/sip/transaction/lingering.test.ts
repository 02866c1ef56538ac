// Which transactions only linger (absorb retransmissions until their last timer), and what
// retire() does: the layer ends the oldest of these early when its table is full (layer.ts
// makeRoom; the user agent's limits test shows it end to end).
import { describe, expect, it } from 'vitest';
import type { SipResponse } from '../../../src/sip/parser/index.js';
import { InviteClientTransaction } from '../../../src/sip/transaction/invite-client.js';
import { InviteServerTransaction } from '../../../src/sip/transaction/invite-server.js';
import { NonInviteClientTransaction } from '../../../src/sip/transaction/non-invite-client.js';
import { NonInviteServerTransaction } from '../../../src/sip/transaction/non-invite-server.js';
import { harness, reply, request } from './harness.js';

/** A user that records when it heard of the end. */
function user(clock: { now(): number }) {
  const heard: string[] = [];
  return { heard, tu: { response: (r: SipResponse) => heard.push(String(r.status)), terminated: () => heard.push(`terminated at ${clock.now()}`) } };
}

describe('lingering and retire()', () => {
  it('non-INVITE server: lingering only in Completed; retired, it ends as Timer J would, and absorbs nothing more', () => {
    const h = harness();
    const { heard, tu } = user(h.clock);
    const req = request('OPTIONS');
    const tx = new NonInviteServerTransaction(req, h.ctx, tu);
    tx.start();
    expect(tx.lingering).toBe(false); // Trying
    expect(tx.retire()).toBe(false);
    tx.respond(reply(req, 100));
    expect(tx.lingering).toBe(false); // Proceeding
    tx.respond(reply(req, 200));
    expect([tx.state, tx.lingering, tx.runningTimers]).toEqual(['Completed', true, ['J']]);
    h.clock.advance(1000);
    expect(tx.retire()).toBe(true);
    expect([tx.state, tx.runningTimers, heard]).toEqual(['Terminated', [], ['terminated at 1000']]);
    const sent = h.sent.length;
    tx.receiveRequest(req);
    expect(h.sent.length).toBe(sent);
    expect([tx.lingering, tx.retire()]).toEqual([false, false]);
  });

  it('INVITE server: not lingering in Accepted until the 2xx is acknowledged (the TU still re-sends it through the transaction); lingering in Confirmed', () => {
    const h = harness();
    const { heard, tu } = user(h.clock);
    const req = request('INVITE');
    const tx = new InviteServerTransaction(req, h.ctx, tu);
    tx.start();
    expect(tx.lingering).toBe(false); // Proceeding
    tx.respond(reply(req, 200));
    expect([tx.state, tx.lingering, tx.retire()]).toEqual(['Accepted', false, false]);
    tx.acknowledged();
    expect([tx.state, tx.lingering]).toEqual(['Accepted', true]);
    expect(tx.retire()).toBe(true);
    expect([tx.state, tx.runningTimers, heard]).toEqual(['Terminated', [], ['terminated at 0']]);

    const req2 = request('INVITE', 'z9hG4bKtest2');
    const tx2 = new InviteServerTransaction(req2, h.ctx, tu);
    tx2.start();
    tx2.respond(reply(req2, 486));
    expect([tx2.state, tx2.lingering]).toEqual(['Completed', false]); // re-sending its final until the ACK
    tx2.receiveRequest(request('ACK', 'z9hG4bKtest2'));
    expect([tx2.state, tx2.lingering, tx2.retire(), tx2.state]).toEqual(['Confirmed', true, true, 'Terminated']);
  });

  it('non-INVITE client: lingering in Completed (Timer K); INVITE client: in Completed (Timer D) and Accepted (Timer M)', () => {
    const h = harness();
    const { heard, tu } = user(h.clock);
    const bye = request('BYE');
    const nic = new NonInviteClientTransaction(bye, h.ctx, tu);
    nic.start();
    expect(nic.lingering).toBe(false); // Trying
    nic.receiveResponse(reply(bye, 200));
    expect([nic.state, nic.lingering, nic.retire(), nic.state]).toEqual(['Completed', true, true, 'Terminated']);
    expect(heard).toEqual(['200', 'terminated at 0']);

    const invite = request('INVITE', 'z9hG4bKtest3');
    const ic = new InviteClientTransaction(invite, h.ctx, tu);
    ic.start();
    ic.receiveResponse(reply(invite, 180));
    expect([ic.state, ic.lingering]).toEqual(['Proceeding', false]);
    ic.receiveResponse(reply(invite, 200));
    expect([ic.state, ic.lingering, ic.retire(), ic.state, ic.runningTimers]).toEqual(['Accepted', true, true, 'Terminated', []]);

    const invite2 = request('INVITE', 'z9hG4bKtest4');
    const ic2 = new InviteClientTransaction(invite2, h.ctx, tu);
    ic2.start();
    ic2.receiveResponse(reply(invite2, 486));
    expect([ic2.state, ic2.lingering, ic2.retire(), ic2.state]).toEqual(['Completed', true, true, 'Terminated']);
  });
});
