import { deleteDB, openDB } from 'idb';
import type { Tensor } from 'onnxruntime-common';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import {
  createResourcePool,
  type ModelHandle,
  type ModelType,
  type PoolHealth,
  type PoolOptions,
  type ResourcePool,
} from '../../src/index';
import type { Backend } from '../../src/api/types';
import type { FailureRecord, Fingerprint, PerformanceRecord } from '../../src/history/records';
import type { CircuitSnapshot } from '../../src/resilience/CircuitBreaker';
import { catalogModel } from '../../demo/models';
import type { DatabaseOutcome } from './fixtures/peer';
import { delay, expectGolden, measuredRecord, record } from './faultKit';
import { directRun, feedsFor, maxAbsDiff } from './helpers';

/**
 * The history database failing under a pool for real: a quota the browser enforces, other pages
 * upgrading, blocking and deleting the database, site data cleared under an open connection,
 * malformed records, a page without IndexedDB. In each, inference goes on with the same outputs,
 * `health().history.storage` and a `history:storage` event say what happened, and persistence
 * resumes once it can.
 */
const DATABASE = 'webaccel';
/** A database of no one's, opened to see that the origin's IndexedDB is settled. */
const SETTLING = 'webaccel-test-settling';
const PEER_URL = new URL('/test/browser/fixtures/peer.html', location.origin).href;
const cls = catalogModel('ocr-cls');
/**
 * Short enough that a loss and a recovery both fit in a test; the retry long enough that a
 * loss is still there when a command to another page has come back.
 */
const TIMINGS = { openTimeoutMs: 600, retryMs: 1000, flushIntervalMs: 50 };
/** How long a recovery may take: a retry, an open and a write, on a busy 2-core machine. */
const RECOVERY_MS = 5000;

type Storage = PoolHealth['history']['storage'];

const open = { pools: [] as ResourcePool[], peers: [] as string[], quota: false };
let feeds: Record<string, Tensor>;
let golden: Record<string, Tensor>;

beforeAll(async () => {
  feeds = await feedsFor('ocr-cls');
  golden = await directRun(cls.url, feeds);
});

afterEach(async () => {
  if (open.quota) await commands.setQuota(null);
  open.quota = false;
  // Peers first: one may hold the database open against the pools and the next test's reset.
  for (const id of open.peers.splice(0)) await commands.closePeer(id);
  for (const pool of open.pools.splice(0)) await pool.dispose();
});

function pagePool(options: PoolOptions = {}): ResourcePool {
  const history = { ...TIMINGS, ...options.history };
  const pool = createResourcePool({ priority: ['wasm'], ...options, history });
  open.pools.push(pool);
  return pool;
}

async function peerPage(options: Parameters<typeof commands.openPeer>[1] = {}): Promise<string> {
  const id = await commands.openPeer(PEER_URL, options);
  open.peers.push(id);
  return id;
}

function peerDatabase(
  id: string,
  name: 'openDatabase' | 'deleteDatabase',
  args: unknown[],
): Promise<DatabaseOutcome> {
  return commands.peerCall(id, name, args) as Promise<DatabaseOutcome>;
}

function storage(pool: ResourcePool): Storage {
  return pool.health().history.storage;
}

/** Loads the angle classifier as a model of `type`, leaving its backend order to the pool. */
function classifier(pool: ResourcePool, type: ModelType = 'vision'): Promise<ModelHandle> {
  return pool.getModel({ type, name: 'text-angle', source: cls.url });
}

/** Runs the classifier `times`, each output equal to onnxruntime-web's own, value for value. */
async function classify(model: ModelHandle, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) expectGolden(await model.run(feeds), golden);
}

/** Waits until `check` holds, polling; resolves with the milliseconds it took. */
async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) {
      throw new Error(`${what}: not within ${timeoutMs} ms`);
    }
    await delay(20);
  }
  return performance.now() - started;
}

