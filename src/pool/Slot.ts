import type { Backend, ConnectionKind } from '../api/types';
import type { Connection } from '../connections/Connection';
import type { CircuitBreaker } from '../resilience/CircuitBreaker';
import type { HealthScore } from '../resilience/HealthScore';

/**
 * A place in the pool for one connection of a kind and backend. The connection in it may die
 * and be replaced (a new incarnation); the breaker and health score belong to the place and
 * outlive incarnations, so a crash keeps the place distrusted until trials prove it again.
 */
export class Slot {
  connection: Connection | undefined;
  starting: Promise<Connection> | undefined;
  incarnations = 0;
  inFlight = 0;
  runs = 0;
  errors = 0;
  startFailures = 0;
  /** No new incarnation starts before this time (backoff after failed starts). */
  nextStartAt = 0;
  /** When the last call on this slot finished. */
  lastUsed = 0;
  /** Runs on the current incarnation. */
  incarnationRuns = 0;
  /** Takes no new calls: the connection ends once its calls finish (recycling). */
  draining = false;

  constructor(
    readonly id: string,
    readonly kind: ConnectionKind,
    readonly backend: Backend,
    readonly breaker: CircuitBreaker,
    readonly health: HealthScore,
  ) {}

  /** The live connection, if one is running. */
  get live(): Connection | undefined {
    return this.connection?.state === 'closed' ? undefined : this.connection;
  }

  /** Where the slot is in its life, for stats. */
  get state(): 'idle' | 'starting' | 'ready' | 'draining' | 'closed' {
    if (this.connection === undefined) return 'idle';
    if (this.draining && this.connection.state !== 'closed') return 'draining';
    return this.connection.state;
  }

  /** Whether the current connection has the model loaded. */
  holds(modelId: string): boolean {
    return this.live?.models.has(modelId) === true;
  }
}
