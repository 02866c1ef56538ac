// One RTP media session per dialog (RFC 3550, RFC 3551 G.711, RFC 4733 DTMF): sends on the shared
// 20 ms ticker (audio from a playback, else silence; DTMF events in place of audio), receives and
// decodes, records, detects digits, follows the peer's source address (symmetric RTP), and sends
// RTCP reports.

import type { Socket, RemoteInfo } from 'node:dgram';
import { type Clock, sharedRealClock } from '../sip/transport/clock.js';
import type { Endpoint } from '../sip/transport/transport.js';
import type { MediaDirection } from '../sdp/model.js';
import { TypedEmitter } from '../sip/dialog/emitter.js';
import { decodeTelephoneEvent, type DtmfPlannedPacket, planDigits } from './dtmf.js';
import { DtmfReceiver } from './dtmf-receiver.js';
import { MediaError } from './errors.js';
import { codecFor, G711_FRAME_SAMPLES, type G711Codec } from './g711.js';
import { RtcpReporter } from './rtcp-reporter.js';
import { decodeRtp, encodeRtp, RtpError, tsAdd, seqAdd } from './rtp-packet.js';
import { bindRtpPair, type RtpSocketPair } from './rtp-socket.js';
import { ReceptionStats, SendStats } from './rtp-stats.js';
import { BurstEstimator } from './quality/burst.js';
import { tickerFor, type TickListener } from './ticker.js';
import type { DtmfEvent, MediaParameters, MediaSessionEvents, MediaSessionOptions, MediaStats } from './media-types.js';
import { Recording, StereoRecording } from './recording.js';
import { readWavFile, toTelephony, type WavAudio } from './wav.js';
import { Playback, type PlaybackResult } from './playback.js';

export type { DtmfEvent, MediaPacket, MediaParameters, MediaSessionEvents, MediaSessionOptions, MediaStats } from './media-types.js';

// Scratch for the frame being encoded, shared by every session: a tick is synchronous and the RTP
// packet gets a copy, so one pair serves a thousand sessions and stays in cache, where a pair per
// session would be 480 KB touched every 20 ms.
const FRAME = new Int16Array(G711_FRAME_SAMPLES);
const PAYLOAD = new Uint8Array(G711_FRAME_SAMPLES);

interface SendingDtmf {
  plan: DtmfPlannedPacket[];
  next: number;
  /** Ticks spent on this plan so far: the plan's clock (20 ms per tick, from its first tick). */
  ticks: number;
  baseTs: number;
  done: () => void;
  /** The session closed before the last end packet went out. */
  fail: (error: MediaError) => void;
}

/**
 * RTP for one call: `open()` binds the ports, `update()` applies the negotiated SDP (again after
 * each re-INVITE), `play()` sends audio, `sendDtmf()` sends RFC 4733 digits, `record()` writes
 * what arrives to a WAV file, `stats()` reports.
 *
 * @example
 * ```ts
 * const media = await MediaSession.open({ host: '127.0.0.1' });
 * const offer = createOffer({ address: '127.0.0.1', port: media.local.port });
 * // … after the answer:
 * media.update(negotiated(offer, answer, 'offerer')!);
 * await media.play('prompt.wav');
 * await media.sendDtmf('1234#');
 * await media.close();
 * ```
 */
