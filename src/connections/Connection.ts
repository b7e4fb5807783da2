import { wrap, type Remote } from 'comlink';
import type { Backend, ConnectionKind, PassThroughSessionOptions } from '../api/types';
import { AccelError } from '../errors/AccelError';
import { abortError } from '../errors/cancellation';
import { ErrorCategory } from '../errors/ErrorCategory';
import { fromWireError } from '../errors/errorWire';
import { EndOnce, raceCall } from '../util/raceCall';
import { installErrorWire } from './comlinkErrors';
import { GuardedEndpoint } from './GuardedEndpoint';
import { Heartbeat, type HeartbeatOptions } from './Heartbeat';
import type { HostEvent } from './hostEvents';
import type {
  HostApi,
  HostCapabilities,
  HostFault,
  HostStats,
  ModelInfo,
  RunReply,
  WireFeeds,
  WireTensor,
} from './protocol';
import type { Transport } from './Transport';

/** How many heartbeat timeouts of silence a starting or loading host is allowed. */
const LOAD_GRACE_FACTOR = 3;

/** Where a connection is in its life. */
export type ConnectionState = 'starting' | 'ready' | 'closed';

/** How a connection is run; the pool fills every field. */
export interface ConnectionOptions {
  heartbeat: HeartbeatOptions;
  startTimeoutMs: number;
  loadTimeoutMs: number;
  faultInjection: boolean;
  /** Replies larger than this are refused. */
  maxMessageBytes: number;
  wasmPaths?: string;
  numThreads?: number;
}

/** What a connection tells its owner. */
export interface ConnectionObserver {
  onClosed(connection: Connection, error: AccelError): void;
  onHostEvent(connection: Connection, event: HostEvent): void;
  onPing(connection: Connection, latencyMs: number): void;
  onMemory(connection: Connection, bytes: number): void;
}

/** Per-call controls. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * One host in one realm (kind) with one execution provider (backend), reached over comlink.
 * Every call is raced against the connection's death, the caller's signal and a deadline, so a
 * call never outlives its connection: comlink alone would leave it pending forever.
 */
export class Connection {
  readonly kind: ConnectionKind;
  state: ConnectionState = 'starting';
  capabilities: HostCapabilities | undefined;
  lastPingMs: number | undefined;
  /** The host's WebAssembly memory at the last heartbeat. */
  memoryBytes: number | undefined;
  /** Model ids loaded (or loading) here. */
  readonly models = new Map<string, Promise<ModelInfo>>();

  private readonly remote: Remote<HostApi>;
  private readonly channel: GuardedEndpoint;
  private readonly ended = new EndOnce();
  private loading = 0;
  private readonly heartbeat: Heartbeat;

  constructor(
    readonly id: string,
    readonly backend: Backend,
    private readonly transport: Transport,
    private readonly options: ConnectionOptions,
    private readonly observer: ConnectionObserver,
  ) {
    installErrorWire();
    this.kind = transport.kind;
    this.channel = new GuardedEndpoint(transport.endpoint, options.maxMessageBytes);
    this.remote = wrap<HostApi>(this.channel);
    this.heartbeat = new Heartbeat(
      {
        ping: (timeoutMs) =>
          this.call('ping', (r) => r.ping(), { timeoutMs }).then((reply) => {
            if (reply.memoryBytes === undefined) return;
            this.memoryBytes = reply.memoryBytes;
            this.observer.onMemory(this, reply.memoryBytes);
          }),
        onLatency: (ms) => this.recordPing(ms),
        onHung: (misses) => this.close(hungError(this, misses)),
        // Starting and creating a session block the host's thread; silence is excused for a
        // while, not for ever, so that a host killed meanwhile is still found out.
        excused: (silentMs) =>
          (this.loading > 0 || this.state === 'starting') &&
          silentMs < options.heartbeat.timeoutMs * LOAD_GRACE_FACTOR,
      },
      options.heartbeat,
    );
    transport.listen({
      onFatal: (error) => this.close(error.with({ backend, connectionId: id })),
      onHostEvent: (event) => this.observer.onHostEvent(this, event),
    });
    // From the first moment: a host killed while it starts sends no event either.
    this.heartbeat.start();
  }

  /** The error the connection closed with, once closed. */
  get closedWith(): AccelError | undefined {
    return this.ended.ended;
  }

  /** Incoming messages dropped as malformed, unknown or repeated. */
  get droppedMessages(): number {
    return this.channel.droppedTotal;
  }

