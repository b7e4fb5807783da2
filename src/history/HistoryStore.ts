import {
  openDB,
  unwrap,
  type DBSchema,
  type IDBPDatabase,
  type IDBPObjectStore,
  type IDBPTransaction,
  type StoreNames,
} from 'idb';
import type { Clock } from '../resilience/CircuitBreaker';
import { parseFailureRecord, parseHealthRecord, parsePerformanceRecord } from './parseRecords';
import type { BackendHealthRecord, FailureRecord, PerformanceRecord } from './records';

/** The version of the database layout this code reads and writes. */
export const SCHEMA_VERSION = 1;

/** Where history lives: saved in IndexedDB, or only in the page's memory. */
export type StorageMode = 'indexeddb' | 'memory';

/** Where history lives now, and why; what `health().history.storage` reports. */
export interface StorageStatus {
  /** Where history lives now. */
  mode: StorageMode;
  /** What the options asked for. */
  requested: StorageMode;
  /**
   * Why `mode` differs from `requested`, or the last incident survived, in plain words that
   * name the DOMException: `'QuotaExceededError: …'`, `'the database was deleted by another
   * page'`, `'IndexedDB is not available: SecurityError: …'`. Undefined when nothing happened.
   */
  reason: string | undefined;
  /** Clock time of the last change of mode (of construction, before any). */
  since: number;
  /** Stored records found malformed, skipped and deleted. */
  corruptRecords: number;
  /** Writes waiting for the next batch. */
  pendingWrites: number;
  /** Clock time of the last batch written, if any. */
  lastWriteAt: number | undefined;
}

/** The valid records of the database, as {@link HistoryStore.open} reads them. */
export interface StoredHistory {
  performance: PerformanceRecord[];
  health: BackendHealthRecord[];
  /** Oldest first, at most `maxFailures`. */
  failures: FailureRecord[];
}

/** Options of {@link HistoryStore}; the pool's defaults are in `HistoryOptions`. */
export interface HistoryStoreOptions {
  /** The IndexedDB database. */
  database: string;
  /**
   * Opening the database, a blocked upgrade included, and any one read or write, give up after
   * this. An open that gives up is left to finish; when it does, persistence resumes.
   */
  openTimeoutMs: number;
  /** While persistence is lost, how often the database is tried again. */
  retryMs: number;
  /** Writes are batched into at most one transaction per this interval. */
  flushIntervalMs: number;
  /** Failures kept in the stored log; the oldest go first. */
  maxFailures: number;
}

/** What the store tells its owner, and asks of it. */
export interface HistoryStoreHooks {
  /** Called on every change of mode or reason, with the new status. */
  onStatus(status: StorageStatus): void;
  /**
   * The owner's whole history in memory, written back when persistence resumes after a loss
   * (the database deleted, cleared, upgraded by another page, or reopened after a timeout).
   */
  snapshot(): StoredHistory;
}

interface HistorySchema extends DBSchema {
  performance: { key: string; value: unknown; indexes: { lastSeen: number } };
  health: { key: string; value: unknown };
  failures: { key: number; value: unknown };
  meta: { key: string; value: unknown };
}

type Database = IDBPDatabase<HistorySchema>;
type StoreName = StoreNames<HistorySchema>;
type RecordStoreName = Exclude<StoreName, 'meta'>;
type RecordStore = IDBPObjectStore<HistorySchema, RecordStoreName[], RecordStoreName, 'readwrite'>;
type FailureStore = IDBPObjectStore<HistorySchema, RecordStoreName[], 'failures', 'readwrite'>;
type Track = (request: Promise<unknown>) => void;
type Settled<T> = PromiseSettledResult<T> | { status: 'pending' };

const RECORD_STORES: RecordStoreName[] = ['performance', 'health', 'failures'];

/** Writes waiting for the next transaction. */
interface Batch {
  /** Empty the record stores before writing. */
  clear: boolean;
  /** Some failures may be stored already (a write-back after a loss): add only the others. */
  dedupe: boolean;
  performance: Map<string, PerformanceRecord>;
  health: Map<string, BackendHealthRecord>;
  failures: FailureRecord[];
}

