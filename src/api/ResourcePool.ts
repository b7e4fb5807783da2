import mitt, { type Emitter } from 'mitt';
import { Tensor } from 'onnxruntime-common';
import type { Connection } from '../connections/Connection';
import { fromWireTensors, toWireTensors, type TensorConstructor } from '../connections/tensorWire';
import { AccelError, isAccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { classify } from '../errors/classify';
import { fetchModelBytes } from '../model/fetchModelBytes';
import { ModelEntry } from '../model/ModelEntry';
import { modelKey } from '../model/modelKey';
import { selectVariant } from '../model/selectVariant';
import { validateFeeds } from '../model/validateFeeds';
import { ConnectionPool } from '../pool/ConnectionPool';
import type { PoolEvents } from './events';
import { ModelHandle, type ModelOwner } from './ModelHandle';
import { resolvePoolOptions, type PoolOptions, type ResolvedPoolOptions } from './options';
import type { PoolStats } from './stats';
import type { Backend, BackendFailure, Feeds, GetModelOptions, Results, RunOptions } from './types';
import { checkGetModelOptions, checkRunOptions } from './validateOptions';
import { INTERNALS, type PoolInternals } from './internals';

/**
 * The coordinator on the page's main thread: it loads models into connections, routes runs to
 * them, and ends them all on `dispose()`. Create one with {@link createResourcePool}.
 */
export class ResourcePool implements ModelOwner {
  /** Typed events: connection lifecycle, fallbacks, models ready. */
  readonly events: Emitter<PoolEvents> = mitt<PoolEvents>();
  private readonly options: ResolvedPoolOptions;
  private readonly connections: ConnectionPool;
  private readonly models = new Map<string, ModelEntry>();
  private readonly handles = new WeakMap<ModelEntry, Promise<ModelHandle>>();
  private sequence = 0;
  private disposed = false;

  constructor(options?: PoolOptions) {
    this.options = resolvePoolOptions(options);
    this.connections = new ConnectionPool(this.options, this.events);
  }

  /**
   * Loads a model, or returns the handle already loaded for the same name, source and
   * preferences (one more reference). Backends are tried in priority order; each one passed over
   * is recorded with its reason in `stats()`.
   */
  async getModel(options: GetModelOptions): Promise<ModelHandle> {
    this.assertLive();
    checkGetModelOptions(options);

    const priority = options.preferences?.priority ?? this.options.priority;
    const variant = selectVariantOrThrow(options);
    const key = modelKey(options.name, variant.source, variant.precision, priority);
    const existing = this.models.get(key);
    if (existing !== undefined) {
      existing.references += 1;
      return this.handleOf(existing);
    }

    const entry = new ModelEntry(
      `m${++this.sequence}`,
      key,
      options.name,
      options.type,
      variant.precision,
      priority,
      options.preferences?.sessionOptions,
    );
    this.models.set(key, entry);
    const handle = this.load(entry, variant.source, options.signal).then(
      () => new ModelHandle(this, entry),
    );
    handle.catch(() => this.forget(entry));
    this.handles.set(entry, handle);
    return handle;
  }

  /** @internal Runs a model for its handle. */
  async run(entry: ModelEntry, feeds: Feeds, options: RunOptions = {}): Promise<Results> {
    this.assertLive();
    if (entry.released) {
      throw new AccelError(`Model ${entry.name} was released; ask for it again with getModel()`, {
        category: ErrorCategory.INVALID_INPUT,
        code: 'MODEL_RELEASED',
      });
    }
    checkRunOptions(options);
    validateFeeds(feeds, entry.info ?? { inputs: [], outputs: [], loadMs: 0 });

    const connection = await this.connectionFor(entry, options.signal);
    const metrics = this.connections.metricsOf(connection);
    try {
      const reply = await connection.run(entry.id, toWireTensors(feeds), {
        signal: options.signal,
        timeoutMs: options.timeoutMs ?? this.options.runTimeoutMs,
      });
      metrics.runs += 1;
      entry.recordRun(reply.runMs);
      return fromWireTensors(reply.outputs, Tensor as unknown as TensorConstructor);
    } catch (error) {
      const accel = classify(error, { phase: 'run', backend: connection.backend, connectionId: connection.id });
      if (accel.scope !== 'caller') {
        metrics.errors += 1;
        entry.errors += 1;
      }
      throw accel;
    }
  }

  /** @internal Gives back one reference of a model. */
  release(entry: ModelEntry): void {
    if (entry.released) return;
    entry.references -= 1;
    if (!entry.released) return;

    this.forget(entry);
    entry.connection?.unload(entry.id).catch(() => undefined);
    entry.bytes = undefined;
  }

  /** A plain, serialisable snapshot of connections, models and missing backends. */
  stats(): PoolStats {
    const connections = this.connections.list().map((c) => {
      const { runs, errors } = this.connections.metricsOf(c);
      const gpu = c.capabilities?.webgpu;
      return {
        id: c.id,
        kind: c.kind,
        backend: c.backend,
        state: c.state,
        runs,
        errors,
        errorRate: runs + errors === 0 ? 0 : errors / (runs + errors),
        models: c.models.size,
        pingMs: c.lastPingMs,
        adapter: c.backend === 'webgpu' && gpu?.available === true
          ? `${gpu.vendor ?? '?'} ${gpu.architecture ?? ''}`.trim()
          : undefined,
      };
    });
    const models = [...this.models.values()].map((m) => ({
      name: m.name,
      type: m.type,
      backend: m.backend,
      precision: m.precision,
      connectionId: m.connection?.id,
      references: m.references,
      runs: m.runs,
      errors: m.errors,
      loadMs: m.info?.loadMs,
      medianRunMs: m.medianRunMs(),
      fallbacks: m.fallbacks.map((f) => ({ ...f })),
    }));
    return {
      connections,
      models,
      capabilityFailures: this.connections.capabilityFailures,
      totalRuns: connections.reduce((sum, c) => sum + c.runs, 0),
      totalErrors: connections.reduce((sum, c) => sum + c.errors, 0),
    };
  }

  /**
   * Ends every connection. Pending and later calls reject with category `CANCELLED`, code
   * `DISPOSED`; nothing is left pending. Safe to call twice.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.connections.closeAll(disposedError());
    this.models.clear();
  }

  /** @internal Test access; not part of the public API. */
  get [INTERNALS](): PoolInternals {
    return { connections: () => this.connections.list() };
  }

  private async load(entry: ModelEntry, source: GetModelOptions['source'], signal?: AbortSignal) {
    const bytes = await fetchModelBytes(selectSource(source, entry), { fetch: this.options.fetch, signal });
    entry.bytes = bytes;

    let last: AccelError | undefined;
    for (const [index, backend] of entry.priority.entries()) {
      try {
        await this.loadOn(entry, backend, signal);
        return;
      } catch (error) {
        last = classify(error, { phase: 'load', backend });
        if (last.scope === 'model' || last.scope === 'caller' || this.disposed) throw last;
        this.recordFallback(entry, toFailure(backend, last), entry.priority[index + 1]);
      }
    }
    throw noBackendError(entry, last);
  }

  private async loadOn(entry: ModelEntry, backend: Backend, signal?: AbortSignal): Promise<void> {
    const connection = await this.connections.acquire(backend, signal);
    const bytes = entry.bytes;
    if (bytes === undefined) throw disposedError();

    const info = await connection.load(entry.id, bytes, entry.sessionOptions, signal);
    entry.backend = backend;
    entry.connection = connection;
    entry.info = info;
    this.events.emit('model:ready', {
      model: entry.name,
      backend,
      connectionId: connection.id,
      loadMs: info.loadMs,
    });
  }

  /** The entry's connection, replaced (and the model loaded again) if it has closed. */
  private async connectionFor(entry: ModelEntry, signal?: AbortSignal): Promise<Connection> {
    const current = entry.connection;
    if (current !== undefined && current.state !== 'closed') return current;
    if (entry.backend === undefined) throw disposedError();

    await this.loadOn(entry, entry.backend, signal);
    const connection = entry.connection as Connection | undefined;
    if (connection === undefined) throw disposedError();
    return connection;
  }

  private recordFallback(entry: ModelEntry, failure: BackendFailure, next: Backend | undefined) {
    entry.fallbacks.push(failure);
    this.events.emit('fallback', { model: entry.name, failure, next });
  }

  private handleOf(entry: ModelEntry): Promise<ModelHandle> {
    const handle = this.handles.get(entry);
    if (handle === undefined) throw disposedError();
    return handle.catch((error: unknown) => {
      entry.references -= 1;
      throw error;
    });
  }

  private forget(entry: ModelEntry): void {
    if (this.models.get(entry.key) === entry) this.models.delete(entry.key);
  }

  private assertLive(): void {
    if (this.disposed) throw disposedError();
  }
}

function selectVariantOrThrow(options: GetModelOptions) {
  try {
    return selectVariant(options.source, options.preferences?.precision);
  } catch (error) {
    throw new AccelError(String((error as Error).message), {
      category: ErrorCategory.INVALID_INPUT,
      cause: error,
    });
  }
}

function selectSource(source: GetModelOptions['source'], entry: ModelEntry) {
  return selectVariant(source, entry.precision).source;
}

function toFailure(backend: Backend, error: AccelError): BackendFailure {
  return { backend, category: error.category, code: error.code, message: error.message };
}

function noBackendError(entry: ModelEntry, last: AccelError | undefined): AccelError {
  const reasons = entry.fallbacks.map((f) => `${f.backend}: ${f.message}`).join('; ');
  return new AccelError(`No backend could run ${entry.name} (${reasons})`, {
    category: last?.category ?? ErrorCategory.BROWSER_CAPABILITY,
    code: 'NO_BACKEND',
    scope: 'model',
    attempts: entry.priority.length,
    cause: last,
  });
}

function disposedError(): AccelError {
  return new AccelError('The pool was disposed', {
    category: ErrorCategory.CANCELLED,
    code: 'DISPOSED',
  });
}

