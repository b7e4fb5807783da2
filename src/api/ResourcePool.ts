import type { Emitter } from 'mitt';
import { createEmitter } from './createEmitter';
import { raceCall } from '../util/raceCall';
import { abortError, disposedError } from '../errors/cancellation';
import type { HostFault } from '../connections/protocol';
import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { ModelEntry } from '../model/ModelEntry';
import { modelKey } from '../model/modelKey';
import { selectVariant } from '../model/selectVariant';
import { validateFeeds, validateKeep } from '../model/validateFeeds';
import { TensorStore } from '../tensors/TensorStore';
import { CallExecutor, type RecoveryCounters } from '../pool/CallExecutor';
import { toCallFeeds } from '../pool/callFeeds';
import { ConnectionPool } from '../pool/ConnectionPool';
import type { PoolEvents } from './events';
import { INTERNALS, type PoolInternals } from './internals';
import { ModelHandle, type ModelOwner } from './ModelHandle';
import { resolvePoolOptions, type PoolOptions, type ResolvedPoolOptions } from './options';
import { healthOf, statsOf } from './snapshots';
import type { PoolHealth, PoolStats } from './stats';
import type {
  ConcurrentCall,
  ConcurrentResult,
  Feeds,
  GetModelOptions,
  KeptResults,
  RunOptions,
} from './types';
import { classify } from '../errors/classify';
import { HealthHistory } from '../history/HealthHistory';
import { checkGetModelOptions, checkRunOptions } from './validateOptions';

/**
 * The coordinator on the page's main thread: it loads models into connections, routes runs to
 * them behind circuit breakers, recovers failed calls, and ends everything on `dispose()`.
 * Create one with {@link createResourcePool}.
 */
export class ResourcePool implements ModelOwner {
  /** Typed events: connection lifecycle, breaker transitions, recoveries, fallbacks. */
  readonly events: Emitter<PoolEvents> = createEmitter<PoolEvents>();
  private readonly options: ResolvedPoolOptions;
  private readonly connections: ConnectionPool;
  private readonly executor: CallExecutor;
  private readonly counters: RecoveryCounters = { recoveryAttempts: {}, errorCategories: {} };
  private readonly tensors: TensorStore;
  private readonly history: HealthHistory;
  private readonly models = new Map<string, ModelEntry>();
  private readonly handles = new WeakMap<ModelEntry, Promise<ModelHandle>>();
  private sequence = 0;
  private disposed = false;
  /** Aborted with the disposal error when the pool is disposed: ends every wait at once. */
  private readonly lifetime = new AbortController();

  constructor(options?: PoolOptions) {
    this.options = resolvePoolOptions(options);
    const lifetime = this.lifetime.signal;
    this.tensors = new TensorStore(this.options.maxMemoryMb * 2 ** 20, this.options.clock);
    this.history = new HealthHistory(this.options.storage, this.options.history, this.options.clock, this.events);
    this.connections = new ConnectionPool(this.options, this.events, this.options.clock, lifetime, this.history);
    this.executor = new CallExecutor(
      this.connections,
      this.options,
      this.events,
      this.counters,
      this.tensors,
      this.options.clock,
      lifetime,
      this.history,
    );
  }

  /**
   * Loads a model, or returns the handle already loaded for the same name, source, precision
   * and priority (one more reference). Backends are tried in order; each one passed over is
   * recorded with its reason in `stats()`. A model's own `preferences.priority` is kept as given;
   * the pool's `priority` is reordered by history: the backend measured fastest for the model
   * (or its type) first, one with an open breaker last.
   */
  async getModel(options: GetModelOptions): Promise<ModelHandle> {
    this.assertLive();
    checkGetModelOptions(options);

    const ownPriority = options.preferences?.priority;
    const priority = ownPriority ?? this.options.priority;
    const variant = callerError(() =>
      selectVariant(options.source, options.preferences?.precision, this.options.lowMemory),
    );
    const kind = options.preferences?.connectionKind ?? this.options.connectionKind;
    const key = modelKey(options.name, variant.source, variant.precision, priority, [options.sha256, kind]);
    const existing = this.models.get(key);
    if (existing !== undefined) {
      existing.references += 1;
      return this.waitFor(existing, options);
    }

    const entry = new ModelEntry(
      `m${++this.sequence}`,
      key,
      options.name,
      options.type,
      options.source,
      variant.precision,
      priority,
      options.preferences?.sessionOptions,
      options.preferences?.warmup ?? false,
      options.sha256,
      kind,
    );
    this.models.set(key, entry);
    const handle = this.routeAndLoad(entry, ownPriority === undefined).then(() => {
      // Every caller gave up while it loaded: the model was released before anyone had it.
      if (entry.released) this.unload(entry);
      return new ModelHandle(this, entry);
    });
    handle.catch(() => this.forget(entry));
    this.handles.set(entry, handle);
    return this.waitFor(entry, options);
  }