export class MediaSession extends TypedEmitter<MediaSessionEvents> implements TickListener {
  /** Where we receive RTP (RTCP on port + 1). */
  readonly local: Endpoint;
  private readonly sockets: RtpSocketPair;
  private readonly clock: Clock;
  private readonly options: MediaSessionOptions;
  private params: MediaParameters | undefined;
  private g711: G711Codec | undefined;
  private remote: Endpoint | undefined;
  /** The peer an update() moved the stream away from: what it still sends is ignored. */
  private abandoned: Endpoint | undefined;
  private readonly ssrc: number;
  private seq: number;
  private ts: number;
  private marker = true;
  private readonly sendStats = new SendStats();
  private readonly recvStats = new ReceptionStats();
  /** The loss pattern of the received stream, for its burst ratio (G.107 §7.5). */
  private readonly bursts = new BurstEstimator();
  private readonly dtmfReceiver: DtmfReceiver;
  private readonly received: DtmfEvent[] = [];
  private readonly playbacks: Playback[] = [];
  private dtmf: SendingDtmf | undefined;
  /** sendDtmf() calls waiting for the one in progress: `start(true)` begins, `start(false)` gives up (close). */
  private readonly dtmfQueue: Array<(run: boolean) => void> = [];
  private dtmfSent = 0;
  private ignored = 0;
  /** Packets and payload bytes received from sources before the current one (a new SSRC restarts the reception statistics). */
  private earlierPackets = 0;
  private earlierBytes = 0;
  private recording: Recording | undefined;
  private stereo: StereoRecording | undefined;
  private readonly rtcp: RtcpReporter;
  private closed = false;
  private ticking = false;
  /** Whether the RTP socket is connected to the latched peer (see latch). */
  private connectState: 'none' | 'connecting' | 'connected' = 'none';
  /** Clock time of the last tick this session took part in. */
  private lastTick: number | undefined;

  private constructor(sockets: RtpSocketPair, host: string, options: MediaSessionOptions, clock: Clock) {
    super();
    this.sockets = sockets;
    this.local = { address: host, port: sockets.port };
    this.options = options;
    this.clock = clock;
    const random = options.random ?? Math.random;
    // RFC 3550 §5.1: random initial sequence number and timestamp; §8.1 random SSRC.
    this.ssrc = Math.floor(random() * 0x1_0000_0000) >>> 0;
    this.seq = Math.floor(random() * 0x10000);
    this.ts = Math.floor(random() * 0x1_0000_0000) >>> 0;
    this.dtmfReceiver = new DtmfReceiver({ clock, onDigit: (d) => this.digit(d) });
    sockets.rtp.on('message', (msg, rinfo) => this.receiveRtp(msg, rinfo));
    for (const s of [sockets.rtp, sockets.rtcp]) s.on('error', (err) => this.emit('error', new MediaError('socket', `RTP socket error: ${err.message}`, { cause: err })));
    this.rtcp = new RtcpReporter({
      socket: sockets.rtcp,
      clock,
      ssrc: this.ssrc,
      sendStats: this.sendStats,
      recvStats: this.recvStats,
      cname: options.cname ?? `sipflow@${host}`,
      intervalMs: options.rtcpIntervalMs ?? 5000,
      random,
      onPackets: (packets) => this.emit('rtcp', packets),
      ...(options.packetTap !== undefined ? { tap: options.packetTap, local: { address: host, port: sockets.port + 1 } } : {}),
      onIgnored: () => void this.ignored++,
    });
  }

  /**
   * Binds an RTP/RTCP port pair and returns an idle session (nothing is sent until
   * {@link update} gives it a peer).
   *
   * @throws MediaError `no-port` / `bad-port-range`.
   */
  static async open(options: MediaSessionOptions = {}): Promise<MediaSession> {
    const host = options.host ?? '0.0.0.0';
    const sockets = await bindRtpPair(host, options.portRange, options.random);
    return new MediaSession(sockets, host, options, options.clock ?? sharedRealClock());
  }

  /** The RTP encoding name of the negotiated codec (`PCMU` or `PCMA`, as negotiated), undefined before {@link update}. */
  get codec(): string | undefined {
    return this.params?.codec;
  }

  /** The direction in force (`inactive` before {@link update}). */
  get direction(): MediaDirection {
    return this.params?.direction ?? 'inactive';
  }

