// The UAS core's 2xx retransmission (RFC 3261 §13.3.1.4): the transaction layer sends a 2xx to
// an INVITE once; the UAS core re-sends it until the ACK arrives.

import type { Clock, TimerHandle } from '../transport/clock.js';
import type { TimerSettings } from '../transaction/timers.js';

/**
 * Re-sends a 2xx at T1, then doubling up to T2 (RFC 3261 §13.3.1.4: "the interval ... MUST
 * start at T1 seconds and ... MUST double after each retransmission until it reaches T2"),
 * until {@link stop} (the ACK arrived) or 64·T1 after the first send, when `gaveUp` runs ("If
 * the server retransmits the 2xx response for 64*T1 seconds without receiving an ACK, the
 * dialog is confirmed, but the session SHOULD be terminated").
 */
export class Retransmitter2xx {
  /** Retransmissions sent so far (the first transmission not counted). */
  retransmissions = 0;
  private interval: number;
  private timer: TimerHandle | undefined;
  private deadline: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly t2: number;

  constructor(clock: Clock, timers: TimerSettings, private readonly resend: () => void, private readonly gaveUp: () => void) {
    this.clock = clock;
    this.interval = timers.t1;
    this.t2 = timers.t2;
    this.timer = clock.setTimer(this.interval, () => this.fire());
    this.deadline = clock.setTimer(64 * timers.t1, () => {
      this.stop();
      this.gaveUp();
    });
  }

  /** True until the ACK arrives or the retransmitter gives up. */
  get running(): boolean {
    return this.deadline !== undefined;
  }

  /** The ACK arrived (or the dialog ended): stop re-sending. */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    if (this.deadline !== undefined) this.clock.clearTimer(this.deadline);
    this.timer = undefined;
    this.deadline = undefined;
  }

  private fire(): void {
    this.retransmissions++;
    this.resend();
    this.interval = Math.min(2 * this.interval, this.t2);
    if (this.deadline !== undefined) this.timer = this.clock.setTimer(this.interval, () => this.fire());
  }
}