  /**
   * Loads several models, such as the parts of a pipeline. With `parallelLoading` (the default)
   * they load at once, spread over connections as each load occupies one; without, one after
   * another. If one fails, the others are released and the first error is thrown.
   */
  async getModels(
    requests: readonly GetModelOptions[],
    { parallelLoading = true }: { parallelLoading?: boolean } = {},
  ): Promise<ModelHandle[]> {
    const loaded: ModelHandle[] = [];
    try {
      if (parallelLoading) {
        const settled = await Promise.allSettled(requests.map((r) => this.getModel(r)));
        for (const outcome of settled) if (outcome.status === 'fulfilled') loaded.push(outcome.value);
        const failed = settled.find((o): o is PromiseRejectedResult => o.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      } else {
        for (const request of requests) loaded.push(await this.getModel(request));
      }
      return loaded;
    } catch (error) {
      for (const handle of loaded) handle.release();
      throw error;
    }
  }

  /** @internal Runs a model for its handle. */
  async run(entry: ModelEntry, feeds: Feeds, options: RunOptions = {}): Promise<KeptResults> {
    this.assertLive();
    if (entry.released) {
      throw new AccelError(`Model ${entry.name} was released; ask for it again with getModel()`, {
        category: ErrorCategory.INVALID_INPUT,
        code: 'MODEL_RELEASED',
      });
    }
    checkRunOptions(options);
    const callFeeds = callerError(() => {
      const info = entry.info ?? { inputs: [], outputs: [], loadMs: 0 };
      validateFeeds(feeds, info);
      validateKeep(options?.keep, info);
      return toCallFeeds(feeds);
    });
    return this.executor.run(entry, callFeeds, options);
  }

  /**
   * Runs many calls at once, spread over the connections, and resolves with one outcome per call
   * in the same order: a failure loses no other call's result. `options` apply to every call.
   */
  async runConcurrent(
    calls: readonly ConcurrentCall[],
    options: Omit<RunOptions, 'keep'> = {},
  ): Promise<ConcurrentResult[]> {
    this.assertLive();
    if (!Array.isArray(calls)) {
      throw new AccelError('runConcurrent: calls must be an array of [model, feeds] pairs', {
        category: ErrorCategory.INVALID_INPUT,
      });
    }
    return Promise.all(calls.map((call, index) => this.settleOne(call, index, options)));
  }

  /** @internal Gives back one reference of a model. */
  release(entry: ModelEntry): void {
    if (entry.released) return;
    entry.references -= 1;
    if (!entry.released) return;

    this.forget(entry);
    // Calls already running finish first; the model leaves the connections after them.
    if (entry.inFlight > 0) entry.onIdle = () => this.unload(entry);
    else this.unload(entry);
  }

  /**
   * Forgets what history holds, in this pool and in its database: run times, breaker states,
   * failures. Breakers of running connections keep their state.
   */
  async clearHistory(): Promise<void> {
    this.assertLive();
    await this.history.ready;
    await this.history.clear();
  }

  /** A plain, serialisable snapshot of connections, models and missing backends. */
  stats(): PoolStats {
    return statsOf(this.connections, this.models.values(), this.executor.queued, this.tensors.stats());
  }

  /**
   * Health in the WebNN/WebGPU resource pool's terms: overall score, open and half-open circuits, each connection's
   * score, breaker state and error rate, recovery attempts and error categories seen.
   */
  health(): PoolHealth {
    return healthOf(this.connections, this.counters, this.history);
  }

  /** Holds a connection's breaker open until {@link ResourcePool.resetConnection}. */
  isolateConnection(connectionId: string): void {
    this.slot(connectionId).breaker.isolate();
  }

  /** Closes a connection's breaker and clears its counters, lifting any isolation. */
  resetConnection(connectionId: string): void {
    this.slot(connectionId).breaker.reset();
  }

  /**
   * Ends every connection. Pending and later calls reject with category `CANCELLED`, code
   * `DISPOSED`; nothing is left pending. Safe to call twice.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const disposed = disposedError();
    this.lifetime.abort(disposed);
    this.connections.closeAll(disposed);
    this.tensors.clear();
    this.models.clear();
    await this.history.close();
  }

  /** @internal Test access; not part of the public API. */
  get [INTERNALS](): PoolInternals {
    return {
      slots: () => this.connections.allSlots(),
      injectFault: (connectionId: string, fault: HostFault) => {
        const live = this.slot(connectionId).live;
        if (live === undefined) throw new Error(`${connectionId} has no running connection`);
        return live.injectFault(fault);
      },
    };
  }

  private async settleOne(
    call: unknown,
    index: number,
    options: Omit<RunOptions, 'keep'>,
  ): Promise<ConcurrentResult> {
    try {
      const [model, feeds] = Array.isArray(call) ? call : [];
      if (!(model instanceof ModelHandle) || model.owner !== this) {
        throw new AccelError(`runConcurrent: call ${index} needs a model from this pool's getModel()`, {
          category: ErrorCategory.INVALID_INPUT,
        });
      }
      return { status: 'fulfilled', value: await model.run(feeds as Feeds, { ...options, keep: undefined }) };
    } catch (error) {
      return { status: 'rejected', reason: classify(error, { phase: 'run' }) };
    }
  }

  private slot(connectionId: string) {
    const slot = this.connections.allSlots().find((s) => s.id === connectionId);
    if (slot === undefined) {
      throw new RangeError(`No connection ${JSON.stringify(connectionId)}; see stats().connections`);
    }
    return slot;
  }

  /**
   * One caller's wait for a shared load. Its signal abandons its own wait and gives back its
   * reference; the load goes on for the other callers.
   */
  private async waitFor(entry: ModelEntry, { signal, onProgress }: GetModelOptions): Promise<ModelHandle> {
    const handle = this.handles.get(entry);
    if (handle === undefined) throw new Error(`Model ${entry.name} has no handle`);
    if (onProgress !== undefined) entry.progressListeners.add(onProgress);
    try {
      const ready = await raceCall(handle, { signal, onTimeout: () => abortError(signal), onAbort: () => abortError(signal) });
      // The load may have finished (its warm-up's failure is only reported) just as the pool
      // was disposed: a handle to a disposed pool is no answer.
      if (this.disposed) throw disposedError();
      return ready;
    } catch (error) {
      if (signal?.aborted === true) this.release(entry);
      else entry.references -= 1;
      throw error;
    } finally {
      if (onProgress !== undefined) entry.progressListeners.delete(onProgress);
    }
  }

  /** Orders the backends by history (unless the model gave its own order), then loads. */
  private async routeAndLoad(entry: ModelEntry, learned: boolean): Promise<void> {
    // Connections take their first breaker state from history, so it must be read even when
    // the model gave its own order: a backend open in another tab must not start closed here.
    await this.history.ready;
    if (learned) {
      const route = this.history.route(entry.priority, entry.name, entry.type, entry.kind);
      entry.priority = route.order;
      entry.routeReason = route.reason;
    }
    return this.executor.load(entry);
  }

  private unload(entry: ModelEntry): void {
    entry.onIdle = undefined;
    for (const slot of this.connections.allSlots()) {
      for (const modelId of slot.live?.models.keys() ?? []) {
        if (modelId === entry.id || modelId.startsWith(`${entry.id}@`)) {
          slot.live?.unload(modelId).catch(() => undefined);
        }
      }
    }
    entry.dropBytes();
  }

  private forget(entry: ModelEntry): void {
    if (this.models.get(entry.key) === entry) this.models.delete(entry.key);
  }

  private assertLive(): void {
    if (this.disposed) {
      throw disposedError();
    }
  }
}

/**
 * Runs a check of the caller's input: whatever it throws (a TypeError, a getter or a Proxy
 * trap of the caller's) is the caller's mistake.
 */
function callerError<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof AccelError) throw error;
    throw new AccelError(`Invalid input: ${error instanceof Error ? error.message : String(error)}`, {
      category: ErrorCategory.INVALID_INPUT,
      code: 'INVALID_FEEDS',
      cause: error,
    });
  }
}