  /**
   * Applies a negotiated stream (after the answer, and after every re-INVITE): codec, payload
   * types, where to send, and the direction — nothing is sent while it is `recvonly` or
   * `inactive`, and sending resumes (with the marker bit) when it allows sending again. When the
   * stream moves to another peer, packets still arriving from the previous one are ignored (they
   * would otherwise pull the stream back through symmetric RTP).
   *
   * @throws MediaError `no-codec` for a codec other than PCMU/PCMA, `bad-parameters` for a bad address or port.
   */
  update(params: MediaParameters): void {
    if (this.closed) throw new MediaError('closed', 'the media session is closed');
    const codec = codecFor(params.codec);
    if (codec === undefined) throw new MediaError('no-codec', `cannot send ${params.codec}: only PCMU and PCMA are supported`);
    if (!Number.isInteger(params.remotePort) || params.remotePort < 0 || params.remotePort > 65535) throw new MediaError('bad-parameters', `bad remote port ${params.remotePort}`);
    const wasSending = this.canSend;
    const addressChanged = this.params === undefined || this.params.remoteAddress !== params.remoteAddress || this.params.remotePort !== params.remotePort;
    this.params = params;
    this.g711 = codec;
    if (addressChanged) {
      this.disconnect();
      // The peer we leave may still send for a while (a transferor until its BYE): its packets
      // must not take the stream back (symmetric RTP would follow them).
      const previous = this.remote;
      this.abandoned = previous !== undefined && (previous.address !== params.remoteAddress || previous.port !== params.remotePort) ? previous : undefined;
      this.remote = { address: params.remoteAddress, port: params.remotePort };
      this.rtcp.sendTo({ address: params.remoteAddress, port: params.remotePort + 1 });
    }
    if (!wasSending && this.canSend) this.marker = true;
    this.updateTicking();
  }

  /**
   * Plays audio: a WAV file path, parsed WAV audio, or 8 kHz mono 16-bit samples. Other rates and
   * channel counts are converted (a `note` says so). Resolves when the last packet is sent (or the
   * signal aborts) with the packets and duration sent. Playbacks queue; while the direction does
   * not allow sending, playback pauses.
   *
   * @throws WavError (rejects) for a file that is not usable PCM/float WAV.
   */
  async play(source: string | WavAudio | Int16Array, options: { signal?: AbortSignal } = {}): Promise<PlaybackResult> {
    if (this.closed) throw new MediaError('closed', 'the media session is closed');
    let samples: Int16Array;
    if (source instanceof Int16Array) samples = source;
    else {
      const audio = typeof source === 'string' ? await readWavFile(source) : source;
      const converted = toTelephony(audio);
      for (const n of [...audio.notes, ...converted.notes]) this.emit('note', n);
      samples = converted.samples;
    }
    const playback = new Playback(samples, options.signal);
    this.playbacks.push(playback);
    this.updateTicking();
    return playback.result;
  }

