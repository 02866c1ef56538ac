// A UDP relay on loopback that sits in the middle of one call's RTP and drops some packets of one
// direction: the "bad network" of the media tests. It binds an RTP/RTCP port pair; both ends are
// told to send there (their SDP's address is replaced), so neither can latch around it. Packets
// from the sender go to the receiver with the chosen RTP packets dropped (RTCP passes whole);
// packets from the receiver go back to the sender untouched.

import { createSocket, type Socket } from 'node:dgram';

/** Which RTP packets (0-based, in the order the sender sent them) the relay drops. */
export type DropRule = (index: number) => boolean;

/** A relay of one call's media, lossy in one direction. */
export class LossyRelay {
  /** RTP packets forwarded from the sender to the receiver, and dropped. */
  forwarded = 0;
  dropped = 0;
  private receiver: { address: string; port: number } | undefined;
  private sender: { address: string; port: number } | undefined;
  private index = 0;

  private constructor(
    private readonly rtp: Socket,
    private readonly rtcp: Socket,
    private readonly drop: DropRule,
  ) {
    rtp.on('message', (msg, from) => this.relay(msg, from, 0));
    rtcp.on('message', (msg, from) => this.relay(msg, from, 1));
  }

  /** Binds a relay on an even port of 127.0.0.1 (and the next for RTCP), trying from `firstPort`. */
  static async open(firstPort: number, drop: DropRule): Promise<LossyRelay> {
    for (let port = firstPort; port < firstPort + 200; port += 2) {
      const rtp = createSocket('udp4');
      const rtcp = createSocket('udp4');
      try {
        await bind(rtp, port);
        await bind(rtcp, port + 1);
        return new LossyRelay(rtp, rtcp, drop);
      } catch {
        rtp.close();
        rtcp.close();
      }
    }
    throw new Error(`no free port pair from ${firstPort}`);
  }

  /** The RTP port both ends are pointed at. */
  get port(): number {
    return this.rtp.address().port;
  }

  /** The RTP address of the end whose packets are dropped on their way (RTCP: port + 1). */
  setSender(address: string, port: number): void {
    this.sender = { address, port };
  }

  /** The RTP address of the end that receives the lossy stream. */
  setReceiver(address: string, port: number): void {
    this.receiver = { address, port };
  }

  close(): void {
    this.rtp.close();
    this.rtcp.close();
  }

  private relay(msg: Buffer, from: { address: string; port: number }, offset: 0 | 1): void {
    const { sender, receiver } = this;
    if (sender === undefined || receiver === undefined) return;
    const socket = offset === 0 ? this.rtp : this.rtcp;
    if (from.address === receiver.address && from.port === receiver.port + offset) {
      socket.send(msg, sender.port + offset, sender.address);
      return;
    }
    if (from.address !== sender.address || from.port !== sender.port + offset) return;
    if (offset === 0) {
      if (this.drop(this.index++)) {
        this.dropped++;
        return;
      }
      this.forwarded++;
    }
    socket.send(msg, receiver.port + offset, receiver.address);
  }
}

function bind(socket: Socket, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
