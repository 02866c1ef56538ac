// Reception statistics (RFC 3550 A.1, A.3, A.8) against hand-computed sequences, and SendStats.
import { describe, expect, it } from 'vitest';
import { ntpMiddle32 } from '../../src/media/rtcp-packet.js';
import { ReceptionStats, SendStats } from '../../src/media/rtp-stats.js';

const SSRC = 0x5eed;
const PAYLOAD = new Uint8Array(160);

/** Feeds sequence numbers arriving every 20 ms with timestamps 160 apart (constant transit). */
function feed(stats: ReceptionStats, seqs: number[], ssrc = SSRC): string[] {
  return seqs.map((seq) => stats.received({ ssrc, sequence: seq, timestamp: (seq * 160) % 2 ** 32, payload: PAYLOAD }, seq * 20));
}

describe('ReceptionStats: sequence validation and loss (RFC 3550 A.1, A.3)', () => {
  it('in order: everything received, nothing lost, the probation run included', () => {
    const s = new ReceptionStats();
    const verdicts = feed(s, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(verdicts[0]).toBe('probation');
    expect(verdicts.slice(1).every((v) => v === 'accepted')).toBe(true);
    expect([s.packets, s.bytes, s.expected, s.lost, s.extendedHighest]).toEqual([10, 1600, 10, 0, 109]);
    expect(s.reportBlock(200)).toEqual({ ssrc: SSRC, fractionLost: 0, cumulativeLost: 0, highestSequence: 109, jitter: 0, lastSr: 0, delaySinceLastSr: 0 });
  });

  it('a source seen once is still on probation: nothing expected', () => {
    const s = new ReceptionStats();
    expect(feed(s, [7])).toEqual(['probation']);
    expect([s.packets, s.expected, s.lost]).toEqual([0, 0, 0]);
    // out of sequence restarts the probation run: 7, 9 are both on probation; 10 validates
    expect(feed(s, [9, 10])).toEqual(['probation', 'accepted']);
    expect([s.packets, s.expected, s.lost]).toEqual([2, 2, 0]);
  });

  it('loss: fraction lost per interval and cumulative lost', () => {
    const s = new ReceptionStats();
    feed(s, [1, 2, 3, 5, 6, 8, 9, 10]);
    expect([s.packets, s.expected, s.lost]).toEqual([8, 10, 2]);
    const first = s.reportBlock(0);
    expect(first.fractionLost).toBe(Math.floor((2 * 256) / 10)); // 51
    expect(first.cumulativeLost).toBe(2);
    feed(s, [11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const second = s.reportBlock(0);
    expect([second.fractionLost, second.cumulativeLost, second.highestSequence]).toEqual([0, 2, 20]);
    feed(s, [24]); // 21, 22, 23 lost of 4 expected
    expect(s.reportBlock(0).fractionLost).toBe(192);
    expect(s.reportBlock(0).fractionLost).toBe(0); // nothing new: empty interval
  });

  it('reordering: a late packet fills its gap and is counted as reordered', () => {
    const s = new ReceptionStats();
    expect(feed(s, [1, 2, 3, 5, 4, 6])).toEqual(['probation', 'accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
    expect([s.packets, s.reordered, s.lost, s.extendedHighest]).toEqual([6, 1, 0, 6]);
    // a late packet arriving after the interval it belonged to: lost then, found now
    feed(s, [8]);
    expect(s.reportBlock(0)).toMatchObject({ fractionLost: Math.floor(256 / 8), cumulativeLost: 1 });
    feed(s, [7, 9]);
    expect(s.reportBlock(0)).toMatchObject({ fractionLost: 0, cumulativeLost: 0 });
  });

  it('duplicates are recognised and not counted, whether latest or older', () => {
    const s = new ReceptionStats();
    expect(feed(s, [1, 2, 3, 3, 4, 2, 1])).toEqual(['probation', 'accepted', 'accepted', 'duplicate', 'accepted', 'duplicate', 'duplicate']);
    expect([s.packets, s.duplicates, s.reordered, s.lost, s.expected]).toEqual([4, 3, 0, 0, 4]);
  });

  it('wraparound at 65535: cycles counted in the extended highest sequence', () => {
    const s = new ReceptionStats();
    feed(s, [65533, 65534, 65535, 0, 1, 2]);
    expect([s.packets, s.expected, s.lost, s.extendedHighest]).toEqual([6, 6, 0, 65538]);
    expect(s.reportBlock(0).highestSequence).toBe(0x0001_0002);
  });

  it('a probation run straddling the wrap (cycles count from the run, A.1 init_seq), a packet reordered across it', () => {
    const s = new ReceptionStats();
    feed(s, [65535, 0, 2, 65535, 1, 3]);
    expect([s.packets, s.duplicates, s.reordered, s.expected, s.lost, s.extendedHighest]).toEqual([5, 1, 1, 5, 0, 3]);
  });

  it('a large jump is ignored once, and accepted as a restart when the next packet follows it', () => {
    const s = new ReceptionStats();
    feed(s, [1, 2, 3, 4, 5]);
    expect(feed(s, [20000])).toEqual(['bad-sequence']);
    expect(feed(s, [6])).toEqual(['accepted']);
    expect([s.packets, s.badSequence, s.expected, s.lost]).toEqual([6, 1, 6, 0]);
    expect(feed(s, [30000, 30001, 30002])).toEqual(['bad-sequence', 'accepted', 'accepted']);
    expect([s.packets, s.badSequence, s.restarts, s.expected, s.lost, s.extendedHighest]).toEqual([9, 1, 1, 3, 0, 30002]);
  });

  it('a packet more than MAX_MISORDER behind is treated as a jump, not a late packet', () => {
    const s = new ReceptionStats();
    feed(s, [200, 201, 202]);
    expect(feed(s, [50])).toEqual(['bad-sequence']);
    expect(feed(s, [150])).toEqual(['accepted']); // 52 behind: reordered
    expect(s.reordered).toBe(1);
  });

  it('a new SSRC starts the statistics afresh', () => {
    const s = new ReceptionStats();
    feed(s, [1, 2, 3, 5]);
    feed(s, [900, 901], 0xbeef);
    expect([s.ssrc, s.packets, s.expected, s.lost, s.restarts]).toEqual([0xbeef, 2, 2, 0, 1]);
  });
});

describe('ReceptionStats: interarrival jitter (RFC 3550 A.8)', () => {
  it('constant transit gives zero jitter', () => {
    const s = new ReceptionStats({ clockRate: 8000 });
    for (let i = 0; i < 50; i++) s.received({ ssrc: SSRC, sequence: i, timestamp: 1000 + 160 * i, payload: PAYLOAD }, 5000 + 20 * i + 37);
    expect(s.jitter).toBe(0);
    expect(s.jitterMs).toBe(0);
  });

  it('alternating transit (0, 10 ms): J_n = 80 · (1 − (15/16)^n) units, converging to 10 ms', () => {
    const s = new ReceptionStats({ clockRate: 8000 });
    const at = (i: number): number => 20 * i + (i % 2 === 1 ? 10 : 0);
    const n = 200;
    for (let i = 0; i <= n; i++) {
      s.received({ ssrc: SSRC, sequence: i, timestamp: 160 * i, payload: PAYLOAD }, at(i));
      if (i === 1) expect(s.jitter).toBe(5); // |D| = 80, J = 80/16
      if (i === 2) expect(s.jitter).toBeCloseTo(5 + (80 - 5) / 16, 12);
      if (i === 10) expect(s.jitter).toBeCloseTo(80 * (1 - (15 / 16) ** 10), 9);
    }
    expect(s.jitter).toBeCloseTo(80 * (1 - (15 / 16) ** n), 6);
    expect(s.jitterMs).toBeCloseTo(10, 3);
    expect(s.reportBlock(0).jitter).toBe(79); // truncated to an integer for the report
  });

  it('is computed across a timestamp wrap', () => {
    const s = new ReceptionStats();
    for (let i = 0; i < 10; i++) s.received({ ssrc: SSRC, sequence: i, timestamp: (2 ** 32 - 800 + 160 * i) % 2 ** 32, payload: PAYLOAD }, 20 * i);
    expect(s.jitter).toBe(0);
  });
});

describe('ReceptionStats: LSR and DLSR (RFC 3550 §6.4.1)', () => {
  it('reports the middle bits of the last SR and the delay since it arrived', () => {
    const s = new ReceptionStats();
    feed(s, [1, 2]);
    const ntp = { seconds: 0x0001b705, fraction: 0x20000000 };
    s.senderReportReceived(ntp, 1000);
    const b = s.reportBlock(3000);
    expect(b.lastSr).toBe(ntpMiddle32(ntp));
    expect(b.lastSr).toBe(0xb7052000);
    expect(b.delaySinceLastSr).toBe(2 * 65536);
  });
});

describe('SendStats', () => {
  it('counts packets and payload octets and extrapolates the RTP timestamp for an SR', () => {
    const s = new SendStats({ clockRate: 8000 });
    expect(s.sending).toBe(false);
    s.sent({ timestamp: 2 ** 32 - 160, payload: PAYLOAD }, 1000);
    s.sent({ timestamp: 0, payload: new Uint8Array(80) }, 1020);
    expect([s.packets, s.octets, s.sending]).toEqual([2, 240, true]);
    expect(s.rtpTimestampAt(1020)).toBe(0);
    expect(s.rtpTimestampAt(1030)).toBe(80);
    expect(s.rtpTimestampAt(1010)).toBe(2 ** 32 - 80);
  });
});
