// The server owns time. The browser's clock may be minutes off, so remaining
// time is computed from the server's deadline and an estimated offset
// (server time − local time). Every `page` gives a one-way sample (biased by the
// network delay); `ping` round trips give better ones: the sample with the
// smallest round trip is the most trustworthy, as in NTP.

export class ServerClock {
  private offsetMs = 0;
  private bestRtt = Infinity;
  private haveSample = false;

  /** A `serverNow` stamp that just arrived; its delay is unknown, so it only counts until a ping refines it. */
  observe(serverNow: number, receivedAt: number = Date.now()): void {
    if (!Number.isFinite(serverNow)) return;
    if (this.bestRtt === Infinity) {
      this.offsetMs = serverNow - receivedAt;
      this.haveSample = true;
    }
  }

  /** A ping answered: the server stamped `serverNow` somewhere between `sentAt` and `receivedAt`. */
  observeRoundTrip(sentAt: number, serverNow: number, receivedAt: number): void {
    const rtt = receivedAt - sentAt;
    if (!Number.isFinite(serverNow) || rtt < 0) return;
    // Allow a slightly worse sample to replace an old one so drift is followed.
    if (rtt <= this.bestRtt * 1.5 + 5) {
      this.bestRtt = Math.min(this.bestRtt, rtt);
      this.offsetMs = serverNow - (sentAt + rtt / 2);
      this.haveSample = true;
    }
  }

  get offset(): number {
    return this.offsetMs;
  }

  get synced(): boolean {
    return this.haveSample;
  }

  /** The server's current time, estimated. */
  now(local: number = Date.now()): number {
    return local + this.offsetMs;
  }

  /** Milliseconds left until a server deadline (never negative). */
  remaining(deadlineAt: number, local: number = Date.now()): number {
    return Math.max(0, deadlineAt - this.now(local));
  }
}
