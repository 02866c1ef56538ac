// What the engine does on its own on a call, between nodes: keep the call's record (a 180, the
// peer's holds and resumes, DTMF, the end), follow the media through every offer/answer exchange,
// carry out a peer's REFER (the transferee's side of TRANSFERRED), and answer an INVITE with
// Replaces at once (the transfer target's side). Everything it does is logged.

import type { MediaPacket, MediaSession } from '../media/media-session.js';
import { sdpBody } from '../sip/dialog/offer-answer.js';
import { ownString } from '../sip/parser/own-string.js';
import type { IncomingCall } from '../sip/dialog/incoming-call.js';
import type { IncomingRefer } from '../sip/dialog/refer.js';
import type { DialogSession } from '../sip/dialog/session.js';
import { DEFAULT_RETRY_AFTER_S } from '../sip/transaction/layer.js';
import { randomHex } from '../sip/transaction/tags.js';
import { Call, type DtmfForm } from './call.js';
import { detectInbandDtmf } from './call-audio.js';
import { stopRecording } from './call-recording.js';
import { answerFor, applyNegotiation, audioDirection, offerFor, openMedia } from './call-media.js';
import { describeError } from './errors.js';
import { times, type InstanceRuntime } from './instance-runtime.js';
import type { RunContext } from './run-context.js';

/** The SDP port of a call without media (`--media off`): RTP to it goes nowhere (RFC 863 discard). */
export const NO_MEDIA_PORT = 9;

/** A Call-ID for a call we place: unique, and known before the INVITE goes out. */
export function newSipCallId(instance: InstanceRuntime): string {
  return `${randomHex(12)}@${instance.media.sdpAddress}`;
}

/** The user part of a SIP URI or name-addr, for logs. */
export function userOf(uri: string | undefined): string {
  if (uri === undefined) return '';
  const m = /sips?:([^@;>]+)@/i.exec(uri);
  return m?.[1] ?? uri;
}

/**
 * The call's port for the SDP when it needs no opening ({@link NO_MEDIA_PORT} without media, or the
 * port of its open session); `undefined` when {@link ensureMedia} has to open one. (Per call, the
 * handlers ask this first: a call without media does not wait on a promise for its port.)
 */
export function mediaPortNow(run: RunContext, call: Call): number | undefined {
  if (!run.settings.media) return NO_MEDIA_PORT;
  return call.media?.local.port;
}

/** Opens the call's RTP session if the run has media and it has none yet; its port for the SDP. */
export async function ensureMedia(run: RunContext, instance: InstanceRuntime, call: Call): Promise<number> {
  if (!run.settings.media) return NO_MEDIA_PORT;
  if (call.media === undefined) {
    const media = await openMedia(instance.media, run.hub.wants('rtp') ? rtpEvents(run, instance, call) : undefined);
    call.media = media;
    instance.openMediaSessions++;
    media.on('dtmf', (d) => receivedDigit(run, instance, call, d.digit, 'rfc4733'));
    if (instance.detectsInbandDtmf) call.audioTaps.push(detectInbandDtmf(media, (digit) => receivedDigit(run, instance, call, digit, 'inband')));
    media.on('error', (err) => run.log({ instanceId: instance.spec.id, callId: call.key, message: `media: ${err.message}`, level: 'warn' }));
    // A call that ended before its media opened closes it at once.
    if (call.ended) await closeMedia(run, call);
  }
  return call.media.local.port;
}

/** Within this time, the same digit in another form is the same key press sent two ways (a PBX relaying RFC 4733 and leaving the tones in the audio). */
const SAME_PRESS_MS = 1000;

/**
 * A DTMF digit arrived on the call, in one of its forms: recorded for DTMFReceived, logged,
 * reported. The same digit arriving in a second form within a second of the first is one key press
 * sent two ways: it is logged, not counted again.
 */
