import type { Emitter } from 'mitt';
import type { PoolEvents } from '../api/events';
import type { ResolvedPoolOptions } from '../api/options';
import type { Backend, BackendFailure } from '../api/types';
import { Connection, abortError, hostEventError } from '../connections/Connection';
import { WorkerTransport } from '../connections/WorkerTransport';
import { AccelError, isAccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { raceCall } from '../util/raceCall';

/** Counters the pool keeps per connection. */
export interface ConnectionMetrics {
  runs: number;
  errors: number;
}

const NEVER = new Promise<never>(() => undefined);

/**
 * Spawns connections on demand, one per backend for now, and remembers which backends this page
 * lacks so that a missing capability is detected once, not on every model.
 */
export class ConnectionPool {
  private readonly live = new Map<Backend, Promise<Connection>>();
  private readonly newest = new Map<Backend, Connection>();
  private readonly connections = new Set<Connection>();
  private readonly metrics = new WeakMap<Connection, ConnectionMetrics>();
  private readonly missing = new Map<Backend, BackendFailure>();
  private sequence = 0;

  constructor(
    private readonly options: ResolvedPoolOptions,
    private readonly events: Emitter<PoolEvents>,
  ) {}

  /** Backends found missing, with the reason. */
  get capabilityFailures(): BackendFailure[] {
    return [...this.missing.values()];
  }

  /** Every connection that is not closed. */
  list(): Connection[] {
    return [...this.connections];
  }

  metricsOf(connection: Connection): ConnectionMetrics {
    let metrics = this.metrics.get(connection);
    if (metrics === undefined) this.metrics.set(connection, (metrics = { runs: 0, errors: 0 }));
    return metrics;
  }

  /**
   * A ready connection for the backend, started if needed. Rejects with `BROWSER_CAPABILITY`
   * when the backend is missing here; the caller's signal abandons the wait, not the start.
   */
  acquire(backend: Backend, signal?: AbortSignal): Promise<Connection> {
    const known = this.missing.get(backend);
    if (known !== undefined) return Promise.reject(capabilityError(known));

    let ready = this.live.get(backend);
    if (ready === undefined) {
      const spawned = this.spawn(backend);
      this.live.set(backend, spawned);
      spawned.catch(() => this.forget(backend, spawned));
      ready = spawned;
    }
    return raceCall(ready, { lost: NEVER, signal, onTimeout: () => abortError(signal), onAbort: () => abortError(signal) });
  }

  /** Ends every connection with `error`; pending calls on them reject with it. */
  closeAll(error: AccelError): void {
    for (const connection of this.connections) connection.close(error);
    this.live.clear();
    this.newest.clear();
  }

  private async spawn(backend: Backend): Promise<Connection> {
    const id = `${backend}-${++this.sequence}`;
    const connection = new Connection(id, backend, new WorkerTransport(`webaccel ${id}`), {
      heartbeat: {
        intervalMs: this.options.heartbeatIntervalMs,
        timeoutMs: this.options.heartbeatTimeoutMs,
        maxMisses: this.options.heartbeatMaxMisses,
      },
      startTimeoutMs: this.options.startTimeoutMs,
      loadTimeoutMs: this.options.loadTimeoutMs,
      faultInjection: this.options.faultInjection,
      wasmPaths: this.options.wasmPaths,
      numThreads: this.options.numThreads,
    }, {
      onClosed: (closed, error) => this.onClosed(closed, error),
      onHostEvent: (source, event) =>
        this.events.emit('connection:error', {
          connectionId: source.id,
          type: event.type,
          message: hostEventError(event).message,
        }),
      onPing: () => undefined,
    });
    this.connections.add(connection);
    this.newest.set(backend, connection);
    this.events.emit('connection:start', { connectionId: id, kind: connection.kind, backend });

    const capabilities = await this.startOrClose(connection);
    if (!capabilities.available) {
      const failure = this.recordMissing(backend, capabilities.reason ?? 'unavailable');
      const error = capabilityError(failure).with({ connectionId: id });
      connection.close(error);
      throw error;
    }
    this.events.emit('connection:ready', { connectionId: id, kind: connection.kind, backend });
    return connection;
  }

  private async startOrClose(connection: Connection) {
    try {
      return await connection.start();
    } catch (error) {
      const accel = isAccelError(error)
        ? error
        : new AccelError(String(error), { category: ErrorCategory.INITIALIZATION, cause: error });
      connection.close(accel);
      throw accel;
    }
  }

  private recordMissing(backend: Backend, reason: string): BackendFailure {
    const failure: BackendFailure = {
      backend,
      category: ErrorCategory.BROWSER_CAPABILITY,
      code: 'BACKEND_UNAVAILABLE',
      message: `${backend} is not available here: ${reason}`,
    };
    this.missing.set(backend, failure);
    return failure;
  }

  private onClosed(connection: Connection, error: AccelError): void {
    this.connections.delete(connection);
    if (this.newest.get(connection.backend) === connection) {
      this.newest.delete(connection.backend);
      this.live.delete(connection.backend);
    }
    this.events.emit('connection:close', {
      connectionId: connection.id,
      kind: connection.kind,
      backend: connection.backend,
      category: error.category,
      code: error.code,
      message: error.message,
    });
  }

  private forget(backend: Backend, only: Promise<Connection>): void {
    if (this.live.get(backend) === only) this.live.delete(backend);
  }
}

function capabilityError(failure: BackendFailure): AccelError {
  return new AccelError(failure.message, {
    category: ErrorCategory.BROWSER_CAPABILITY,
    code: 'BACKEND_UNAVAILABLE',
    backend: failure.backend,
  });
}