/**
 * The persistence of health history in IndexedDB. Writes are queued (the last per key wins) and
 * saved in one transaction per flush interval, and at once when the page is hidden.
 *
 * Storage trouble never reaches the caller: no method throws or rejects, and none waits longer
 * than `openTimeoutMs` on the database. When IndexedDB is missing, full, blocked, deleted,
 * upgraded by another page or closed by the browser, the store goes to memory mode, says why
 * through `onStatus`, and tries again every `retryMs`; when persistence resumes, it writes the
 * owner's {@link HistoryStoreHooks.snapshot} back. It never holds up another page: a request to
 * upgrade or delete the database closes this connection at once.
 */
export class HistoryStore {
  private mode: StorageMode;
  private reason: string | undefined;
  private since: number;
  private corrupt = 0;
  private lastWriteAt: number | undefined;
  private db: Database | undefined;
  private queue = emptyBatch();
  /** False when nothing can ever be written: memory asked for, or no IndexedDB at all. */
  private persistent: boolean;
  private closed = false;
  private closing: Promise<void> | undefined;
  private blocked = false;
  private openPending = false;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Pruning made no room; cleared by the next write that succeeds. */
  private prunedInVain = false;

  /**
   * @param requested - where history should live; `memory` never touches IndexedDB.
   * @param options - the database and its timings.
   * @param clock - the source of time for stored records and the status.
   * @param hooks - status reports, and the owner's history to write back after a loss.
   */
  constructor(
    private readonly requested: StorageMode,
    private readonly options: HistoryStoreOptions,
    private readonly clock: Clock,
    private readonly hooks: HistoryStoreHooks,
  ) {
    this.mode = requested;
    this.since = clock.now();
    this.persistent = requested === 'indexeddb';
  }

  /** Where history lives now, and why. */
  get status(): StorageStatus {
    return {
      mode: this.mode,
      requested: this.requested,
      reason: this.reason,
      since: this.since,
      corruptRecords: this.corrupt,
      pendingWrites: sizeOf(this.queue),
      lastWriteAt: this.lastWriteAt,
    };
  }

  /**
   * Opens the database (creating or upgrading it) and reads its valid records; corrupt ones
   * are deleted and counted. Resolves empty in memory mode, or when the database cannot be had
   * within `openTimeoutMs`. Never rejects.
   */
  async open(): Promise<StoredHistory> {
    if (!this.persistent || this.closed) return emptyHistory();
    if (globalThis.indexedDB === undefined) {
      this.persistent = false;
      this.queue = emptyBatch();
      this.setStatus('memory', 'IndexedDB is not available: this environment has no indexedDB');
      return emptyHistory();
    }
    this.listenForPageHide();
    const db = await this.connectWithin();

    return db === undefined ? emptyHistory() : this.readFirst(db);
  }

  /** Queues a performance record; a later one with the same key replaces it. */
  putPerformance(record: PerformanceRecord): void {
    if (!this.accepting()) return;
    this.queue.performance.set(record.key, record);
    this.scheduleFlush();
  }

  /** Queues a backend health record; a later one with the same key replaces it. */
  putHealth(record: BackendHealthRecord): void {
    if (!this.accepting()) return;
    this.queue.health.set(record.key, record);
    this.scheduleFlush();
  }

  /** Queues a failure for the log; the log keeps the newest `maxFailures`. */
  addFailure(record: FailureRecord): void {
    if (!this.accepting()) return;
    this.queue.failures.push(record);
    this.queue.failures.splice(0, this.queue.failures.length - this.options.maxFailures);
    this.scheduleFlush();
  }

  /** Writes what is queued now, in one transaction. Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.writing = this.writing.then(() => this.writeQueued());
    return this.writing;
  }

  /**
   * Empties the stores and drops what is queued. While persistence is lost, the stores are
   * emptied when it resumes. Never rejects.
   */
  async clear(): Promise<void> {
    if (!this.accepting()) return;
    this.queue = { ...emptyBatch(), clear: true };
    await this.flush();
  }