  /** The realm behind the connection, for tests that kill it from outside. */
  get realm(): Worker | HTMLIFrameElement {
    return this.transport.realm;
  }

  /** Starts the host and detects capabilities; rejects if the realm fails to come up. */
  async start(signal?: AbortSignal): Promise<HostCapabilities> {
    const init = {
      connectionId: this.id,
      backend: this.backend,
      wasmPaths: this.options.wasmPaths,
      numThreads: this.options.numThreads,
      faultInjection: this.options.faultInjection,
    };
    const capabilities = await this.call('start', (r) => r.start(init), {
      signal,
      timeoutMs: this.options.startTimeoutMs,
    });
    this.transport.markStarted?.();
    this.capabilities = capabilities;
    if (this.state === 'starting') this.state = 'ready';
    return capabilities;
  }

  /**
   * Loads a model once; later calls for the same id share the first load. A caller's signal
   * abandons its own wait, never the shared load.
   */
  load(
    modelId: string,
    bytes: Uint8Array,
    sessionOptions: PassThroughSessionOptions | undefined,
    signal?: AbortSignal,
  ): Promise<ModelInfo> {
    let loading = this.models.get(modelId);
    if (loading === undefined) {
      this.loading += 1;
      loading = this.call('load', (r) => r.load({ modelId, bytes, sessionOptions }), {
        timeoutMs: this.options.loadTimeoutMs,
      });
      this.models.set(modelId, loading);
      const settled = loading.finally(() => (this.loading -= 1));
      settled.catch(() => this.models.delete(modelId));
    }
    if (signal === undefined) return loading;
    return raceCall(loading, { signal, onTimeout: () => abortError(signal), onAbort: () => abortError(signal) });
  }

  run(
    modelId: string,
    feeds: WireFeeds,
    options: CallOptions & { keep?: readonly string[] },
  ): Promise<RunReply> {
    return this.call('run', (r) => r.run(modelId, feeds, options.keep ?? []), options);
  }

  readTensor(handle: string, options: CallOptions): Promise<WireTensor> {
    return this.call('readTensor', (r) => r.readTensor(handle), options);
  }

  releaseTensors(handles: readonly string[]): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    return this.call('releaseTensors', (r) => r.releaseTensors(handles), {
      timeoutMs: this.options.heartbeat.timeoutMs,
    });
  }

  async unload(modelId: string): Promise<void> {
    if (!this.models.delete(modelId) || this.state === 'closed') return;
    await this.call('unload', (r) => r.unload(modelId), { timeoutMs: this.options.loadTimeoutMs });
  }

  hostStats(): Promise<HostStats> {
    return this.call('stats', (r) => r.stats(), { timeoutMs: this.options.heartbeat.timeoutMs });
  }

  injectFault(fault: HostFault): Promise<void> {
    return this.call('fault', (r) => r.injectFault(fault), { timeoutMs: this.options.startTimeoutMs });
  }

  /** Ends the connection: its realm is terminated and every pending call rejects with `error`. */
  close(error: AccelError): void {
    if (this.state === 'closed') return;

    this.state = 'closed';
    this.heartbeat.stop();
    this.transport.terminate();
    this.ended.end(error);
    this.observer.onClosed(this, error);
  }

  private recordPing(ms: number): void {
    this.lastPingMs = ms;
    this.observer.onPing(this, ms);
  }

  private call<T>(
    what: string,
    invoke: (remote: Remote<HostApi>) => Promise<T>,
    { signal, timeoutMs }: CallOptions,
  ): Promise<T> {
    const closed = this.ended.ended;
    if (closed !== undefined) return Promise.reject(closed);

    return raceCall(invoke(this.remote), {
      ends: [this.ended],
      signal,
      timeoutMs,
      onTimeout: () =>
        new AccelError(`${what} on connection ${this.id} took longer than ${timeoutMs} ms`, {
          category: ErrorCategory.TIMEOUT,
          code: 'DEADLINE_EXCEEDED',
          backend: this.backend,
          connectionId: this.id,
        }),
      onAbort: () => abortError(signal),
    });
  }
}

function hungError(connection: Connection, misses: number): AccelError {
  return new AccelError(
    `Connection ${connection.id} missed ${misses} heartbeats and was declared hung`,
    {
      category: ErrorCategory.CONNECTION,
      code: 'HEARTBEAT_MISSED',
      backend: connection.backend,
      connectionId: connection.id,
    },
  );
}

/** Rebuilds a host event's error. */
export function hostEventError(event: HostEvent): Error {
  return fromWireError(event.error);
}