/** Waits until every run recorded so far is written; resolves with the status then. */
async function persisted(pool: ResourcePool, since = Date.now()): Promise<Storage> {
  await until(() => {
    const { mode, pendingWrites, lastWriteAt } = storage(pool);
    return mode === 'indexeddb' && pendingWrites === 0 && (lastWriteAt ?? 0) >= since;
  }, RECOVERY_MS, 'history persisted');
  return storage(pool);
}

/**
 * What the database holds now, read in one transaction without creating the database: an open
 * that would create or upgrade it is aborted.
 */
async function stored() {
  const db = await openDB(DATABASE, undefined, {
    upgrade: (_db, _old, _new, transaction) => {
      transaction.done.catch(() => undefined);
      transaction.abort();
    },
  });
  try {
    const names = [...db.objectStoreNames];
    const tx = db.transaction(names, 'readonly');
    const read = async <T>(name: string): Promise<T[]> =>
      names.includes(name) ? ((await tx.objectStore(name).getAll()) as T[]) : [];
    const [performance, health, failures] = await Promise.all([
      read<PerformanceRecord>('performance'),
      read<{ key: string }>('health'),
      read<FailureRecord>('failures'),
      tx.done,
    ]);
    return { version: db.version, stores: names, performance, health, failures };
  } finally {
    db.close();
  }
}

/** Runs counted for the classifier on wasm in the database. */
async function storedRuns(): Promise<number | undefined> {
  const { performance: measured } = await stored();
  return measured.find((r) => r.model === 'text-angle' && r.backend === 'wasm')?.count;
}

/** Runs counted for the classifier on wasm in the pool's memory. */
function heldRuns(pool: ResourcePool): number | undefined {
  return pool.health().recommendations.vision?.measured.find((m) => m.backend === 'wasm')?.runs;
}