  /**
   * Sends digits as RFC 4733 telephone-events (start packet with the marker bit, updates every
   * 20 ms, three end packets), in place of audio. Resolves when the last end packet is sent.
   *
   * @throws DtmfError for an invalid digit or option; MediaError `no-codec` when the peer did not
   *   negotiate telephone-event, `closed` when the session is closed, or closes before the last
   *   digit began (a close during the last digit's end packets resolves: the digit went out).
   */
  sendDtmf(digits: string, options: { durationMs?: number; gapMs?: number; volume?: number } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new MediaError('closed', 'the media session is closed'));
    const pt = this.params?.telephoneEventPayloadType;
    if (pt === undefined) return Promise.reject(new MediaError('no-codec', 'the peer did not negotiate telephone-event (RFC 4733)'));
    const plan = planDigits(digits, { ...options, ptimeMs: 20, clockRate: 8000 });
    return new Promise((resolve, reject) => {
      const start = (run: boolean): void => {
        if (!run) return reject(new MediaError('closed', 'the media session closed before the digits were sent'));
        this.dtmf = { plan, next: 0, ticks: 0, baseTs: this.ts, done: resolve, fail: reject };
        this.updateTicking();
      };
      if (this.dtmf === undefined) start(true);
      else this.dtmfQueue.push(start);
    });
  }

  /**
   * Writes the received audio, decoded to 16-bit PCM 8 kHz mono, to a WAV file until
   * {@link stopRecording}; with `stereo`, both directions (received left, sent right, aligned on
   * the session's 20 ms clock).
   */
  async record(path: string, options: { stereo?: boolean } = {}): Promise<void> {
    if (this.closed) throw new MediaError('closed', 'the media session is closed');
    await this.stopRecording();
    if (options.stereo === true) {
      this.stereo = await StereoRecording.create(path);
      this.updateTicking();
    } else {
      this.recording = await Recording.create(path);
    }
  }

  /** Ends the recording and completes its file; resolves with the samples written (per channel). */
  async stopRecording(): Promise<{ samples: number; durationMs: number } | undefined> {
    const r = this.recording ?? this.stereo;
    if (r === undefined) return undefined;
    this.recording = undefined;
    this.stereo = undefined;
    this.updateTicking();
    return r.close();
  }

  /** Counters so far. */
  stats(): MediaStats {
    return {
      packetsSent: this.sendStats.packets,
      bytesSent: this.sendStats.octets,
      packetsReceived: this.earlierPackets + this.recvStats.packets,
      bytesReceived: this.earlierBytes + this.recvStats.bytes,
      lost: Math.max(0, this.recvStats.lost),
      jitterMs: this.recvStats.jitterMs,
      burstRatio: this.bursts.burstRatio,
      roundTripMs: this.rtcp.roundTripMs,
      duplicates: this.recvStats.duplicates,
      ignored: this.ignored,
      dtmfSent: this.dtmfSent,
      dtmfReceived: [...this.received],
      remoteReport: this.rtcp.remoteReport,
    };
  }

  /** Stops sending, sends RTCP BYE, completes any recording, closes the sockets. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.setTicking(false);
    for (const p of this.playbacks.splice(0)) p.finish(true);
    const sending = this.dtmf;
    if (sending !== undefined) {
      // Every digit has begun (its start packet, the one a receiver reports): it went out, though
      // its end packets are cut short. A digit that never began did not.
      let lastStart = sending.plan.length - 1;
      while (lastStart > 0 && !sending.plan[lastStart]!.marker) lastStart--;
      if (sending.next > lastStart) sending.done();
      else sending.fail(new MediaError('closed', 'the media session closed before the last digit was sent'));
    }
    this.dtmf = undefined;
    for (const start of this.dtmfQueue.splice(0)) start(false);
    for (const d of this.dtmfReceiver.flush(this.clock.now())) this.digit(d);
    this.dtmfReceiver.dispose();
    this.rtcp.stop();
    await this.stopRecording();
    await Promise.all([closeSocket(this.sockets.rtp), closeSocket(this.sockets.rtcp)]);
  }

  /**
   * A listener that threw becomes the session's `error` event (MediaError `listener`, the
   * exception as `cause`), as the SIP layers report theirs. Without an `error` listener, or when
   * the `error` listener itself threw, it is rethrown on a microtask, so it is never lost.
   */
  protected override onListenerError(err: unknown, event: string): void {
    if (event === 'error' || this.listenerCount('error') === 0) return super.onListenerError(err, event);
    const what = err instanceof Error ? err.message : String(err);
    this.emit('error', new MediaError('listener', `a '${event}' listener threw: ${what}`, { cause: err }));
  }

  /** @internal The shared ticker: one 20 ms frame. */
  tick(now: number): void {
    // Every tick is 20 ms of media time, whether or not we send (RFC 3550 §5.1: the timestamp
    // advances with the sampling clock).
    const ts = this.ts;
    this.ts = tsAdd(this.ts, G711_FRAME_SAMPLES);
    this.lastTick = now;
    if (!this.canSend) {
      this.stereo?.tick(undefined);
      this.marker = true;
      this.updateTicking();
      return;
    }
    if (this.dtmf !== undefined) {
      this.stereo?.tick(undefined);
      this.sendDtmfPackets();
      return;
    }
    let frameReady = false;
    while (this.playbacks.length > 0) {
      if (this.playbacks[0]!.nextFrame(FRAME)) {
        frameReady = true;
        break;
      }
      this.playbacks.shift(); // finished (its result is settled) or cancelled
    }
    if (!frameReady) {
      if (!this.sendsSilence) {
        this.stereo?.tick(undefined);
        this.updateTicking();
        return;
      }
      FRAME.fill(0);
    }
    this.stereo?.tick(FRAME);
    this.g711!.encode(FRAME, PAYLOAD);
    this.sendRtp(this.params!.payloadType, this.marker, ts, PAYLOAD);
    this.marker = false;
  }

  private sendDtmfPackets(): void {
    const d = this.dtmf!;
    const elapsed = 20 * d.ticks++;
    const pt = this.params!.telephoneEventPayloadType!;
    while (d.next < d.plan.length && d.plan[d.next]!.atMs <= elapsed + 0.5) {
      const p = d.plan[d.next++]!;
      // RFC 4733 §2.5.1.2: every packet of an event carries the event's start timestamp.
      this.sendRtp(pt, p.marker, tsAdd(d.baseTs, p.timestamp), p.payload);
      if (p.end && (d.plan[d.next]?.index ?? -1) !== p.index) this.dtmfSent++;
    }
    if (d.next >= d.plan.length) {
      this.dtmf = undefined;
      this.marker = true; // audio after the event starts a new talkspurt
      d.done();
      this.dtmfQueue.shift()?.(true);
      this.updateTicking();
    }
  }

  private sendRtp(payloadType: number, marker: boolean, timestamp: number, payload: Uint8Array): void {
    const remote = this.remote;
    if (remote === undefined) return;
    const bytes = encodeRtp({ marker, payloadType, sequence: this.seq, timestamp, ssrc: this.ssrc, payload });
    this.seq = seqAdd(this.seq, 1);
    this.sendStats.sent({ timestamp, payload }, this.lastTick ?? this.clock.now()); // sent within the tick
    this.options.packetTap?.({ direction: 'sent', protocol: 'rtp', local: this.local, remote, data: bytes });
    // Errors of sends without a callback arrive as the socket's 'error' event (handled above).
    // Until the connect has completed, the socket needs the address (Node throws without one).
    if (this.connectState === 'connected') this.sockets.rtp.send(bytes);
    else this.sockets.rtp.send(bytes, remote.port, remote.address);
  }

  private receiveRtp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    this.options.packetTap?.({ direction: 'received', protocol: 'rtp', local: this.local, remote: { address: rinfo.address, port: rinfo.port }, data: msg });
    let packet;
    try {
      packet = decodeRtp(msg);
    } catch (err) {
      if (err instanceof RtpError) {
        this.ignored++;
        return;
      }
      throw err;
    }
    const params = this.params;
    if (params === undefined) {
      this.ignored++;
      return;
    }
    const isEvent = packet.payloadType === params.telephoneEventPayloadType;
    if (!isEvent && packet.payloadType !== params.payloadType) {
      this.ignored++;
      return;
    }
    const abandoned = this.abandoned;
    if (abandoned !== undefined && abandoned.address === rinfo.address && abandoned.port === rinfo.port) {
      this.ignored++;
      return;
    }
    this.latch(rinfo);
    const now = this.clock.now();
    // A new source restarts the loss pattern, as it restarts the reception statistics; the packets
    // and bytes of the earlier sources stay counted for the session.
    if (this.recvStats.ssrc !== packet.ssrc) {
      this.bursts.reset();
      this.earlierPackets += this.recvStats.packets;
      this.earlierBytes += this.recvStats.bytes;
    }
    const verdict = this.recvStats.received(packet, now);
    if (verdict === 'duplicate') return;
    // Audio and telephone-events share the sequence numbers. Probation and unconfirmed jumps go in
    // too: the estimator follows RFC 3550 A.1 itself (a jump counts once the next packet confirms it).
    this.bursts.received(packet.sequence);
    if (isEvent) {
      try {
        const payload = decodeTelephoneEvent(packet.payload);
        this.dtmfReceiver.receive({ payload, timestamp: packet.timestamp, sequence: packet.sequence, marker: packet.marker, ssrc: packet.ssrc, arrivalMs: now });
      } catch {
        this.ignored++;
      }
      return;
    }
    const listening = this.listenerCount('audio') > 0;
    const receiving = params.direction === 'sendrecv' || params.direction === 'recvonly';
    if (!receiving || (this.recording === undefined && this.stereo === undefined && !listening)) return;
    const pcm = this.g711!.decode(packet.payload);
    this.recording?.write(packet.timestamp, pcm);
    this.stereo?.received(pcm);
    if (listening) this.emit('audio', { pcm, timestamp: packet.timestamp });
  }

  /** Symmetric RTP (RFC 4961; "comedia"): send where the peer's packets come from. */
  private latch(rinfo: RemoteInfo): void {
    const remote = this.remote;
    if (remote === undefined || remote.address !== rinfo.address || remote.port !== rinfo.port) {
      this.remote = { address: rinfo.address, port: rinfo.port };
      this.rtcp.sendTo({ address: rinfo.address, port: rinfo.port + 1 });
      this.emit('note', `the peer sends from ${rinfo.address}:${rinfo.port}, not from its SDP address; sending there (symmetric RTP)`);
      this.emit('remote-changed', { ...this.remote });
    }
    // Now that the peer's real address is known, connect the RTP socket to it: a connected UDP
    // socket sends for about half the CPU (no per-packet route and address handling), which is
    // what lets a thousand sessions play at once. It also filters what arrives to that peer,
    // which is why this waits for the peer's first packet (a NAT'd peer's SDP address is wrong).
    if (this.connectState === 'none') {
      this.connectState = 'connecting';
      this.sockets.rtp.connect(rinfo.port, rinfo.address, () => {
        if (this.connectState === 'connecting') this.connectState = 'connected';
      });
    }
  }

  /** Forgets the connected peer (the SDP moved the stream elsewhere): unconnected until the next latch. */
  private disconnect(): void {
    if (this.connectState === 'none') return;
    try {
      this.sockets.rtp.disconnect();
    } catch {
      // not connected yet (the connect is still resolving): nothing to undo at the socket
    }
    this.connectState = 'none';
  }

  private digit(d: DtmfEvent): void {
    this.received.push(d);
    this.emit('dtmf', d);
  }

  private get canSend(): boolean {
    const dir = this.params?.direction;
    return !this.closed && this.remote !== undefined && (dir === 'sendrecv' || dir === 'sendonly');
  }

  private get sendsSilence(): boolean {
    return this.options.silence !== false;
  }

  /** Joins the shared ticker while there is anything to send (or silence to keep up), leaves it otherwise. */
  private updateTicking(): void {
    // A stereo recording needs every tick, sending or not, to keep both channels in time.
    const want = (this.canSend && (this.sendsSilence || this.playbacks.length > 0 || this.dtmf !== undefined)) || (this.stereo !== undefined && !this.closed);
    this.setTicking(want);
  }

  private setTicking(on: boolean): void {
    if (on === this.ticking) return;
    this.ticking = on;
    if (on && this.lastTick !== undefined) {
      // RFC 3550 §5.1: the timestamp follows the sampling clock through silent periods, so the
      // first packet after a pause (hold, nothing to play) is as far ahead as the time that passed.
      const frames = Math.floor((this.clock.now() - this.lastTick) / 20);
      if (frames > 1) this.ts = tsAdd(this.ts, (frames - 1) * G711_FRAME_SAMPLES);
    }
    const ticker = tickerFor(this.clock, 20);
    if (on) ticker.add(this);
    else ticker.delete(this);
  }
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

export type { PlaybackResult };
