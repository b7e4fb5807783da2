import type { Emitter } from 'mitt';
import { Tensor } from 'onnxruntime-common';
import type { PoolEvents } from '../api/events';
import type { ResolvedPoolOptions } from '../api/options';
import type { Backend, Feeds, KeptResults, Precision, RunOptions } from '../api/types';
import type { Connection } from '../connections/Connection';
import { abortError } from '../errors/cancellation';
import type { ModelInfo, WireFeeds } from '../connections/protocol';
import { TensorHandle } from '../tensors/TensorHandle';
import type { TensorStore } from '../tensors/TensorStore';
import { fromWireTensors, type TensorConstructor } from '../connections/tensorWire';
import { AccelError } from '../errors/AccelError';
import { ErrorCategory, type ErrorCategory as Category } from '../errors/ErrorCategory';
import { classify, type ErrorPhase } from '../errors/classify';
import { fetchModelBytes } from '../model/fetchModelBytes';
import type { ModelEntry } from '../model/ModelEntry';
import { selectVariant } from '../model/selectVariant';
import type { HealthHistory } from '../history/HealthHistory';
import type { Clock, Permit } from '../resilience/CircuitBreaker';
import { RECOVERY_PLANS, backoffDelay, type RecoveryStrategy } from '../resilience/RecoveryPlan';
import {
  POOL_ENDINGS,
  circuitOpenError,
  deadlineError,
  noBackendError,
  releasedError,
} from './callErrors';
import { toCallFeeds, zeroFeeds, type CallFeeds } from './callFeeds';
import { sleep } from '../util/sleep';
import { report } from '../util/report';
import { raceCall } from '../util/raceCall';
import type { ConnectionPool } from './ConnectionPool';
import { rankSlots } from './Router';
import type { Slot } from './Slot';
import { WaitQueue } from './WaitQueue';

/** Counters the pool reports in `health()`. */
export interface RecoveryCounters {
  recoveryAttempts: Partial<Record<Category, number>>;
  errorCategories: Partial<Record<Category, number>>;
}

/** Where one call stands: its target, its budget and what it has tried. */
interface Call {
  readonly entry: ModelEntry;
  readonly feeds: CallFeeds | undefined;
  readonly keep: readonly string[];
  readonly signal: AbortSignal | undefined;
  readonly deadline: number;
  backend: Backend;
  precision: Precision | undefined;
  attempts: number;
  retries: number;
  lastSlot: Slot | undefined;
  readonly excluded: Set<Slot>;
  readonly triedBackends: Set<Backend>;
  readonly planStep: Map<string, number>;
}

/** Plan for a call turned away by open breakers: somewhere else, or nowhere. */
const CIRCUIT_OPEN_PLAN: readonly RecoveryStrategy[] = ['another-connection', 'another-backend', 'wasm'];

/**
 * Carries one call to a result: picks a slot whose breaker admits it, makes sure the model is
 * loaded there, runs it, and on failure settles the breaker and health, then follows the
 * category's recovery plan until the call succeeds, runs out of attempts, or reaches its deadline.
 */