describe('history storage failures', () => {
  it('prunes and retries once when the quota is exceeded, then serves from memory until there is room', async () => {
    // A fresh IndexedDB for the origin: Chromium lets writes through on the space it was last
    // granted for up to 30 s, and a fresh one asks the quota manager on its first write.
    await clearIndexedDb();
    const pool = pagePool();
    const events = record(pool, 'history:storage');
    const model = await classifier(pool);
    const now = Date.now();
    const fingerprint = pool.health().history.fingerprint;
    // Room for the planted records and little more, so that the space the browser grants for
    // them runs out at the first write past it.
    const usage = await commands.setQuota(null);
    await withQuota(usage + 64 * 1024, () => plantForPruning(fingerprint, now));
    expect((await stored()).performance).toHaveLength(4);

    await commands.setQuota(1);
    open.quota = true;
    // A write larger than any space granted before makes the browser ask again: from here on
    // every write meets the quota.
    await expect(putLarge()).rejects.toMatchObject({ name: 'QuotaExceededError' });
    await classify(model, 2);
    await until(() => storage(pool).mode === 'memory', RECOVERY_MS, 'memory mode');

    const full = storage(pool);
    expect(full).toMatchObject({ mode: 'memory', requested: 'indexeddb', lastWriteAt: undefined });
    expect(full.reason).toMatch(/^QuotaExceededError: .*still full after pruning/);
    expect(full.pendingWrites).toBeGreaterThan(0);
    expect(events).toEqual([{ mode: 'memory', reason: full.reason }]);
    // Pruned once: the failure log, and the least recently seen half of the measurements.
    const pruned = await stored();
    expect(pruned.performance.map((r) => r.model).sort()).toEqual(['old-3', 'old-4']);
    expect(pruned.failures).toEqual([]);
    await classify(model, 2);
    expect(heldRuns(pool)).toBe(4);

    // Retries while still full prune nothing more and say nothing new.
    await delay(TIMINGS.retryMs * 2.5);
    expect(storage(pool)).toMatchObject({ mode: 'memory', reason: full.reason });
    expect(events).toHaveLength(1);
    expect((await stored()).performance.map((r) => r.model).sort()).toEqual(['old-3', 'old-4']);

    await commands.setQuota(null);
    open.quota = false;
    const resumed = await persisted(pool, now);
    expect(resumed.reason).toBe(`resumed after ${full.reason}`);
    expect(events.at(-1)).toEqual({ mode: 'indexeddb', reason: resumed.reason });
    expect(await storedRuns()).toBe(4);
  });

  it("lets another page upgrade the database at once, and resumes at that page's version", async () => {
    const pool = pagePool();
    const events = record(pool, 'history:storage');
    const model = await classifier(pool);
    await classify(model);
    await persisted(pool);
    const peer = await peerPage();

    const upgrade = await peerDatabase(peer, 'openDatabase', [DATABASE, 2, ['peer-notes']]);
    // Never blocked: the pool closed inside the versionchange event, before the upgrade waited.
    expect(upgrade).toMatchObject({ done: true, blocked: false, version: 2 });
    expect(upgrade.stores).toEqual(
      expect.arrayContaining(['performance', 'health', 'failures', 'peer-notes']),
    );
    const reason = 'another page is upgrading the database to version 2; closed to let it';
    expect(storage(pool)).toMatchObject({ mode: 'memory', reason });
    expect(events).toEqual([{ mode: 'memory', reason }]);

    await classify(model, 2);
    const resumed = await persisted(pool);
    expect(resumed.reason).toBe(`resumed after ${reason}`);
    expect(events.at(-1)).toEqual({ mode: 'indexeddb', reason: resumed.reason });
    const database = await stored();
    expect(database.version).toBe(2);
    expect(database.stores).toContain('peer-notes');
    expect(await storedRuns()).toBe(3);
  });

  it('gives up opening within openTimeoutMs when an older version held open blocks its upgrade', async () => {
    const peer = await peerPage();
    // Version 1 without the history stores, held by a page that ignores versionchange: the
    // pool must upgrade it to put its stores in, and the browser holds that upgrade back.
    const older = await peerDatabase(peer, 'openDatabase', [DATABASE, 1, ['someone-else']]);
    expect(older).toMatchObject({ done: true, version: 1, stores: ['someone-else'] });

    const created = Date.now();
    const pool = pagePool();
    const events = record(pool, 'history:storage');
    const model = await classifier(pool);
    const reason = 'blocked: another page holds an older version open';
    await until(() => storage(pool).mode === 'memory', RECOVERY_MS, 'memory mode');
    const blocked = storage(pool);
    expect(blocked).toMatchObject({ mode: 'memory', requested: 'indexeddb', reason });
    // It waited for the upgrade as long as it was told to, and not much longer.
    expect(blocked.since - created).toBeGreaterThanOrEqual(TIMINGS.openTimeoutMs);
    expect(blocked.since - created).toBeLessThan(TIMINGS.openTimeoutMs + 3000);
    expect(events).toEqual([{ mode: 'memory', reason }]);
    await classify(model, 2);
    expect(blocked.lastWriteAt).toBeUndefined();

    // The other page lets go: the upgrade the pool left waiting goes through.
    await commands.peerCall(peer, 'closeDatabase', []);
    const resumed = await persisted(pool, created);
    expect(resumed.reason).toBe(`resumed after ${reason}`);
    expect(events.at(-1)).toEqual({ mode: 'indexeddb', reason: resumed.reason });
    const database = await stored();
    expect(database.version).toBe(2);
    expect(database.stores).toEqual(
      expect.arrayContaining(['someone-else', 'performance', 'health', 'failures', 'meta']),
    );
    expect(await storedRuns()).toBe(2);
  });

  it('lets another page delete the database, then creates it again and writes what it holds', async () => {
    const pool = pagePool();
    const events = record(pool, 'history:storage');
    const model = await classifier(pool);
    await classify(model, 2);
    await persisted(pool);
    const peer = await peerPage();

    const deleted = await peerDatabase(peer, 'deleteDatabase', [DATABASE]);
    expect(deleted).toMatchObject({ done: true, blocked: false });
    const reason = 'the database was deleted by another page';
    expect(storage(pool)).toMatchObject({ mode: 'memory', reason });
    expect(events).toEqual([{ mode: 'memory', reason }]);

    await classify(model);
    const resumed = await persisted(pool);
    expect(resumed.reason).toBe(`resumed after ${reason}`);
    expect(events.at(-1)).toEqual({ mode: 'indexeddb', reason: resumed.reason });
    expect(await storedRuns()).toBe(3);
  });

  it('survives site data cleared under a write without an unhandled rejection, then resumes', async () => {
    const rejections: unknown[] = [];
    const onRejection = (event: PromiseRejectionEvent) => rejections.push(event.reason);
    globalThis.addEventListener('unhandledrejection', onRejection);
    try {
      const pool = pagePool({ history: { openTimeoutMs: 3000 } });
      const events = record(pool, 'history:storage');
      const model = await classifier(pool);
      await classify(model);
      const before = await persisted(pool);

      // Another connection keeps a write transaction on the stores busy, so the pool's next
      // write waits queued behind it: the clearing lands while that write is under way.
      const blocker = await holdStores();
      await classify(model);
      await until(() => storage(pool).pendingWrites === 0, RECOVERY_MS, 'a write under way');
      expect(storage(pool).lastWriteAt).toBe(before.lastWriteAt);
      await commands.clearOriginData('indexeddb');
      await blocker.ended;

      await until(() => storage(pool).mode === 'memory', RECOVERY_MS, 'memory mode');
      const lost = storage(pool);
      // The write under way fails first, with the browser's account of why.
      expect(lost.reason).toMatch(/^UnknownError: Connection is closing because of: Force close/);
      expect(lost.lastWriteAt).toBe(before.lastWriteAt);
      expect(lost.pendingWrites).toBeGreaterThan(0);
      expect(events[0]).toEqual({ mode: 'memory', reason: lost.reason });
      await classify(model, 2);

      const resumed = await persisted(pool);
      expect(resumed.reason).toBe(`resumed after ${lost.reason}`);
      expect(events.at(-1)).toEqual({ mode: 'indexeddb', reason: resumed.reason });
      expect(await storedRuns()).toBe(4);

      // Cleared again with nothing being written: the browser closing the connection says it.
      await commands.clearOriginData('indexeddb');
      const reason = 'the browser closed the database: site data cleared, or storage failed';
      await until(() => storage(pool).mode === 'memory', RECOVERY_MS, 'memory mode again');
      expect(storage(pool).reason).toBe(reason);
      expect(events.at(-1)).toEqual({ mode: 'memory', reason });
      await classify(model);
      await persisted(pool);
      expect(await storedRuns()).toBe(5);
      expect(rejections).toEqual([]);
    } finally {
      globalThis.removeEventListener('unhandledrejection', onRejection);
    }
  });

  it('skips, deletes and counts malformed records, and routes as if they were not there', async () => {
    const probe = pagePool();
    await probe.clearHistory();
    const mine = probe.health().history.fingerprint;
    await probe.dispose();
    const now = Date.now();
    const planted = plantRecords(mine, now);
    const db = await openDB(DATABASE);
    for (const [store, value] of [...planted.corrupt, ...planted.valid]) {
      await db.put(store as never, value as never);
    }
    db.close();

    // Believed, the planted records would put webgpu first (measured far faster) and wasm last
    // (its breaker open); the model type has no browser default, so the priority stands.
    const pool = pagePool({ priority: ['wasm', 'webgpu'] });
    const events = record(pool, 'history:storage');
    const model = await classifier(pool, 'text');
    expect(model.backend).toBe('wasm');
    expect(pool.stats().models.find((m) => m.name === 'text-angle')?.route).toEqual({
      order: ['wasm', 'webgpu'],
      reason: 'priority as given',
    });
    await classify(model);

    const history = pool.health().history;
    expect(history.storage).toMatchObject({
      mode: 'indexeddb',
      corruptRecords: planted.corrupt.length,
    });
    expect(history.storage.reason).toBeUndefined();
    expect(events).toEqual([]);
    expect(history.backends['worker:wasm']?.circuitState).toBeUndefined();
    expect(history.measurements).toBe(2);
    expect(history.recentFailures.map((f) => f.message)).toEqual(['a valid stored failure']);

    await persisted(pool);
    const database = await stored();
    expect(database.performance.map((r) => r.model).sort()).toEqual(['other-model', 'text-angle']);
    expect(database.performance.find((r) => r.model === 'text-angle')?.count).toBe(1);
    expect(database.health).toEqual([]);
    expect(database.failures.map((f) => f.message)).toEqual(['a valid stored failure']);
  });

  it('runs from memory in a page without IndexedDB, and says so', async () => {
    const peer = await peerPage({
      // Before any script of the page: as in a browser or mode that has no IndexedDB.
      initScript: `delete globalThis.indexedDB;
        if ('indexedDB' in globalThis) {
          Object.defineProperty(globalThis, 'indexedDB', { value: undefined });
        }`,
    });
    expect(await commands.peerCall(peer, 'hasIndexedDB', [])).toBe(false);
    await commands.peerCall(peer, 'create', [{ priority: ['wasm'], history: TIMINGS }]);

    const loaded = await commands.peerCall(peer, 'load', ['text-angle', 'ocr-cls', 'vision']);
    expect(loaded).toMatchObject({ backend: 'wasm' });
    const output = (await commands.peerCall(peer, 'run', ['text-angle', 'ocr-cls', 3])) as number[];
    const want = [...(Object.values(golden)[0]!.data as Float32Array)].slice(0, 8);
    expect(maxAbsDiff(output, want)).toBe(0);

    const health = (await commands.peerCall(peer, 'health', [])) as PoolHealth;
    const reason = 'IndexedDB is not available: this environment has no indexedDB';
    expect(health.history.storage).toMatchObject({
      mode: 'memory',
      requested: 'indexeddb',
      reason,
      pendingWrites: 0,
    });
    expect(health.history.storage.lastWriteAt).toBeUndefined();
    // History still steers routing, from memory.
    expect(health.recommendations.vision?.measured).toEqual([
      expect.objectContaining({ model: 'text-angle', backend: 'wasm', runs: 3 }),
    ]);
    const events = (await commands.peerCall(peer, 'events', [])) as { type: string }[];
    expect(events.filter((e) => e.type === 'history:storage')).toEqual([
      { type: 'history:storage', event: { mode: 'memory', reason } },
    ]);
  });
});