  /** Writes what is queued, then lets go of the database; nothing is written afterwards. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.stopListening();
    clearTimeout(this.retryTimer);
    await this.flush();

    clearTimeout(this.flushTimer);
    this.db?.close();
    this.db = undefined;
  }

  private accepting(): boolean {
    return this.persistent && !this.closed;
  }

  // Opening.

  /** Connects, or gives up after `openTimeoutMs` and leaves the open to finish later. */
  private async connectWithin(): Promise<Database | undefined> {
    this.blocked = false;
    const attempt = this.connect();
    const outcome = await settleWithin(attempt, this.options.openTimeoutMs);

    if (outcome.status === 'fulfilled') return outcome.value;
    if (outcome.status === 'rejected') {
      this.lose(openFailure(outcome.reason));
      return undefined;
    }
    this.awaitLateOpen(attempt);
    this.lose(
      this.blocked
        ? 'blocked: another page holds an older version open'
        : `opening timed out after ${this.options.openTimeoutMs} ms`,
    );
    return undefined;
  }

  /** Opens the database with all of its stores, upgrading it when one is missing. */
  private async connect(): Promise<Database> {
    const db = await this.openCurrent();
    if (hasSchema(db)) return db;
    const version = db.version;
    db.close();

    if (version > SCHEMA_VERSION) {
      throw new DOMException(
        `version ${version} of the database, upgraded by another page, lacks the history stores`,
        'VersionError',
      );
    }
    return this.request(version + 1);
  }

  /** Opens at {@link SCHEMA_VERSION}, or at the database's own when another page went higher. */
  private async openCurrent(): Promise<Database> {
    try {
      return await this.request(SCHEMA_VERSION);
    } catch (error) {
      if (nameOf(error) !== 'VersionError') throw error;
      return this.request(undefined);
    }
  }

  private async request(version: number | undefined): Promise<Database> {
    let db: Database | undefined;
    db = await openDB<HistorySchema>(this.options.database, version, {
      upgrade: (database, oldVersion, _newVersion, transaction) => {
        migrate(database, oldVersion, transaction);
      },
      blocked: () => {
        this.blocked = true;
      },
      blocking: (_current, next) => this.onVersionChange(db, next),
      terminated: () => this.onTerminated(db),
    });
    return db;
  }

  /** An open that outlived its timeout resumes persistence when it finally succeeds. */
  private awaitLateOpen(attempt: Promise<Database>): void {
    this.openPending = true;
    attempt.then(
      (db) => {
        this.openPending = false;
        void this.resume(db);
      },
      (error: unknown) => {
        this.openPending = false;
        this.lose(openFailure(error));
      },
    );
  }

  /** The first read, whose records go to the owner. */
  private async readFirst(db: Database): Promise<StoredHistory> {
    const stored = await this.readOrLose(db);
    if (stored === undefined || !this.adopt(db)) return emptyHistory();

    if (sizeOf(this.queue) > 0) this.scheduleFlush();
    return stored;
  }

  /** Persistence is back: clean what is stored, write the owner's history back, go on. */
  private async resume(db: Database): Promise<void> {
    if ((await this.readOrLose(db)) === undefined) return;
    this.enqueueSnapshot();
    if (!this.adopt(db)) return;
    await this.flush();

    if (this.db === db) this.setStatus('indexeddb', `resumed after ${this.reason ?? 'a loss'}`);
  }

  /** Reads every store within `openTimeoutMs`; on failure closes `db` and goes to memory. */
  private async readOrLose(db: Database): Promise<StoredHistory | undefined> {
    try {
      return await within(this.readAll(db), this.options.openTimeoutMs, 'reading');
    } catch (error) {
      db.close();
      this.lose(describe(error));
      return undefined;
    }
  }

  /** Makes `db` the connection, unless the store was closed meanwhile. */
  private adopt(db: Database): boolean {
    if (this.closed) {
      db.close();
      return false;
    }
    this.db = db;
    return true;
  }

  private enqueueSnapshot(): void {
    const snapshot = this.hooks.snapshot();
    for (const record of snapshot.performance) this.queue.performance.set(record.key, record);
    for (const record of snapshot.health) this.queue.health.set(record.key, record);
    this.queue.failures = [...this.queue.failures, ...snapshot.failures];
    this.queue.dedupe = true;
  }

  // Losing and regaining the database.

  /** Another page wants to upgrade or delete the database: never stand in its way. */
  private onVersionChange(db: Database | undefined, next: number | null): void {
    if (!this.drop(db)) return;
    this.lose(
      next === null
        ? 'the database was deleted by another page'
        : `another page is upgrading the database to version ${next}; closed to let it`,
    );
  }