export class CallExecutor {
  private readonly queue: WaitQueue;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly options: ResolvedPoolOptions,
    private readonly events: Emitter<PoolEvents>,
    private readonly counters: RecoveryCounters,
    private readonly tensors: TensorStore,
    private readonly clock: Clock,
    /** Aborts, with the disposal error as reason, when the pool is disposed. */
    private readonly lifetime: AbortSignal,
    private readonly history: HealthHistory,
    private readonly random: () => number = Math.random,
  ) {
    this.queue = new WaitQueue(options.maxQueueLength);
  }

  /** Calls waiting for room on a connection. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Loads a model on the first backend of its priority that takes it, recording each one passed
   * over. The bytes are fetched first, once: a failed download is about the model, not a
   * backend, and holds no connection while it lasts. A failure about the model itself ends the
   * search at once; a backend's failure gets one more connection before the next backend.
   */
  async load(entry: ModelEntry): Promise<void> {
    const fetching = this.newCall(entry, undefined, undefined, this.options.loadTimeoutMs, 'wasm');
    await this.withinDeadline(fetching, this.bytesFor(fetching));

    let last: AccelError | undefined;
    for (const [index, backend] of entry.priority.entries()) {
      const call = this.newCall(entry, undefined, undefined, this.options.loadTimeoutMs, backend);
      for (;;) {
        try {
          const { slot, info } = await this.withSlot(call, (connection) => this.ensureLoaded(connection, call));
          entry.backend = backend;
          entry.info = info;
          this.events.emit('model:ready', { model: entry.name, backend, connectionId: slot.id, loadMs: info.loadMs });
          if (entry.warmup !== false) await this.warmUp(entry, backend);
          return;
        } catch (error) {
          last = classify(error, { phase: 'load', backend });
          if (last.scope === 'model' || last.scope === 'caller') throw last;
          if (last.scope === 'backend' && call.excluded.size === 0 && this.anotherConnection(call)) continue;
          break;
        }
      }
      const failure = { backend, category: last.category, code: last.code, message: last.message };
      entry.fallbacks.push(failure);
      this.events.emit('fallback', { model: entry.name, failure, next: entry.priority[index + 1] });
    }
    throw noBackendError(entry, last);
  }

  /**
   * One run at load, on the connection that loaded the model, so that its first real call finds
   * shaders compiled. Its failure is reported, never thrown: the model itself loaded.
   */
  private async warmUp(entry: ModelEntry, backend: Backend): Promise<void> {
    const started = this.clock.now();
    try {
      const feeds = entry.warmup === true ? zeroFeeds(entry.info) : (entry.warmup as Feeds);
      await this.run(entry, toCallFeeds(feeds), { timeoutMs: this.options.loadTimeoutMs });
      entry.warmupMs = this.clock.now() - started;
      this.events.emit('model:warmup', { model: entry.name, backend, ms: entry.warmupMs });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.events.emit('model:warmup', { model: entry.name, backend, ms: this.clock.now() - started, error: message });
    }
  }

  /** Runs a model, recovering from failures by the category's plan. */
  async run(entry: ModelEntry, feeds: CallFeeds, options: RunOptions): Promise<KeptResults> {
    const timeoutMs = options.timeoutMs ?? this.options.runTimeoutMs;
    const call = this.newCall(entry, feeds, options.signal, timeoutMs, entry.backend ?? 'wasm', options.keep);

    entry.inFlight += 1;
    try {
      for (;;) {
        try {
          return await this.attemptRun(call);
        } catch (error) {
          const accel = classify(error, { phase: 'run', backend: call.backend });
          if (!(await this.recover(call, accel))) throw this.finalError(call, accel);
        }
      }
    } finally {
      entry.inFlight -= 1;
      if (entry.inFlight === 0) entry.onIdle?.();
    }
  }

  private async attemptRun(call: Call): Promise<KeptResults> {
    const { entry } = call;
    const { slot, info } = await this.withSlot(call, async (connection) => {
      await this.ensureLoaded(connection, call);
      const feeds = await this.withinDeadline(call, this.wireFeeds(call, connection));
      const timeoutMs = this.remaining(call);
      // Out of time before the host was even asked: the caller's deadline, no one's failure.
      if (timeoutMs <= 0) throw deadlineError(call);
      const options = { signal: call.signal, timeoutMs, keep: call.keep };
      const reply = await connection.run(entry.modelId(call.precision), feeds, options);
      return { reply, connection };
    });
    const { reply, connection } = info;
    slot.health.recordSuccess(reply.runMs);
    entry.recordRun(reply.runMs, slot.backend);
    this.history.recordRun(entry.name, entry.type, slot.backend, slot.kind, reply.runMs);
    const results: KeptResults = fromWireTensors(reply.outputs, Tensor as unknown as TensorConstructor);
    for (const [name, kept] of Object.entries(reply.kept)) results[name] = this.tensors.adopt(connection, kept);
    return results;
  }

  /** The feeds as the connection receives them: kept tensors by reference at home, else data. */
  private async wireFeeds(call: Call, connection: Connection): Promise<WireFeeds> {
    const wire: WireFeeds = {};
    for (const [name, feed] of Object.entries(call.feeds ?? {})) {
      wire[name] = feed instanceof TensorHandle ? await this.tensors.feedFor(feed, connection) : feed;
    }
    return wire;
  }

  /** The slot holding the call's kept feeds, which it should run on to avoid a copy. */
  private homeOf(call: Call): string | undefined {
    for (const feed of Object.values(call.feeds ?? {})) {
      if (feed instanceof TensorHandle) return this.tensors.residence(feed)?.id;
    }
    return undefined;
  }

  private newCall(
    entry: ModelEntry,
    feeds: CallFeeds | undefined,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    backend: Backend,
    keep: readonly string[] = [],
  ): Call {
    return {
      entry,
      feeds,
      keep,
      signal: signal === undefined ? this.lifetime : AbortSignal.any([signal, this.lifetime]),
      deadline: this.clock.now() + timeoutMs,
      backend,
      precision: entry.precision,
      attempts: 0,
      retries: 0,
      lastSlot: undefined,
      excluded: new Set(),
      triedBackends: new Set([backend]),
      planStep: new Map(),
    };
  }

  /**
   * One attempt: a slot whose breaker admits the call, its connection, and `work` on it. The
   * permit is settled by the outcome; caller mistakes and cancellations settle nothing.
   */
  private async withSlot<T>(
    call: Call,
    work: (connection: Connection) => Promise<T>,
  ): Promise<{ slot: Slot; info: T }> {
    const { slot, permit } = await this.admit(call);
    call.attempts += 1;
    call.lastSlot = slot;
    try {
      const connection = await this.withinDeadline(call, this.pool.ensure(slot, call.signal));
      const info = await work(connection);
      permit.success();
      if (call.feeds !== undefined) {
        slot.runs += 1;
        slot.incarnationRuns += 1;
      }
      return { slot, info };
    } catch (error) {
      const phase: ErrorPhase = call.feeds === undefined ? 'load' : 'run';
      const accel = classify(error, { phase, backend: slot.backend, connectionId: slot.id });
      this.settleFailure(call, slot, permit, accel);
      throw accel;
    } finally {
      slot.inFlight -= 1;
      slot.lastUsed = this.clock.now();
      this.pool.recycleIfDue(slot);
      this.queue.wakeAll();
    }
  }

  /**
   * A slot with room whose breaker admits the call. When every slot is busy, a new connection
   * starts if the backend has room for one, else the call waits its turn in the queue; when
   * every breaker is open, the call is turned away with `CIRCUIT_OPEN`.
   */
  private async admit(call: Call): Promise<{ slot: Slot; permit: Permit }> {
    for (;;) {
      this.throwIfDone(call);
      const candidates = this.pool.slotsFor(call.entry.kind, call.backend).filter((s) => !call.excluded.has(s));
      let waitable = false;
      let retryAfterMs = Infinity;
      for (const slot of rankSlots(candidates, call.entry.modelId(call.precision), this.homeOf(call))) {
        if (slot.draining || slot.inFlight >= this.options.concurrencyPerConnection) {
          waitable = true;
          continue;
        }
        const admission = slot.breaker.tryAcquire();
        if (admission.admitted) {
          // Taken before any await, so that calls admitted together see each other.
          slot.inFlight += 1;
          return { slot, permit: admission.permit };
        }
        // Decision 1: extra work waits for a trial slot until its own deadline; no failure.
        if (admission.reason === 'half-open-full') waitable = true;
        else retryAfterMs = Math.min(retryAfterMs, admission.retryAfterMs);
      }
      if (waitable && this.pool.addSlot(call.entry.kind, call.backend) !== undefined) continue;
      if (!waitable) throw circuitOpenError(call.backend, retryAfterMs);
      await this.queue.wait(this.remaining(call), call.signal);
    }
  }

  private async ensureLoaded(connection: Connection, call: Call): Promise<ModelInfo> {
    const { entry, precision } = call;
    // A released model loads nowhere new, but calls made before the release (runs carry feeds)
    // finish first, on whichever connection recovery gives them.
    if (entry.released && call.feeds === undefined) throw releasedError(entry);
    const bytes = await this.withinDeadline(call, this.bytesFor(call));
    return this.withinDeadline(
      call,
      connection.load(entry.modelId(precision), bytes, entry.sessionOptions, call.signal),
    );
  }

  private bytesFor(call: Call): Promise<Uint8Array> {
    const { entry, precision } = call;
    return entry.bytesOf(precision, () =>
      fetchModelBytes(selectVariant(entry.source, precision).source, {
        fetch: this.options.fetch,
        signal: this.lifetime,
        maxBytes: this.options.maxModelMb * 2 ** 20,
        sha256: entry.sha256Of(precision),
        policy: { allowDataUrls: this.options.allowDataUrls },
        onProgress: (progress) => {
          // One caller's listener must not break a download other callers share.
          for (const listener of entry.progressListeners) {
            try {
              listener(progress);
            } catch (error) {
              report(error);
            }
          }
          this.events.emit('model:progress', { model: entry.name, ...progress });
        },
      }),
    );
  }

  /**
   * Waits for `work` no longer than the call's deadline or signal. Running out of time here,
   * before the host is asked to run, is the caller's deadline: it counts against no one.
   */
  private withinDeadline<T>(call: Call, work: Promise<T>): Promise<T> {
    return raceCall(work, {
      signal: call.signal,
      timeoutMs: this.remaining(call),
      onTimeout: () => deadlineError(call),
      onAbort: () => abortError(call.signal),
    });
  }

  private settleFailure(call: Call, slot: Slot, permit: Permit, error: AccelError): void {
    if (POOL_ENDINGS.includes(error.code)) {
      permit.release();
      return;
    }
    this.count('errorCategories', error.category);
    if (error.scope !== 'backend') {
      permit.release();
      return;
    }
    permit.failure();
    slot.errors += 1;
    this.history.recordError({
      category: error.category,
      code: error.code,
      message: error.message,
      model: call.entry.name,
      modelType: call.entry.type,
      backend: slot.backend,
      kind: slot.kind,
    });
    slot.health.recordFailure();
    // A lost device or a crash opens the breaker at once and ends the connection.
    if (error.category === ErrorCategory.BROWSER_CRASH) this.pool.crash(slot, error);
    // Decision 4: a trial that never answered leaves a hung connection behind; replace it.
    if (permit.trial && error.category === ErrorCategory.TIMEOUT) this.pool.restart(slot, error);
  }

  /** Applies the next strategy of the plan that fits; false when none is left. */
  private async recover(call: Call, error: AccelError): Promise<boolean> {
    if (error.scope === 'backend' && error.code !== 'CIRCUIT_OPEN') call.entry.errors += 1;
    if (error.scope === 'caller' || error.scope === 'model') return false;
    if (call.attempts >= this.options.retry.maxAttempts || this.remaining(call) <= 0) return false;
    // The pool itself ended the connection under the call (a restart for a sibling's failure,
    // recycling): nothing went wrong with this call, so it is sent again as it is.
    if (POOL_ENDINGS.includes(error.code)) return true;

    const planKey = error.code === 'CIRCUIT_OPEN' ? 'CIRCUIT_OPEN' : error.category;
    const plan = error.code === 'CIRCUIT_OPEN' ? CIRCUIT_OPEN_PLAN : RECOVERY_PLANS[error.category];
    for (let step = call.planStep.get(planKey) ?? 0; step < plan.length; step++) {
      const strategy = plan[step];
      if (strategy === undefined || !this.apply(strategy, call, error)) continue;

      call.planStep.set(planKey, step + 1);
      this.announce(call, error, strategy);
      if (strategy === 'retry') await this.backoff(call);
      return true;
    }
    return false;
  }

  private apply(strategy: RecoveryStrategy, call: Call, error: AccelError): boolean {
    const slot = call.lastSlot;
    switch (strategy) {
      case 'retry':
        return slot !== undefined && error.code !== 'CIRCUIT_OPEN';
      case 'restart':
        if (slot === undefined || slot.breaker.state === 'OPEN') return false;
        this.pool.restart(slot, error);
        return true;
      case 'another-connection':
        return this.anotherConnection(call);
      case 'another-backend':
        return this.switchBackend(call, error, this.nextBackend(call));
      case 'smaller-precision':
        return this.smallerPrecision(call);
      case 'wasm':
        return call.backend !== 'wasm' && this.switchBackend(call, error, 'wasm');
    }
  }

  private anotherConnection(call: Call): boolean {
    const slots = this.pool.slotsFor(call.entry.kind, call.backend);
    if (call.lastSlot !== undefined) call.excluded.add(call.lastSlot);
    const usable = slots.some((s) => !call.excluded.has(s) && s.breaker.state !== 'OPEN');
    return usable || this.pool.addSlot(call.entry.kind, call.backend) !== undefined;
  }

  private nextBackend(call: Call): Backend | undefined {
    return call.entry.priority.find(
      (b) => !call.triedBackends.has(b) && this.pool.missingReason(b) === undefined,
    );
  }

  private switchBackend(call: Call, error: AccelError, next: Backend | undefined): boolean {
    if (next === undefined || this.pool.missingReason(next) !== undefined) return false;
    const failure = { backend: call.backend, category: error.category, code: error.code, message: error.message };
    this.events.emit('fallback', { model: call.entry.name, failure, next });
    call.backend = next;
    call.triedBackends.add(next);
    call.excluded.clear();
    return true;
  }

  private smallerPrecision(call: Call): boolean {
    const smaller = call.entry.smallerThan(call.precision);
    if (smaller === undefined) return false;
    call.precision = smaller;
    return true;
  }

  private announce(call: Call, error: AccelError, strategy: RecoveryStrategy): void {
    this.count('recoveryAttempts', error.category);
    this.events.emit('recovery:attempt', {
      model: call.entry.name,
      connectionId: call.lastSlot?.id,
      category: error.category,
      code: error.code,
      strategy,
      attempt: call.attempts,
    });
  }

  private async backoff(call: Call): Promise<void> {
    call.retries += 1;
    const delay = backoffDelay(call.retries, this.options.retry, this.random);
    await sleep(Math.min(delay, this.remaining(call)), call.signal);
  }

  private count(counter: keyof RecoveryCounters, category: Category): void {
    const counts = this.counters[counter];
    counts[category] = (counts[category] ?? 0) + 1;
  }

  private remaining(call: Call): number {
    return Math.max(0, call.deadline - this.clock.now());
  }

  private throwIfDone(call: Call): void {
    if (call.signal?.aborted === true) throw abortError(call.signal);
    if (this.remaining(call) <= 0) throw deadlineError(call);
  }

  private finalError(call: Call, error: AccelError): AccelError {
    if (error.scope !== 'caller' && this.remaining(call) <= 0 && error.category !== ErrorCategory.TIMEOUT) {
      return deadlineError(call, error);
    }
    return error.with({ attempts: Math.max(1, call.attempts) });
  }
}