export function receivedDigit(run: RunContext, instance: InstanceRuntime, call: Call, digit: string, form: DtmfForm): void {
  const now = run.clock.now();
  const last = call.lastDigit;
  if (last !== undefined && !last.paired && last.digit === digit && last.form !== form && now - last.at < SAME_PRESS_MS) {
    last.paired = true;
    run.log({ instanceId: instance.spec.id, callId: call.key, message: `DTMF ${digit} also came ${form === 'rfc4733' ? 'as RFC 4733 events' : form === 'inband' ? 'as tones in the audio' : 'in a SIP INFO'}: the same key press, counted once`, level: 'debug' });
    return;
  }
  call.lastDigit = { digit, form, at: now, paired: false };
  call.record({ kind: 'dtmf', digit, via: form });
  run.log({ instanceId: instance.spec.id, callId: call.key, message: `Received DTMF: ${digit}${form === 'rfc4733' ? '' : ` (${form})`}`, level: 'debug' });
  run.media({ kind: 'dtmf-received', instanceId: instance.spec.id, ...keyOf(call), sipCallId: call.sipCallId, digits: digit, form });
}

/**
 * The digit of a DTMF INFO body: `Signal=5` in application/dtmf-relay (the de facto format, with
 * `Duration=`), or the bare digit in application/dtmf. Signal 10 and 11 are * and # (some PBXs
 * send them as numbers); anything else is not a digit.
 */
export function infoDigit(contentType: string | undefined, body: string): string | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let value: string | undefined;
  if (type === 'application/dtmf-relay') value = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(body)?.[1];
  else if (type === 'application/dtmf') value = body.trim();
  if (value === undefined) return undefined;
  const v = value.toUpperCase();
  if (v === '10') return '*';
  if (v === '11') return '#';
  return /^[0-9*#A-D]$/.test(v) ? v : undefined;
}

/** A media packet tap that turns every datagram of the call into an `rtp` run event. */
function rtpEvents(run: RunContext, instance: InstanceRuntime, call: Call): (packet: MediaPacket) => void {
  return (p) => {
    if (!run.hub.wants('rtp')) return;
    run.hub.emit({
      type: 'rtp',
      instanceId: instance.spec.id,
      protocol: p.protocol,
      direction: p.direction,
      local: p.local,
      remote: p.remote,
      ...times(run.timeUs()),
      data: Uint8Array.from(p.data),
      sipCallId: call.sipCallId,
      ...keyOf(call),
    });
  };
}

/** `{ callId }` when the call has a key, else nothing (for run events). */
export function keyOf(call: Call): { callId?: string } {
  return call.key !== undefined ? { callId: call.key } : {};
}

/**
 * Closes the call's media (idempotent), completing its recording first (with its run event);
 * `call.mediaClosed` settles when it is done.
 */
export function closeMedia(run: RunContext, call: Call): Promise<void> {
  if (call.mediaClosed !== undefined) return call.mediaClosed;
  if (call.media === undefined) return Promise.resolve();
  call.mediaClosed = (async () => {
    for (const stop of call.audioTaps.splice(0)) stop();
    await stopRecording(run, call);
    const media = call.media;
    call.media = undefined;
    await media?.close().catch(() => undefined);
    const instance = run.instances.get(call.instanceId);
    if (media !== undefined && instance !== undefined) instance.openMediaSessions--;
  })();
  return call.mediaClosed;
}

/** Applies an offer/answer exchange to the call's media, logging (not throwing) a failure. */
export function followMedia(run: RunContext, call: Call, local: string | undefined, remote: string | undefined, role: 'offerer' | 'answerer'): void {
  const media: MediaSession | undefined = call.media;
  if (media === undefined || local === undefined || remote === undefined) return;
  try {
    applyNegotiation(media, local, remote, role);
  } catch (err) {
    run.log({ instanceId: call.instanceId, callId: call.key, message: `media: cannot apply the negotiated stream: ${describeError(err)}`, level: 'warn' });
  }
}

/** Words for how a dialog ended, for logs and results. */
export function describeDialogEnd(reason: string): string {
  switch (reason) {
    case 'local-bye':
      return 'we sent BYE';
    case 'remote-bye':
      return 'the peer sent BYE';
    case 'no-ack':
      return 'our 200 OK was never ACKed';
    case 'cancelled':
      return 'the caller cancelled';
    case 'dialog-gone':
      return 'the peer no longer knows the dialog (481 or 408)';
    case 'transport':
      return 'a message could not be sent';
    case 'closed':
      return 'the user agent closed';
    case 'rejected':
      return 'the call was refused';
    case 'replaced':
      return 'another call replaced it (RFC 3891)';
    default:
      return reason;
  }
}

