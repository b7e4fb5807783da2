import type { Emitter } from 'mitt';
import type { PoolEvents } from '../api/events';
import type { Backend, ConnectionKind, ModelType } from '../api/types';
import type { CircuitSnapshot, Clock } from '../resilience/CircuitBreaker';
import { orderBackends, type BackendEvidence, type Route } from '../pool/Router';
import { browserPrior } from './browserPriors';
import { detectFingerprint } from './fingerprint';
import { HistoryChannel, type HistoryMessage } from './HistoryChannel';
import { HistoryStore, type StorageMode, type StorageStatus, type StoredHistory } from './HistoryStore';
import {
  MAX_SAMPLES,
  MODEL_TYPES,
  healthKey,
  performanceKey,
  type BackendHealthRecord,
  type FailureRecord,
  type Fingerprint,
  type PerformanceRecord,
} from './records';

/** Options of the pool's history; see `DEFAULT_POOL_OPTIONS.history`. */
export interface HistoryOptions {
  /**
   * The IndexedDB database, and the name of the channel that pools sharing it talk over.
   * @defaultValue `'webaccel'`
   */
  database?: string;
  /**
   * Measurements and breaker states older than this are not used.
   * @defaultValue 604800000 (a week)
   */
  ttlMs?: number;
  /**
   * Opening the database, a blocked upgrade included, gives up after this; the pool goes on
   * from memory and keeps trying.
   * @defaultValue 3000
   */
  openTimeoutMs?: number;
  /**
   * While persistence is lost, how often the database is tried again.
   * @defaultValue 30000
   */
  retryMs?: number;
  /**
   * Writes are batched into at most one transaction per this interval.
   * @defaultValue 1000
   */
  flushIntervalMs?: number;
  /**
   * Failures kept in the log of recent failures.
   * @defaultValue 100
   */
  maxFailures?: number;
}

/** A backend's record as `health().history` reports it. */
export interface BackendHistory {
  kind: ConnectionKind;
  backend: Backend;
  trips: number;
  crashes: number;
  /** The breaker as last recorded here or by another page. */
  circuitState: CircuitSnapshot['state'] | undefined;
  /** Clock time an open breaker allows a trial; null unless open. */
  openUntil: number | null;
  lastSeen: number;
}

/** `health().history`: where history lives and what it holds. */
export interface HistoryHealth {
  storage: StorageStatus;
  /** Whether other tabs of the origin hear this pool's trips and measurements. */
  shared: boolean;
  /** What records must have been measured under to be used. */
  fingerprint: Fingerprint;
  /** Measurements in use (same fingerprint, within the time to live). */
  measurements: number;
  /** By `kind:backend`. */
  backends: Record<string, BackendHistory>;
  /** The most recent failures, newest last. */
  recentFailures: FailureRecord[];
}

/** One measured model behind a recommendation. */
export interface MeasuredFigure {
  model: string;
  backend: Backend;
  connectionKind: ConnectionKind;
  p50Ms: number;
  p95Ms: number;
  runs: number;
  errors: number;
}

/** Where a model type is best run, and why. */
export interface Recommendation {
  backend: Backend;
  connectionKind: ConnectionKind;
  /** `measured`: by this origin's runs; `browser-default`: nothing measured yet. */
  basis: 'measured' | 'browser-default';
  /** Models of the type measured more than one way, and how many of them ran fastest here. */
  votes: number;
  of: number;
  /** The measurements behind it, fastest first. */
  measured: MeasuredFigure[];
}

/** Runs a backend needs before its median counts in routing. */
const MIN_RUNS = 2;
/** Failures `health().history` lists. */
const RECENT_FAILURES = 10;
/** What {@link HealthHistory.isFresh} judges a record by. */
type Dated = { lastSeen: number; fingerprint: Fingerprint };

const UNKNOWN: Fingerprint = { runtime: '', browser: 'unknown', browserMajor: 0, adapter: 'unknown' };

/**
 * What the pool has learned across page loads and tabs: run times per model and backend, the
 * breakers' last states, recent failures. It lives in memory, is saved to IndexedDB in batches,
 * and is shared live with the other pools of the origin; when storage fails, it goes on from
 * memory and says so.
 */
