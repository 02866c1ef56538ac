// The RTCP side of a media session (RFC 3550 §6): a compound report (SR while we send, else RR,
// with SDES CNAME) at a randomised interval to where the peer's RTCP comes from, BYE at the end,
// and what the peer's reports say about our stream.

import type { RemoteInfo, Socket } from 'node:dgram';
import type { Clock } from '../sip/transport/clock.js';
import type { Endpoint } from '../sip/transport/transport.js';
import type { MediaPacket, MediaStats } from './media-types.js';
import { decodeRtcpCompound, encodeRtcpCompound } from './rtcp-codec.js';
import { ntpFromUnixMs, roundTripMs, type RtcpPacket, type RtcpReportBlock } from './rtcp-packet.js';
import type { ReceptionStats, SendStats } from './rtp-stats.js';
import { tickerFor, type TickListener } from './ticker.js';

/**
 * How often due reports are looked for. Every session's reports go out on one shared 100 ms
 * heartbeat rather than on a timer each: a thousand sessions then wake the process (and, on
 * loopback, their peers) ten times a second for RTCP, not two hundred. A report goes out at most
 * 100 ms after its randomised time, which RFC 3550 §6.3 allows.
 */
const RTCP_CHECK_MS = 100;

/** What an {@link RtcpReporter} reports on and how. */
export interface RtcpReporterOptions {
  socket: Socket;
  clock: Clock;
  /** Our SSRC. */
  ssrc: number;
  sendStats: SendStats;
  recvStats: ReceptionStats;
  cname: string;
  /** Base report interval in ms (randomised ×0.5–1.5). */
  intervalMs: number;
  random: () => number;
  /** Called with each valid compound received. */
  onPackets: (packets: RtcpPacket[]) => void;
  /** Called for a datagram that is not RTCP. */
  onIgnored: () => void;
  /** Sees every datagram sent and received (see MediaSessionOptions.packetTap); `local` is the RTCP socket's address. */
  tap?: (packet: MediaPacket) => void;
  local?: Endpoint;
}

/** Sends and receives one session's RTCP. */
export class RtcpReporter implements TickListener {
  /** What the peer last reported about our stream. */
  remoteReport: MediaStats['remoteReport'];
  /**
   * The latest round-trip time, ms, from a report block about our stream with an LSR (RFC 3550
   * §6.4.1: A − LSR − DLSR); undefined until one arrives. A result below 0 by less than 1 ms is
   * the rounding of the 1/65536 s fields and counts as 0; one further below can only come from a
   * peer's wrong LSR or DLSR and is ignored.
   */
  roundTripMs: number | undefined;
  private remote: Endpoint | undefined;
  /** Clock time the next report is due. */
  private due: number;
  private stopped = false;

  constructor(private readonly o: RtcpReporterOptions) {
    o.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
    this.due = o.clock.now() + this.interval();
    tickerFor(o.clock, RTCP_CHECK_MS).add(this);
  }

  /** @internal The shared heartbeat: sends the report once it is due. */
  tick(now: number): void {
    if (this.stopped || now < this.due) return;
    this.send();
    this.due = now + this.interval();
  }

  /** Sends reports to `to` from now on (the RTP peer's port + 1 until the peer's own RTCP shows where it is). */
  sendTo(to: Endpoint): void {
    this.remote = to;
  }

  /** Stops the reports; sends a last compound with BYE (RFC 3550 §6.6) if a peer is known. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    tickerFor(this.o.clock, RTCP_CHECK_MS).delete(this);
    this.send(true);
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.stopped) return;
    this.o.tap?.({ direction: 'received', protocol: 'rtcp', local: this.o.local!, remote: { address: rinfo.address, port: rinfo.port }, data: msg });
    let packets: RtcpPacket[];
    try {
      packets = decodeRtcpCompound(msg);
    } catch {
      this.o.onIgnored();
      return;
    }
    this.remote = { address: rinfo.address, port: rinfo.port };
    const now = this.o.clock.now();
    for (const p of packets) {
      // RFC 3550 §6.4.1: LSR/DLSR of our next report block come from the peer's last SR.
      if (p.type === 'SR') this.o.recvStats.senderReportReceived(p.ntp, now);
      if (p.type === 'SR' || p.type === 'RR') {
        const mine = p.reports.find((b) => b.ssrc === this.o.ssrc);
        if (mine !== undefined) {
          this.remoteReport = { fractionLost: mine.fractionLost / 256, cumulativeLost: mine.cumulativeLost, jitterMs: (mine.jitter / 8000) * 1000 };
          // The arrival time on the wallclock our SRs are stamped with (see send()).
          const rtt = roundTripMs(mine, ntpFromUnixMs(performance.timeOrigin + now));
          if (rtt !== undefined && rtt > -1) this.roundTripMs = Math.max(0, rtt);
        }
      }
    }
    this.o.onPackets(packets);
  }

  /** RFC 3550 §6.3: a compound of SR (we sent since the last report) or RR, and SDES CNAME; BYE at the end. */
  private send(bye = false): void {
    const to = this.remote;
    if (to === undefined) return;
    const { clock, ssrc, sendStats, recvStats } = this.o;
    const now = clock.now();
    const reports: RtcpReportBlock[] = [];
    if (recvStats.ssrc !== undefined && recvStats.packets > 0) reports.push(recvStats.reportBlock(now));
    // The NTP timestamp is wall-clock time, which a monotonic Clock cannot give: its origin is.
    const head: RtcpPacket = sendStats.sending
      ? { type: 'SR', ssrc, ntp: ntpFromUnixMs(performance.timeOrigin + now), rtpTimestamp: sendStats.rtpTimestampAt(now), packetCount: sendStats.packets, octetCount: sendStats.octets, reports }
      : { type: 'RR', ssrc, reports };
    const packets: RtcpPacket[] = [head, { type: 'SDES', chunks: [{ ssrc, items: [{ type: 1, text: this.o.cname }] }] }];
    if (bye) packets.push({ type: 'BYE', ssrcs: [ssrc] });
    // No callback: with one, Node skips its synchronous send and queues every datagram through the
    // event loop (a writable poll and a completion per packet). Errors arrive as the socket's
    // 'error' event, which the session reports.
    const data = encodeRtcpCompound(packets);
    this.o.tap?.({ direction: 'sent', protocol: 'rtcp', local: this.o.local!, remote: to, data });
    this.o.socket.send(data, to.port, to.address);
  }

  private interval(): number {
    // RFC 3550 §6.3.1: the interval is randomised between 0.5 and 1.5 times the computed one.
    return this.o.intervalMs * (0.5 + this.o.random());
  }
}
