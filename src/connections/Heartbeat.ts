import { MAX_TIMER_MS } from '../util/raceCall';
import { report } from '../util/report';

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
   * Whether a missed ping is excused, given how long the target has been silent: a host
   * creating a session blocks its thread for as long as that takes.
   */
  excused(silentMs: number): boolean;
}

/**
 * Pings a connection on a fixed pace and declares it hung after enough consecutive misses. A
 * crashed renderer or a worker that closed itself sends no event; only silence gives it away.
 */
export class Heartbeat {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private misses = 0;
  private stopped = false;
  private lastAnswer = performance.now();

  constructor(
    private readonly target: HeartbeatTarget,
    private readonly options: HeartbeatOptions,
  ) {}

  start(): void {
    this.lastAnswer = performance.now();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      // What the target does on a beat is its own; a throw there must not stop the heartbeat
      // silently, so it is reported the way an event listener's would be.
      this.beat().catch(report);
    }, Math.min(this.options.intervalMs, MAX_TIMER_MS));
  }

  private async beat(): Promise<void> {
    const started = performance.now();
    try {
      await this.target.ping(this.options.timeoutMs);
      this.misses = 0;
      this.lastAnswer = performance.now();
      if (!this.stopped) this.target.onLatency(this.lastAnswer - started);
    } catch {
      if (this.stopped) return;
      if (this.target.excused(performance.now() - this.lastAnswer)) {
        this.schedule();
        return;
      }
      this.misses += 1;
      if (this.misses >= this.options.maxMisses) {
        this.stop();
        this.target.onHung(this.misses);
        return;
      }
    }
    this.schedule();
  }
}