export class HealthHistory {
  /** Resolves once the fingerprint is known and the database read (or given up on); never rejects. */
  readonly ready: Promise<void>;
  private readonly performance = new Map<string, PerformanceRecord>();
  private readonly backends = new Map<string, BackendHealthRecord>();
  private failures: FailureRecord[] = [];
  private fingerprint: Fingerprint = UNKNOWN;
  private readonly store: HistoryStore;
  private readonly channel: HistoryChannel | undefined;
  private readonly unsent = new Set<string>();
  /**
   * Keys of breaker states this pool recorded itself. A new connection of this pool never
   * starts from them: its siblings' trips are theirs, and the router sends work past an open
   * sibling to exactly such a fresh connection.
   */
  private readonly ownBreakers = new Set<string>();
  private sendTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    storage: StorageMode,
    private readonly options: Required<HistoryOptions>,
    private readonly clock: Clock,
    private readonly events: Emitter<PoolEvents>,
  ) {
    this.store = new HistoryStore(storage, options, clock, {
      onStatus: (status) => this.events.emit('history:storage', { mode: status.mode, reason: status.reason }),
      snapshot: () => this.snapshot(),
    });
    this.channel =
      storage === 'memory'
        ? undefined
        : new HistoryChannel(`webaccel:${options.database}`, () => clock.now(), (m) => this.receive(m));
    this.ready = this.start();
  }

  /** A successful run's time. */
  recordRun(model: string, type: ModelType, backend: Backend, kind: ConnectionKind, ms: number): void {
    const record = this.performanceRecord(model, type, backend, kind);
    record.count += 1;
    record.samples.push(ms);
    if (record.samples.length > MAX_SAMPLES) record.samples.shift();
    const sorted = [...record.samples].sort((a, b) => a - b);
    record.p50 = percentile(sorted, 0.5);
    record.p95 = percentile(sorted, 0.95);
    this.savePerformance(record);
  }

  /** A failure the backend was to blame for. */
  recordError(failure: Omit<FailureRecord, 'at' | 'id'> & { modelType?: ModelType }): void {
    const { model, modelType, backend, kind } = failure;
    if (model !== undefined && modelType !== undefined && backend !== undefined && kind !== undefined) {
      const record = this.performanceRecord(model, modelType, backend, kind);
      record.errors += 1;
      this.savePerformance(record);
    }
    const entry: FailureRecord = {
      category: failure.category,
      code: failure.code,
      message: failure.message.slice(0, 500),
      at: this.clock.now(),
      ...(model === undefined ? {} : { model }),
      ...(backend === undefined ? {} : { backend }),
      ...(kind === undefined ? {} : { kind }),
    };
    this.failures.push(entry);
    if (this.failures.length > this.options.maxFailures) this.failures.shift();
    this.store.addFailure(entry);
  }

  /** A connection of the kind and backend crashed. */
  recordCrash(kind: ConnectionKind, backend: Backend): void {
    const record = this.healthRecord(kind, backend);
    record.crashes += 1;
    this.saveHealth(record);
  }

  /** A breaker of the kind and backend changed state; told to the other tabs at once. */
  recordBreaker(kind: ConnectionKind, backend: Backend, snapshot: CircuitSnapshot, tripped: boolean): void {
    // Isolation is a hand-made decision about one page's connection, not evidence to share.
    if (snapshot.isolated) return;
    const record = this.healthRecord(kind, backend);
    record.breaker = snapshot;
    if (tripped) record.trips += 1;
    this.ownBreakers.add(record.key);
    this.saveHealth(record);
    this.channel?.post({ type: 'health', record });
  }

  /**
   * The breaker state a new connection of the kind and backend starts from: the last one an
   * earlier page load or another tab recorded, if any; never one of this pool's own.
   */
  breakerFor(kind: ConnectionKind, backend: Backend): CircuitSnapshot | null {
    const key = healthKey(kind, backend);
    if (this.ownBreakers.has(key)) return null;
    return this.lastBreaker(key);
  }

  /** The order a model should try `priority` in, by what was measured and what is distrusted. */
  route(priority: readonly Backend[], model: string, type: ModelType, kind: ConnectionKind): Route {
    const fresh = this.freshPerformance().filter((r) => r.kind === kind && r.count >= MIN_RUNS);
    const modelMedians: BackendEvidence['modelMedians'] = {};
    for (const record of fresh) if (record.model === model) modelMedians[record.backend] = record.p50;

    const typeVotes: BackendEvidence['typeVotes'] = {};
    for (const winner of this.winners(fresh.filter((r) => r.modelType === type && r.model !== model))) {
      typeVotes[winner.backend] = (typeVotes[winner.backend] ?? 0) + 1;
    }
    const distrusted = new Map<Backend, number>();
    for (const backend of priority) {
      // Any open breaker of the backend counts here, this pool's own included: a new model
      // should not start where a sibling just failed.
      const wait = openFor(this.lastBreaker(healthKey(kind, backend)), this.clock.now());
      if (wait > 0) distrusted.set(backend, wait);
    }
    const prior = browserPrior(this.fingerprint.browser, type);
    return orderBackends(priority, { modelMedians, typeVotes, prior, distrusted });
  }

  /** Per model type, where it runs best and the figures behind it. */
  recommendations(): Partial<Record<ModelType, Recommendation>> {
    const now = this.clock.now();
    const usable = this.freshPerformance().filter(
      (r) => r.count >= MIN_RUNS && openFor(this.lastBreaker(healthKey(r.kind, r.backend)), now) === 0,
    );
    const result: Partial<Record<ModelType, Recommendation>> = {};
    for (const type of MODEL_TYPES) {
      const recommendation =
        this.recommendMeasured(usable.filter((r) => r.modelType === type)) ??
        this.browserDefault(type);
      if (recommendation !== undefined) result[type] = recommendation;
    }
    return result;
  }

  /** `health().history`. */
  health(): HistoryHealth {
    const backends: Record<string, BackendHistory> = {};
    for (const record of this.backends.values()) {
      if (!this.isFresh(record)) continue;
      backends[record.key] = {
        kind: record.kind,
        backend: record.backend,
        trips: record.trips,
        crashes: record.crashes,
        circuitState: record.breaker?.state,
        openUntil: record.breaker?.openUntil ?? null,
        lastSeen: record.lastSeen,
      };
    }
    return {
      storage: this.store.status,
      shared: this.channel?.open === true,
      fingerprint: { ...this.fingerprint },
      measurements: this.freshPerformance().length,
      backends,
      recentFailures: this.failures.slice(-RECENT_FAILURES).map((f) => ({ ...f })),
    };
  }

  /** Forgets everything, here and in the database. */
  async clear(): Promise<void> {
    this.performance.clear();
    this.backends.clear();
    this.failures = [];
    this.unsent.clear();
    await this.store.clear();
  }

  /** Saves what is pending and lets go of the database and the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.sendTimer);
    this.sendMeasurements();
    this.channel?.close();
    await this.store.close();
  }

  private async start(): Promise<void> {
    this.fingerprint = await detectFingerprint();
    const stored = await this.store.open();
    for (const record of stored.performance) this.adopt(this.performance, record);
    for (const record of stored.health) this.adopt(this.backends, record);
    this.failures = [...stored.failures, ...this.failures].slice(-this.options.maxFailures);
  }

  /** Keeps the newer of what is held and what arrived. */
  private adopt<R extends { key: string; lastSeen: number }>(map: Map<string, R>, record: R): boolean {
    const held = map.get(record.key);
    if (held !== undefined && held.lastSeen > record.lastSeen) return false;
    map.set(record.key, record);
    return true;
  }

  private receive(message: HistoryMessage): void {
    if (this.closed) return;
    const adopted =
      message.type === 'health'
        ? this.adopt(this.backends, message.record)
        : this.adopt(this.performance, message.record);
    if (!adopted) return;
    if (message.type === 'health') this.ownBreakers.delete(message.record.key);
    const { kind, backend } = message.record;
    this.events.emit('history:remote', { type: message.type, kind, backend });
  }

  private lastBreaker(key: string): CircuitSnapshot | null {
    const record = this.backends.get(key);
    return record !== undefined && this.isFresh(record) ? record.breaker : null;
  }

  private performanceRecord(
    model: string,
    type: ModelType,
    backend: Backend,
    kind: ConnectionKind,
  ): PerformanceRecord {
    const key = performanceKey(model, backend, kind, this.fingerprint.browser);
    return this.touch(this.performance, key) ?? this.create(this.performance, {
      key,
      model,
      modelType: type,
      backend,
      kind,
      count: 0,
      errors: 0,
      samples: [],
      p50: 0,
      p95: 0,
      lastSeen: this.clock.now(),
      fingerprint: { ...this.fingerprint },
    });
  }

  private healthRecord(kind: ConnectionKind, backend: Backend): BackendHealthRecord {
    const key = healthKey(kind, backend);
    return this.touch(this.backends, key) ?? this.create(this.backends, {
      key,
      kind,
      backend,
      trips: 0,
      crashes: 0,
      breaker: null,
      lastSeen: this.clock.now(),
      fingerprint: { ...this.fingerprint },
    });
  }

  /** The fresh record held under `key`, seen now; undefined when there is none. */
  private touch<R extends Dated>(map: Map<string, R>, key: string): R | undefined {
    const held = map.get(key);
    if (held === undefined || !this.isFresh(held)) return undefined;
    held.lastSeen = this.clock.now();
    return held;
  }

  private create<R extends Dated & { key: string }>(map: Map<string, R>, record: R): R {
    map.set(record.key, record);
    return record;
  }

  private savePerformance(record: PerformanceRecord): void {
    if (this.closed) return;
    this.store.putPerformance(record);
    if (this.channel === undefined) return;
    // Measurements reach other tabs in batches, like the database; trips go at once.
    this.unsent.add(record.key);
    this.sendTimer ??= setTimeout(() => this.sendMeasurements(), this.options.flushIntervalMs);
  }

  private saveHealth(record: BackendHealthRecord): void {
    if (!this.closed) this.store.putHealth(record);
  }

  private sendMeasurements(): void {
    this.sendTimer = undefined;
    for (const key of this.unsent) {
      const record = this.performance.get(key);
      if (record !== undefined) this.channel?.post({ type: 'performance', record });
    }
    this.unsent.clear();
  }

  private snapshot(): StoredHistory {
    return {
      performance: [...this.performance.values()],
      health: [...this.backends.values()],
      failures: [...this.failures],
    };
  }

  private freshPerformance(): PerformanceRecord[] {
    return [...this.performance.values()].filter((r) => this.isFresh(r));
  }

  /** Measured under this page's runtime, browser version and adapter, within the time to live. */
  private isFresh(record: Dated): boolean {
    const mine = this.fingerprint;
    const theirs = record.fingerprint;
    return (
      theirs.runtime === mine.runtime &&
      theirs.browser === mine.browser &&
      theirs.browserMajor === mine.browserMajor &&
      theirs.adapter === mine.adapter &&
      this.clock.now() - record.lastSeen <= this.options.ttlMs
    );
  }

  /**
   * Where the records of one model type point: the place most of its models ran fastest,
   * else its single fastest record; undefined when there are none.
   */
  private recommendMeasured(ofType: readonly PerformanceRecord[]): Recommendation | undefined {
    const winners = this.winners(ofType);
    const tally = new Map<string, number>();
    for (const w of winners) {
      const place = healthKey(w.kind, w.backend);
      tally.set(place, (tally.get(place) ?? 0) + 1);
    }
    const best = [...tally.entries()].sort((a, b) => b[1] - a[1])[0];
    const chosen =
      best === undefined
        ? fastestOf(ofType)
        : winners.find((w) => healthKey(w.kind, w.backend) === best[0]);
    if (chosen === undefined) return undefined;

    return {
      backend: chosen.backend,
      connectionKind: chosen.kind,
      basis: 'measured',
      votes: best?.[1] ?? 0,
      of: winners.length,
      measured: [...ofType].sort((a, b) => a.p50 - b.p50).map(figure),
    };
  }

  private browserDefault(type: ModelType): Recommendation | undefined {
    const backend = browserPrior(this.fingerprint.browser, type);
    if (backend === undefined) return undefined;
    return { backend, connectionKind: 'worker', basis: 'browser-default', votes: 0, of: 0, measured: [] };
  }

  /** For each model measured more than one way, its fastest record. */
  private winners(records: readonly PerformanceRecord[]): PerformanceRecord[] {
    const byModel = new Map<string, PerformanceRecord[]>();
    for (const record of records) {
      const measured = byModel.get(record.model);
      if (measured === undefined) byModel.set(record.model, [record]);
      else measured.push(record);
    }
    const winners: PerformanceRecord[] = [];
    for (const measured of byModel.values()) {
      const fastest = measured.length >= 2 ? fastestOf(measured) : undefined;
      if (fastest !== undefined) winners.push(fastest);
    }
    return winners;
  }
}

function fastestOf(records: readonly PerformanceRecord[]): PerformanceRecord | undefined {
  return records.reduce<PerformanceRecord | undefined>((best, r) => (best === undefined || r.p50 < best.p50 ? r : best), undefined);
}

function figure(record: PerformanceRecord): MeasuredFigure {
  return {
    model: record.model,
    backend: record.backend,
    connectionKind: record.kind,
    p50Ms: Math.round(record.p50 * 10) / 10,
    p95Ms: Math.round(record.p95 * 10) / 10,
    runs: record.count,
    errors: record.errors,
  };
}

/** Milliseconds an open breaker snapshot has left; 0 when closed or due, Infinity when isolated. */
function openFor(snapshot: CircuitSnapshot | null, now: number): number {
  if (snapshot === null || snapshot.state !== 'OPEN') return 0;
  if (snapshot.isolated) return Infinity;
  return Math.max(0, (snapshot.openUntil ?? 0) - now);
}

/** The nearest-rank percentile of samples sorted in ascending order. */
function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