  private onTerminated(db: Database | undefined): void {
    if (!this.drop(db)) return;
    this.lose('the browser closed the database: site data cleared, or storage failed');
  }

  /** Closes `db`; true when it was the connection in use. */
  private drop(db: Database | undefined): boolean {
    db?.close();
    if (db === undefined || db !== this.db) return false;
    this.db = undefined;
    return true;
  }

  private lose(reason: string): void {
    this.setStatus('memory', reason);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (!this.accepting() || this.openPending || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.reconnect();
    }, this.options.retryMs);
  }

  private async reconnect(): Promise<void> {
    if (this.closed || this.db !== undefined || this.openPending) return;
    const db = await this.connectWithin();

    if (db !== undefined) await this.resume(db);
  }

  private setStatus(mode: StorageMode, reason: string | undefined): void {
    if (mode === this.mode && reason === this.reason) return;
    if (mode !== this.mode) this.since = this.clock.now();
    this.mode = mode;
    this.reason = reason;
    try {
      this.hooks.onStatus(this.status);
    } catch {
      // A listener's error is the listener's; persistence goes on regardless.
    }
  }

  // Reading.

  /** The valid records of every store, in one transaction that deletes the corrupt ones. */
  private async readAll(db: Database): Promise<StoredHistory> {
    const now = this.clock.now();
    const tx = db.transaction(RECORD_STORES, 'readwrite');

    return inTransaction(tx, async (track) => {
      const read = <T>(name: RecordStoreName, parse: (value: unknown, now: number) => T | null) =>
        this.readValid(tx.objectStore(name), track, (value) => parse(value, now));
      const performance = await read('performance', parsePerformanceRecord);
      const health = await read('health', parseHealthRecord);
      const failures = await read('failures', parseFailureRecord);
      return { performance, health, failures: failures.slice(-this.options.maxFailures) };
    });
  }

  private async readValid<T>(
    store: RecordStore,
    track: Track,
    parse: (value: unknown) => T | null,
  ): Promise<T[]> {
    const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()]);
    const valid: T[] = [];

    values.forEach((value, i) => {
      const record = parse(value);
      if (record !== null) return valid.push(record);
      this.corrupt += 1;
      track(store.delete(keys[i]!));
    });
    return valid;
  }

  // Writing.

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    this.flushTimer = setTimeout(() => void this.flush(), this.options.flushIntervalMs);
  }

  /** Writes the queue in one transaction; on failure keeps it for later and goes to memory. */
  private async writeQueued(): Promise<void> {
    const db = this.db;
    if (db === undefined || sizeOf(this.queue) === 0 && !this.queue.clear) return;
    const batch = this.queue;
    this.queue = emptyBatch();

    try {
      await within(this.writeMakingRoom(db, batch), this.options.openTimeoutMs, 'writing');
      this.lastWriteAt = this.clock.now();
    } catch (error) {
      this.requeue(batch);
      if (this.drop(db)) this.lose(describe(error));
    }
  }

  /**
   * Writes the batch; when the quota is exceeded, prunes and tries once more. Once pruning made
   * no room, the retries of the same loss do not prune again: each would delete another half of
   * the measurements other pages still read, and free nothing the origin lacks.
   */
  private async writeMakingRoom(db: Database, batch: Batch): Promise<void> {
    try {
      await this.writeBatch(db, batch);
    } catch (error) {
      if (nameOf(error) !== 'QuotaExceededError') throw error;
      if (this.prunedInVain) throw stillFull(error);
      await this.prune(db);
      await this.writeBatch(db, batch).catch((again: unknown) => {
        this.prunedInVain = nameOf(again) === 'QuotaExceededError';
        throw stillFull(again);
      });
      this.setStatus(
        this.mode,
        `QuotaExceededError: pruned the failure log and the oldest half of the measurements`,
      );
    }
    this.prunedInVain = false;
  }

  private async writeBatch(db: Database, batch: Batch): Promise<void> {
    const names = storesOf(batch);
    if (names.length === 0) return;
    const tx = db.transaction(names, 'readwrite');

    await inTransaction(tx, async (track) => {
      if (batch.clear) for (const name of names) track(tx.objectStore(name).clear());
      for (const record of batch.performance.values()) {
        track(tx.objectStore('performance').put(record));
      }
      for (const record of batch.health.values()) track(tx.objectStore('health').put(record));
      if (batch.failures.length > 0) await this.appendFailures(tx.objectStore('failures'), batch, track);
    });
  }

  /** Adds the batch's failures and trims the log to `maxFailures`, oldest first out. */
  private async appendFailures(store: FailureStore, batch: Batch, track: Track): Promise<void> {
    const failures = batch.dedupe ? await unstored(store, batch.failures) : batch.failures;
    for (const failure of failures) track(store.put(failure));

    const keys = await store.getAllKeys();
    const excess = keys.length - this.options.maxFailures;
    const newestRemoved = keys[excess - 1];
    if (excess > 0 && newestRemoved !== undefined) {
      track(store.delete(IDBKeyRange.upperBound(newestRemoved)));
    }
  }

  /** Makes room: drops the failure log and the least recently seen half of the measurements. */
  private async prune(db: Database): Promise<void> {
    const tx = db.transaction(['performance', 'failures'], 'readwrite');

    await inTransaction(tx, async (track) => {
      track(tx.objectStore('failures').clear());
      const performance = tx.objectStore('performance');
      const half = Math.ceil((await performance.count()) / 2);
      const oldest = await performance.index('lastSeen').getAllKeys(null, half);
      for (const key of oldest) track(performance.delete(key));
    });
  }

  /** Puts a failed batch back under what was queued since, unless a clear came in between. */
  private requeue(batch: Batch): void {
    const newer = this.queue;
    if (newer.clear) return;
    this.queue = {
      clear: batch.clear,
      dedupe: batch.dedupe || newer.dedupe,
      performance: new Map([...batch.performance, ...newer.performance]),
      health: new Map([...batch.health, ...newer.health]),
      failures: [...batch.failures, ...newer.failures].slice(-this.options.maxFailures),
    };
  }

  // The page going away.

  private readonly onHide = (event: Event): void => {
    if (event.type === 'pagehide' || document.visibilityState === 'hidden') void this.flush();
  };

  private listenForPageHide(): void {
    if (typeof document === 'undefined') return;
    document.addEventListener('visibilitychange', this.onHide);
    globalThis.addEventListener('pagehide', this.onHide);
  }

  private stopListening(): void {
    if (typeof document === 'undefined') return;
    document.removeEventListener('visibilitychange', this.onHide);
    globalThis.removeEventListener('pagehide', this.onHide);
  }
}