/** Ends a call: its record, its media, a log line. */
export function endCall(run: RunContext, call: Call, reason: string, detail: string, status?: number): void {
  if (call.ended) return;
  call.finish(reason, detail, status);
  call.releaseIncoming?.();
  void closeMedia(run, call);
  run.log({ instanceId: call.instanceId, callId: call.key, message: `call ${call.key ?? call.sipCallId} ended: ${reason} (${detail})`, level: 'debug' });
}

/**
 * Makes `session` the call's dialog: its re-INVITEs, REFERs and end go to the call's record. The
 * call's previous session, if any (before a transfer), no longer speaks for it.
 */
export function attachSession(run: RunContext, instance: InstanceRuntime, call: Call, session: DialogSession): void {
  const previousSipCallId = call.sipCallId;
  call.session = session;
  call.releaseIncoming?.();
  call.sipCallId = session.callId;
  if (previousSipCallId !== session.callId) run.store.renamed(call, previousSipCallId);
  const current = (): boolean => call.session === session;

  session.on('reinvite', (e) => {
    if (!current()) return;
    const peerOffered = sdpBody(e.request) !== undefined;
    followMedia(run, call, e.localSdp, e.remoteSdp, peerOffered ? 'answerer' : 'offerer');
    if (!peerOffered || e.remoteSdp === undefined) return;
    // The peer's offer says what it wants: sendonly or inactive is a hold (RFC 3264 §8.4).
    const direction = audioDirection(e.remoteSdp);
    const holding = direction === 'sendonly' || direction === 'inactive';
    const note = { direction: 'received' as const, method: 'INVITE', responseCode: 200, callId: call.key ?? '', from: call.peer, to: instance.spec.user, note: direction };
    if (holding && !heldByPeer.has(call)) {
      heldByPeer.add(call);
      call.record({ kind: 'held', direction });
      run.log({ instanceId: instance.spec.id, callId: call.key, message: 'Call HELD by remote party', sipMessage: note });
      run.media({ kind: 'held', instanceId: instance.spec.id, ...keyOf(call), sipCallId: call.sipCallId, by: 'peer', direction });
    } else if (!holding && heldByPeer.has(call)) {
      heldByPeer.delete(call);
      call.record({ kind: 'retrieved', direction });
      run.log({ instanceId: instance.spec.id, callId: call.key, message: 'Call RETRIEVED by remote party', sipMessage: note });
      run.media({ kind: 'resumed', instanceId: instance.spec.id, ...keyOf(call), sipCallId: call.sipCallId, by: 'peer', direction });
    } else {
      run.log({ instanceId: instance.spec.id, callId: call.key, message: `re-INVITE from the peer, direction ${direction} unchanged`, level: 'debug', sipMessage: note });
    }
  });

  // DTMF in SIP INFO (application/dtmf-relay or application/dtmf), as many PBXs send it.
  session.on('info', ({ request }) => {
    if (!current()) return;
    const digit = infoDigit(request.contentType, Buffer.from(request.body).toString('utf8'));
    if (digit === undefined) return;
    receivedDigit(run, instance, call, digit, 'info');
  });

  session.on('refer', (refer) => {
    if (!current()) {
      refer.reject(603);
      return;
    }
    void carryOutRefer(run, instance, call, session, refer);
  });

  const ended = (): void => {
    if (!current() || call.transfers > 0) return;
    const reason = session.endReason?.reason ?? 'ended';
    endCall(run, call, reason, describeDialogEnd(reason));
  };
  // A session can end before it reaches us (the caller's BYE stood in for a lost ACK and ended it
  // before this step's turn): end the call once the step that took the session has finished.
  if (session.endReason !== undefined) run.clock.setTimer(0, ended);
  else session.on('ended', ended);
}

/** Calls on hold by their peer (the state HELD/RETRIEVED compare with). */
const heldByPeer = new WeakSet<Call>();

