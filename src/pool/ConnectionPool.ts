import type { Emitter } from 'mitt';
import type { PoolEvents } from '../api/events';
import type { ResolvedPoolOptions } from '../api/options';
import type { Backend, BackendFailure, ConnectionKind } from '../api/types';
import { Connection, hostEventError } from '../connections/Connection';
import { abortError, disposedError } from '../errors/cancellation';
import type { HostEvent } from '../connections/hostEvents';
import type { HostCapabilities } from '../connections/protocol';
import { WorkerTransport } from '../connections/WorkerTransport';
import { IframeTransport } from '../connections/IframeTransport';
import { runtimeWasmPaths } from '../connections/bundledHosts';
import { ForgeryWatch } from '../connections/ForgeryWatch';
import { AccelError, isAccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import type { HealthHistory } from '../history/HealthHistory';
import { CircuitBreaker, type Clock } from '../resilience/CircuitBreaker';
import { HealthScore } from '../resilience/HealthScore';
import { raceCall } from '../util/raceCall';
import { sleep } from '../util/sleep';
import { Slot } from './Slot';

/** Codes of a connection's end that count as a crash: the breaker opens at once. */
const CRASH_CODES: readonly string[] = ['HEARTBEAT_MISSED', 'CONNECTION_LOST', 'DEVICE_LOST'];

const START_BACKOFF_BASE_MS = 250;
const START_BACKOFF_MAX_MS = 10_000;

/**
 * Owns the slots of the pool, starts and replaces the connections in them, and remembers which
 * backends this page lacks so that a missing capability is detected once, not on every model.
 */
export class ConnectionPool {
  private readonly slotsByPlace = new Map<string, Slot[]>();
  private readonly missing = new Map<Backend, BackendFailure>();
  private closed = false;
  private idleTimer: ReturnType<typeof setInterval> | undefined;
  /** Watches the page's window once the pool has an iframe connection. */
  private forgeries: ForgeryWatch | undefined;

  constructor(
    private readonly options: ResolvedPoolOptions,
    private readonly events: Emitter<PoolEvents>,
    private readonly clock: Clock,
    /** Aborts, with the disposal error as reason, when the pool is disposed. */
    private readonly lifetime: AbortSignal,
    /** Breakers start from it and report to it; crashes are counted in it. */
    private readonly history: HealthHistory,
  ) {}

  /** Backends found missing, with the reason. */
  get capabilityFailures(): BackendFailure[] {
    return [...this.missing.values()];
  }

  /** Messages in webaccel's format that reached the page's window, where no host posts. */
  get forgedMessages(): number {
    return this.forgeries?.count ?? 0;
  }

  /** The failure recorded for a backend found missing, if it was. */
  missingReason(backend: Backend): BackendFailure | undefined {
    return this.missing.get(backend);
  }

  /** Every slot, in creation order. */
  allSlots(): Slot[] {
    return [...this.slotsByPlace.values()].flat();
  }

  /** The slots of a kind and backend; the first is made on first use. */
  slotsFor(kind: ConnectionKind, backend: Backend): Slot[] {
    const place = `${kind}:${backend}`;
    let slots = this.slotsByPlace.get(place);
    if (slots === undefined) {
      slots = [this.makeSlot(kind, backend, 1)];
      this.slotsByPlace.set(place, slots);
    }
    return slots;
  }

  /** Adds a slot of the kind and backend if the maximum allows; returns it, or undefined. */
  addSlot(kind: ConnectionKind, backend: Backend): Slot | undefined {
    const slots = this.slotsFor(kind, backend);
    if (slots.length >= this.options.maxConnectionsPerBackend) return undefined;

    const slot = this.makeSlot(kind, backend, slots.length + 1);
    slots.push(slot);
    return slot;
  }

  /**
   * The slot's live connection, starting a new incarnation if there is none. Rejects with
   * `BROWSER_CAPABILITY` when the backend is missing here. After failed starts, the next start
   * waits a capped, growing delay, so a broken host script is never restarted in a hot loop.
   */
  async ensure(slot: Slot, signal?: AbortSignal): Promise<Connection> {
    const known = this.missing.get(slot.backend);
    if (known !== undefined) throw capabilityError(known);
    const live = slot.live;
    if (live !== undefined && live.state === 'ready') return live;

    slot.starting ??= this.startIncarnation(slot);
    const starting = slot.starting;
    return raceCall(starting, {
      signal,
      onTimeout: () => abortError(signal),
      onAbort: () => abortError(signal),
    });
  }

  /** Ends the slot's connection so that the next call starts a fresh one; no breaker change. */
  restart(slot: Slot, cause: AccelError): void {
    slot.live?.close(
      new AccelError(`Connection ${slot.id} restarted after: ${cause.message}`, {
        category: ErrorCategory.CONNECTION,
        code: 'RESTARTED',
        backend: slot.backend,
        connectionId: slot.id,
        cause,
      }),
    );
  }

  /**
   * Replaces a connection that has run enough or grown too large, once its calls finish: no new
   * calls reach it meanwhile. WebAssembly memory never shrinks; only a fresh worker gives it back.
   */
  recycleIfDue(slot: Slot): void {
    const live = slot.live;
    if (live === undefined) return;
    const memoryMb = (live.memoryBytes ?? 0) / 2 ** 20;
    const due =
      slot.incarnationRuns >= this.options.recycleAfterRuns ||
      memoryMb > this.options.recycleAboveMemoryMb;
    if (!due) return;

    slot.draining = true;
    if (slot.inFlight > 0) return;
    this.retire(slot, 'RECYCLED', `after ${slot.incarnationRuns} runs and ${memoryMb.toFixed(0)} MiB`);
  }

  /** Ends connections idle longer than the idle timeout; each backend keeps its first. */
  drainIdle(): void {
    const now = this.clock.now();
    for (const slot of this.allSlots()) {
      const keep = !this.options.lowMemory && slot.id.endsWith('-1');
      const idle = slot.live !== undefined && slot.inFlight === 0 && now - slot.lastUsed >= this.options.idleTimeoutMs;
      if (idle && !keep) this.retire(slot, 'DRAINED', `idle for ${now - slot.lastUsed} ms`);
    }
  }

  /** Ends the slot's connection as crashed: the breaker opens at once. */
  crash(slot: Slot, error: AccelError): void {
    const live = slot.live;
    if (live !== undefined) live.close(error);
    else slot.breaker.trip(error.message);
  }

  /** Ends every connection with `error`; pending calls on them reject with it. */
  closeAll(error: AccelError): void {
    this.closed = true;
    clearInterval(this.idleTimer);
    this.forgeries?.dispose();
    for (const slot of this.allSlots()) slot.connection?.close(error);
  }

  private retire(slot: Slot, code: 'RECYCLED' | 'DRAINED', why: string): void {
    slot.draining = false;
    slot.live?.close(
      new AccelError(`Connection ${slot.id} ${code === 'RECYCLED' ? 'recycled' : 'drained'} ${why}`, {
        category: ErrorCategory.CONNECTION,
        code,
        backend: slot.backend,
        connectionId: slot.id,
      }),
    );
  }

  private makeSlot(kind: ConnectionKind, backend: Backend, index: number): Slot {
    this.idleTimer ??= setInterval(() => this.drainIdle(), Math.min(this.options.idleTimeoutMs, 10_000));
    const id = `${kind}-${backend}-${index}`;
    // A breaker open in an earlier session or another tab starts open, with the time it has left.
    const breaker = CircuitBreaker.restore(
      this.history.breakerFor(kind, backend),
      this.options.breaker,
      this.clock,
      (transition) => {
        this.history.recordBreaker(kind, backend, breaker.toJSON(), transition.to === 'OPEN');
        this.events.emit('breaker:transition', { connectionId: id, ...transition });
      },
    );
    return new Slot(id, kind, backend, breaker, new HealthScore(this.options.health, this.clock));
  }

  private async startIncarnation(slot: Slot): Promise<Connection> {
    try {
      await this.waitForStartBackoff(slot);
      const connection = await this.spawn(slot);
      slot.startFailures = 0;
      return connection;
    } catch (error) {
      if (isAccelError(error) && error.category !== ErrorCategory.BROWSER_CAPABILITY) {
        slot.startFailures += 1;
        const delay = START_BACKOFF_BASE_MS * 2 ** (slot.startFailures - 1);
        slot.nextStartAt = this.clock.now() + Math.min(START_BACKOFF_MAX_MS, delay);
      }
      throw error;
    } finally {
      slot.starting = undefined;
    }
  }

  private async waitForStartBackoff(slot: Slot): Promise<void> {
    const wait = slot.nextStartAt - this.clock.now();
    if (wait > 0) await sleep(wait, this.lifetime);
  }

  private async spawn(slot: Slot): Promise<Connection> {
    if (this.closed) throw disposedError();
    slot.incarnations += 1;
    slot.incarnationRuns = 0;
    slot.lastUsed = this.clock.now();
    const connection = this.createConnection(slot);
    slot.connection = connection;
    this.events.emit('connection:start', { connectionId: slot.id, kind: slot.kind, backend: slot.backend });

    const capabilities = await this.startOrClose(connection);
    if (!capabilities.available) {
      const failure = this.recordMissing(slot.backend, capabilities.reason ?? 'unavailable');
      const error = capabilityError(failure).with({ connectionId: slot.id });
      connection.close(error);
      throw error;
    }
    this.events.emit('connection:ready', { connectionId: slot.id, kind: slot.kind, backend: slot.backend });
    return connection;
  }

  private createConnection(slot: Slot): Connection {
    const name = `webaccel ${slot.id}`;
    if (slot.kind === 'iframe') this.forgeries ??= new ForgeryWatch(window);
    const transport =
      slot.kind === 'iframe'
        ? new IframeTransport(name, this.options.hostIframeUrl)
        : new WorkerTransport(name, this.options.hostWorkerUrl);
    return new Connection(slot.id, slot.backend, transport, {
      heartbeat: {
        intervalMs: this.options.heartbeatIntervalMs,
        timeoutMs: this.options.heartbeatTimeoutMs,
        maxMisses: this.options.heartbeatMaxMisses,
      },
      startTimeoutMs: this.options.startTimeoutMs,
      loadTimeoutMs: this.options.loadTimeoutMs,
      faultInjection: this.options.faultInjection,
      maxMessageBytes: this.options.maxMessageMb * 2 ** 20,
      wasmPaths: this.options.wasmPaths ?? runtimeWasmPaths(),
      numThreads: this.options.numThreads,
    }, {
      onClosed: (closed, error) => this.onClosed(slot, closed, error),
      onHostEvent: (source, event) => this.onHostEvent(slot, source, event),
      onPing: (_, latencyMs) => slot.health.recordPing(latencyMs),
      onMemory: (_, bytes) => slot.health.recordMemory(bytes),
    });
  }

  private async startOrClose(connection: Connection): Promise<HostCapabilities> {
    try {
      return await connection.start();
    } catch (error) {
      const accel = isAccelError(error)
        ? error
        : new AccelError(String(error), { category: ErrorCategory.INITIALIZATION, cause: error });
      connection.close(accel);
      throw connection.closedWith ?? accel;
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

  private onClosed(slot: Slot, connection: Connection, error: AccelError): void {
    if (CRASH_CODES.includes(error.code) || error.category === ErrorCategory.BROWSER_CRASH) {
      slot.health.recordDrop();
      this.history.recordCrash(slot.kind, slot.backend);
      slot.breaker.trip(`connection ${connection.id} ended: ${error.message}`);
    }
    this.events.emit('connection:close', {
      connectionId: slot.id,
      kind: slot.kind,
      backend: slot.backend,
      category: error.category,
      code: error.code,
      message: error.message,
    });
  }

  private onHostEvent(slot: Slot, connection: Connection, event: HostEvent): void {
    const message = hostEventError(event).message;
    this.events.emit('connection:error', { connectionId: slot.id, type: event.type, message });
    if (event.type !== 'device-lost') return;

    connection.close(
      new AccelError(`The WebGPU device of ${slot.id} was lost: ${message}`, {
        category: ErrorCategory.BROWSER_CRASH,
        code: 'DEVICE_LOST',
        backend: slot.backend,
        connectionId: slot.id,
      }),
    );
  }
}

function capabilityError(failure: BackendFailure): AccelError {
  return new AccelError(failure.message, {
    category: ErrorCategory.BROWSER_CAPABILITY,
    code: 'BACKEND_UNAVAILABLE',
    backend: failure.backend,
  });
}