/**
 * Brings the layout from `oldVersion` to {@link SCHEMA_VERSION}, one version at a time, each
 * case falling through to the next. Then puts back any store a database of this name lacks
 * (one made by other code, or one another page upgraded without it).
 */
function migrate(
  db: Database,
  oldVersion: number,
  tx: IDBPTransaction<HistorySchema, StoreName[], 'versionchange'>,
): void {
  // A failed upgrade rejects the open itself; this promise would only repeat it, unheard.
  tx.done.catch(() => undefined);
  switch (oldVersion) {
    case 0:
      createVersion1(db);
  }
  restoreMissing(db, tx);
}

function createVersion1(db: Database): void {
  db.createObjectStore('performance', { keyPath: 'key' }).createIndex('lastSeen', 'lastSeen');
  db.createObjectStore('health', { keyPath: 'key' });
  db.createObjectStore('failures', { keyPath: 'id', autoIncrement: true });
  db.createObjectStore('meta');
}

function restoreMissing(
  db: Database,
  tx: IDBPTransaction<HistorySchema, StoreName[], 'versionchange'>,
): void {
  const has = (name: StoreName) => db.objectStoreNames.contains(name);
  if (!has('performance')) db.createObjectStore('performance', { keyPath: 'key' });
  if (!tx.objectStore('performance').indexNames.contains('lastSeen')) {
    tx.objectStore('performance').createIndex('lastSeen', 'lastSeen');
  }
  if (!has('health')) db.createObjectStore('health', { keyPath: 'key' });
  if (!has('failures')) db.createObjectStore('failures', { keyPath: 'id', autoIncrement: true });
  if (!has('meta')) db.createObjectStore('meta');
}