/**
 * The transferee's side (RFC 3515 §2.4.2): accept the REFER, call the Refer-To target on the
 * call's own RTP port (with Replaces when the Refer-To carries one), and once the new call is
 * confirmed it takes the key, media included. The old dialog's end does not end the call.
 */
async function carryOutRefer(run: RunContext, instance: InstanceRuntime, call: Call, old: DialogSession, refer: IncomingRefer): Promise<void> {
  const target = String(refer.target);
  const replaces = refer.replaces !== undefined;
  call.record({ kind: 'refer', target, replaces });
  run.log({
    instanceId: instance.spec.id,
    callId: call.key,
    message: `REFER received${replaces ? ' with Replaces' : ''}: Refer-To=${target}`,
    sipMessage: { direction: 'received', method: 'REFER', responseCode: 202, callId: call.key ?? '', from: call.peer, to: userOf(target) },
  });
  call.transfers++;
  try {
    const port = mediaPortNow(run, call) ?? (await ensureMedia(run, instance, call));
    const session = await refer.accept({ sdp: offerFor(instance.media, port), callId: newSipCallId(instance) });
    heldByPeer.delete(call);
    attachSession(run, instance, call, session);
    followMedia(run, call, session.localSdp, session.remoteSdp, 'offerer');
    call.peer = userOf(target);
    call.record({ kind: 'transferred', target, replaces, sipCallId: session.callId });
    run.log({
      instanceId: instance.spec.id,
      callId: call.key,
      message: `TransferEvent: session replaced with new ${replaces ? 'Replaces ' : ''}dialog`,
      sipMessage: { direction: 'sent', method: 'INVITE', responseCode: 200, callId: call.key ?? '', from: instance.spec.user, to: userOf(target) },
    });
  } catch (err) {
    const status = (err as { status?: number }).status ?? 500;
    const reason = (err as { reason?: string }).reason ?? describeError(err);
    call.record({ kind: 'transfer-failed', target, status, reason });
    run.log({ instanceId: instance.spec.id, callId: call.key, message: `TransferEvent: INVITE to Refer-To failed: ${status} ${reason}`, level: 'error' });
  } finally {
    call.transfers--;
    // The old dialog may have ended while the transfer ran (the transferor's BYE): if the call
    // still rests on it, that end is the call's.
    if (call.session === old && old.endReason !== undefined) {
      const reason = old.endReason.reason;
      endCall(run, call, reason, describeDialogEnd(reason));
    }
  }
}

/**
 * An INVITE that arrived on an instance. With a Replaces that names one of our calls (RFC 3891
 * §3), it is answered at once on that call's media and takes its key: a replacing call is not
 * alerted. Otherwise it waits in the instance's queue for an INCOMING node (503 with Retry-After
 * when the queue is full), ringing unless the instance says `autoRinging: false`.
 */
export function receiveInvite(run: RunContext, instance: InstanceRuntime, incoming: IncomingCall): void {
  const peer = userOf(incoming.fromUri);
  const replaced = replacedCall(run, instance, incoming);
  if (replaced !== undefined) {
    void answerReplacing(run, instance, replaced, incoming, peer);
    return;
  }
  // (Own copies: sliced from the INVITE, they would keep its whole text for as long as the call lasts.)
  const call = new Call({ instanceId: instance.spec.id, direction: 'incoming', phase: 'queued', sipCallId: ownString(incoming.callId ?? ''), peer: ownString(peer), clock: run.clock });
  call.incoming = incoming;
  run.store.track(call);
  if (!instance.enqueue(call)) {
    // RFC 3261 §21.5.4: overloaded, try again later (a flood must not queue without bound).
    incoming.reject(503, 'Service Unavailable', { headers: { 'Retry-After': String(run.settings.limits?.retryAfterS ?? DEFAULT_RETRY_AFTER_S) } });
    endCall(run, call, 'rejected', `the incoming queue is full (${run.settings.queueLimit}): 503 Service Unavailable`, 503);
    run.log({ instanceId: instance.spec.id, message: `INVITE from ${peer} refused with 503: ${run.settings.queueLimit} calls are already waiting`, level: 'warn' });
    return;
  }
  if (instance.spec.autoRinging) {
    try {
      incoming.ringing();
    } catch (err) {
      run.reportError(err, `instance ${instance.spec.id}: 180 Ringing`);
    }
  }
  const stopListening = incoming.onEnd(({ reason }) => {
    if (call.session !== undefined) return; // answered: the session speaks for the call now
    instance.dequeue(call);
    endCall(run, call, reason, describeDialogEnd(reason));
  });
  // Once answered or ended the listener has nothing to do; the stack keeps the IncomingCall a while
  // longer (its transaction's Accepted state), and must not keep the call and its run through it.
  // Nor does the call keep the IncomingCall (its INVITE, transaction and their parsed messages):
  // every use of it is for an unanswered call, and a held call may last hours.
  call.releaseIncoming = () => {
    stopListening();
    if (call.incoming === incoming && incoming.state !== 'pending') {
      call.incoming = undefined;
      call.releaseIncoming = undefined;
    }
  };
}