/**
 * Clears the origin's IndexedDB, then waits until a database opens: an open that races the end
 * of the clearing can be aborted ("The connection was closed"), and the pool's first must not.
 */
async function clearIndexedDb(): Promise<void> {
  await commands.clearOriginData('indexeddb');
  const opens = async (): Promise<boolean> => {
    try {
      (await openDB(SETTLING)).close();
      return true;
    } catch {
      return false;
    }
  };
  await until(opens, RECOVERY_MS, 'an open after clearing');
  await deleteDB(SETTLING);
}

/** Runs `work` under a quota of `bytes` for the origin, then lifts it. */
async function withQuota(bytes: number, work: () => Promise<void>): Promise<void> {
  await commands.setQuota(bytes);
  try {
    await work();
  } finally {
    await commands.setQuota(null);
  }
}

/**
 * Four measurements of other models, the first seen longest ago, and three logged failures:
 * what pruning must halve and empty.
 */
async function plantForPruning(fingerprint: Fingerprint, now: number): Promise<void> {
  const db = await openDB(DATABASE);
  const tx = db.transaction(['performance', 'failures'], 'readwrite');
  const puts: Promise<unknown>[] = [];
  for (let i = 1; i <= 4; i++) {
    const row: PerformanceRecord = {
      key: `old-${i}|wasm|worker|${fingerprint.browser}`,
      model: `old-${i}`,
      modelType: 'audio',
      backend: 'wasm',
      kind: 'worker',
      count: 3,
      errors: 0,
      samples: [5, 5, 5],
      p50: 5,
      p95: 5,
      lastSeen: now - 5000 + i * 1000,
      fingerprint,
    };
    puts.push(tx.objectStore('performance').put(row));
  }
  for (let i = 1; i <= 3; i++) {
    const failure: FailureRecord = {
      category: 'TIMEOUT',
      code: 'DEADLINE_EXCEEDED',
      message: `old ${i}`,
      at: now - i,
    };
    puts.push(tx.objectStore('failures').add(failure));
  }
  await Promise.all([...puts, tx.done]);
  db.close();
}