function hasSchema(db: Database): boolean {
  const names = db.objectStoreNames;
  const stores: StoreName[] = [...RECORD_STORES, 'meta'];
  if (!stores.every((name) => names.contains(name))) return false;
  // The raw transaction: idb's wrapper would add a completion promise no one awaits.
  return unwrap(db).transaction('performance').objectStore('performance').indexNames.contains('lastSeen');
}

/**
 * Runs `work` in `tx` and waits for the commit. Every request handed to `track` is awaited; if
 * anything fails the transaction is aborted and the transaction's own error (a
 * QuotaExceededError is only known at commit) is thrown in preference to the request's.
 */
async function inTransaction<T>(
  tx: { done: Promise<void>; error: DOMException | null; abort(): void },
  work: (track: Track) => Promise<T>,
): Promise<T> {
  const requests: Promise<unknown>[] = [];
  const track: Track = (request) => {
    request.catch(() => undefined);
    requests.push(request);
  };
  tx.done.catch(() => undefined);

  try {
    const result = await work(track);
    await Promise.all(requests);
    await tx.done;
    return result;
  } catch (error) {
    abortQuietly(tx);
    await tx.done.catch(() => undefined);
    throw tx.error ?? error;
  }
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // Already committed or aborted.
  }
}

/** The failures not in the store already, judged by their content (ids may be absent). */
async function unstored(store: FailureStore, failures: FailureRecord[]): Promise<FailureRecord[]> {
  const seen = new Set((await store.getAll()).map(signature));
  return failures.filter((failure) => {
    const mark = signature(failure);
    if (seen.has(mark)) return false;
    seen.add(mark);
    return true;
  });
}

function signature(value: unknown): string {
  const f = (typeof value === 'object' && value !== null ? value : {}) as Partial<FailureRecord>;
  return JSON.stringify([f.at, f.category, f.code, f.message, f.model, f.backend, f.kind]);
}

function storesOf(batch: Batch): RecordStoreName[] {
  if (batch.clear) return [...RECORD_STORES];
  const names: RecordStoreName[] = [];
  if (batch.performance.size > 0) names.push('performance');
  if (batch.health.size > 0) names.push('health');
  if (batch.failures.length > 0) names.push('failures');
  return names;
}

function emptyBatch(): Batch {
  return { clear: false, dedupe: false, performance: new Map(), health: new Map(), failures: [] };
}

function sizeOf(batch: Batch): number {
  return batch.performance.size + batch.health.size + batch.failures.length;
}

function emptyHistory(): StoredHistory {
  return { performance: [], health: [], failures: [] };
}

/** Why an open failed; a SecurityError (an opaque origin) means there is no IndexedDB here. */
function openFailure(error: unknown): string {
  const name = nameOf(error);
  if (name === 'SecurityError' || name === 'InvalidStateError') {
    return `IndexedDB is not available: ${describe(error)}`;
  }
  return `opening failed: ${describe(error)}`;
}

/** Waits for `promise` up to `ms`; an unsettled one is reported as pending and left running. */
function settleWithin<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending' }), ms);
  });
  const settled = promise.then<Settled<T>, Settled<T>>(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
  return Promise.race([settled, pending]).finally(() => clearTimeout(timer));
}

/** `promise`, or a TimeoutError after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const outcome = await settleWithin(promise, ms);
  if (outcome.status === 'fulfilled') return outcome.value;
  if (outcome.status === 'rejected') throw outcome.reason;
  throw new DOMException(`${what} timed out after ${ms} ms`, 'TimeoutError');
}

function nameOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : 'Error';
}

function messageOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : String(error);
}

/** A quota error after pruning says so; any other error is left as it is. */
function stillFull(error: unknown): unknown {
  if (nameOf(error) !== 'QuotaExceededError') return error;
  // Chromium's QuotaExceededError from a commit has no message at all.
  const detail = messageOf(error);
  const message = detail === '' ? 'still full after pruning' : `${detail} (still full after pruning)`;
  return new DOMException(message, 'QuotaExceededError');
}

/** `Name: message`, the form every reason takes; the name alone when there is no message. */
function describe(error: unknown): string {
  const message = messageOf(error);
  return message === '' ? nameOf(error) : `${nameOf(error)}: ${message}`;
}