/**
 * The live call of ours an INVITE with Replaces names (the stack has matched the dialog, RFC 3891
 * §3): a confirmed call, or our outgoing call still ringing (call pickup).
 */
function replacedCall(run: RunContext, instance: InstanceRuntime, incoming: IncomingCall): Call | undefined {
  const mine = (c: Call): boolean => c.instanceId === instance.spec.id && !c.ended;
  if (incoming.replaces !== undefined) return run.store.calls.find((c) => mine(c) && c.session === incoming.replaces);
  const early = incoming.replacesEarlyCallId;
  if (early === undefined) return undefined;
  return run.store.calls.find((c) => mine(c) && c.direction === 'outgoing' && c.session === undefined && c.sipCallId === early);
}

/**
 * The transfer target's side: answer an INVITE with Replaces on the replaced call's media, under
 * its key. When the replaced call is our INVITE still ringing (call pickup), the stack CANCELs
 * that INVITE once the new call is confirmed, and MakeCall completes with the new call.
 */
async function answerReplacing(run: RunContext, instance: InstanceRuntime, call: Call, incoming: IncomingCall, peer: string): Promise<void> {
  const offer = incoming.remoteSdp;
  const early = call.session === undefined;
  call.transfers++;
  try {
    const port = mediaPortNow(run, call) ?? (await ensureMedia(run, instance, call));
    const sdp = offer !== undefined ? answerFor(instance.media, offer, port) : offerFor(instance.media, port);
    const session = await incoming.answer(sdp);
    if (early && call.session !== undefined) {
      // The callee answered our INVITE first: that call stands; the one that came to take it over goes.
      run.log({ instanceId: instance.spec.id, callId: call.key, message: `INVITE with Replaces from ${peer} came too late (the call was answered meanwhile): sending BYE`, level: 'warn' });
      await session.bye().catch(() => undefined);
      return;
    }
    heldByPeer.delete(call);
    attachSession(run, instance, call, session);
    followMedia(run, call, sdp, offer ?? session.remoteSdp, offer !== undefined ? 'answerer' : 'offerer');
    call.peer = peer;
    if (early) {
      call.phase = 'confirmed';
      call.answeredAt = run.clock.now();
      call.record({ kind: 'answered' });
      call.pickedUp?.();
    }
    run.log({
      instanceId: instance.spec.id,
      callId: call.key,
      message: early
        ? `INVITE with Replaces from ${peer}: our ringing call ${call.key ?? call.sipCallId} was picked up; answered at once, our INVITE is CANCELled`
        : `INVITE with Replaces from ${peer}: answered at once; call ${call.key ?? call.sipCallId} continues with ${peer}`,
      sipMessage: { direction: 'received', method: 'INVITE', responseCode: 200, callId: call.key ?? '', from: peer, to: instance.spec.user },
    });
  } catch (err) {
    run.log({ instanceId: instance.spec.id, callId: call.key, message: `INVITE with Replaces from ${peer} could not be answered: ${describeError(err)}`, level: 'error' });
    if (incoming.state === 'pending') incoming.reject(500);
  } finally {
    call.transfers--;
  }
}