/** Puts 256 KiB in the meta store, more than any headroom a test gives. */
async function putLarge(): Promise<void> {
  const db = await openDB(DATABASE);
  try {
    await db.put('meta', new Uint8Array(256 * 1024), 'ballast');
  } finally {
    db.close();
  }
}

/**
 * A readwrite transaction over the history stores on a connection of the page's own, kept
 * alive by one read after another until the connection is closed under it (or, should that
 * never happen, for `maxMs`, so that the test fails instead of hanging).
 */
async function holdStores(maxMs = 5000): Promise<{ ended: Promise<void> }> {
  const db = await openDB(DATABASE);
  const tx = db.transaction(['performance', 'health', 'failures'], 'readwrite');
  const store = tx.objectStore('performance');
  const ended = tx.done.then(
    () => db.close(),
    () => db.close(),
  );
  const until = performance.now() + maxMs;
  // A read that fails, or one made after the transaction ended, just ends the spinning.
  const spin = (): void => {
    if (performance.now() < until) void store.count().then(spin).catch(() => undefined);
  };
  spin();
  return { ended };
}

type Planted = [store: 'performance' | 'health' | 'failures', value: unknown][];

/**
 * Records to put in the stores: malformed ones (wrong types, future times, garbage, keys that do
 * not match their fields) and a few valid ones that must survive beside them.
 */
