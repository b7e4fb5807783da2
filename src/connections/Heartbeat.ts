/** How a heartbeat is paced. */
export interface HeartbeatOptions {
  intervalMs: number;
  /** A ping unanswered this long is a miss. */
  timeoutMs: number;
  /** Consecutive misses before the connection is declared hung. */
  maxMisses: number;
}

/** What a heartbeat needs from its connection. */
export interface HeartbeatTarget {
  ping(timeoutMs: number): Promise<unknown>;
  onLatency(ms: number): void;
  onHung(misses: number): void;
  /**
   * Whether a missed ping is excused: a host creating a session blocks its thread for as long
   * as that takes, and the load's own deadline covers it.
   */
  excused(): boolean;
}

/**
 * Pings a connection on a fixed pace and declares it hung after enough consecutive misses. A
 * crashed renderer or a worker that closed itself sends no event; only silence gives it away.
 */
export class Heartbeat {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private misses = 0;
  private stopped = false;

  constructor(
    private readonly target: HeartbeatTarget,
    private readonly options: HeartbeatOptions,
  ) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), this.options.intervalMs);
  }

  private async beat(): Promise<void> {
    const started = performance.now();
    try {
      await this.target.ping(this.options.timeoutMs);
      this.misses = 0;
      if (!this.stopped) this.target.onLatency(performance.now() - started);
    } catch {
      if (this.target.excused()) {
        this.schedule();
        return;
      }
      this.misses += 1;
      if (this.misses >= this.options.maxMisses && !this.stopped) {
        this.stop();
        this.target.onHung(this.misses);
        return;
      }
    }
    this.schedule();
  }
}