function plantRecords(fingerprint: Fingerprint, now: number): { corrupt: Planted; valid: Planted } {
  const tomorrow = now + 86_400_000;
  const performance = (model: string, backend: Backend, ms: number, extra: object = {}) => ({
    ...measuredRecord(model, 'text', backend, ms, fingerprint, now),
    ...extra,
  });
  const health = (backend: string, extra: object = {}) => ({
    key: `worker:${backend}`,
    kind: 'worker',
    backend,
    trips: 0,
    crashes: 0,
    breaker: null,
    lastSeen: now,
    fingerprint,
    ...extra,
  });
  const openUntil = (time: number): CircuitSnapshot => ({
    version: 1,
    state: 'OPEN',
    consecutiveFailures: 0,
    openUntil: time,
    isolated: false,
    trips: 1,
  });
  const validFailure = { category: 'TIMEOUT', code: 'DEADLINE_EXCEEDED', message: 'a valid stored failure' };
  const corrupt: Planted = [
    // From the future: were they believed, webgpu would be measured the faster.
    ['performance', performance('text-angle', 'webgpu', 1, { lastSeen: tomorrow })],
    ['performance', performance('text-angle', 'wasm', 500, { lastSeen: tomorrow })],
    ['performance', performance('wrong-types', 'wasm', 1, { count: '10', samples: 'fast' })],
    ['performance', performance('impossible', 'wasm', 1, { count: -1, p50: Number.NaN })],
    ['performance', { key: 'garbage', 0: [1, 2, 3], nested: { deep: new Date(0) } }],
    // From the future too: were it believed, wasm would start distrusted.
    ['health', health('wasm', { trips: 1, breaker: openUntil(tomorrow), lastSeen: tomorrow })],
    // A key that names another backend than the record's.
    ['health', { ...health('wasm'), key: 'worker:webgpu' }],
    ['failures', { category: 42, code: 'X', message: 'a category that is a number', at: now }],
    ['failures', { category: 'CONNECTION', code: 'X', message: 'from tomorrow', at: tomorrow }],
    ['failures', { garbage: new Uint8Array([1, 2, 3]) }],
  ];
  const valid: Planted = [
    ['performance', performance('other-model', 'wasm', 5)],
    ['failures', { ...validFailure, at: now }],
  ];
  return { corrupt, valid };
}
