import { afterEach, describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import type { PoolEvents, ResourcePool } from '../../src/index';
import { createResourcePool } from '../../src/index';
import { catalogModel } from '../../demo/models';
import { delay, expectGolden, record, slotOf } from './faultKit';
import { directRun, expectSameOutputs, feedsFor, nextMessage, otherSite } from './helpers';
import type { Lab } from './fixtures/crash-lab';
import type { TargetSummary } from './frameCommands';

/** The iframe hosts on the other site of the test server: out of the page's renderer process. */
const hostIframeUrl = `${otherSite}/test/browser/fixtures/iframe-host.html`;
const impostorUrl = `${otherSite}/test/browser/fixtures/impostor.html`;
const labUrl = new URL('/test/browser/fixtures/crash-lab.html', location.origin).href;

/** The lab's heartbeat (crash-lab.ts): a silent host is declared hung within this. */
const LAB_HEARTBEAT_BOUND_MS = 100 + 3000;

type Started = Awaited<ReturnType<Lab['start']>>;
type Fired = ReturnType<Lab['fire']>;
type Settled = Awaited<ReturnType<Lab['settle']>>;

/**
 * The browser's targets served from `prefix`, once it lists `count` of them or after two
 * seconds: once in several runs, a listing came back without a frame that had already loaded
 * and answered its handshake.
 */
async function targetsAt(prefix: string, count: number): Promise<TargetSummary[]> {
  const deadline = performance.now() + 2000;
  for (;;) {
    const targets = await commands.targetsAt(prefix);
    if (targets.length >= count || performance.now() > deadline) return targets;
    await delay(100);
  }
}

/** The lab's events of one type, each with the time it was seen there. */
function eventsOf<K extends keyof PoolEvents>(settled: Settled, type: K): (PoolEvents[K] & { at: number })[] {
  return settled.events.filter((e) => e.type === type).map((e) => ({ ...(e.event as PoolEvents[K]), at: e.at }));
}

let lab: string | undefined;
let pool: ResourcePool | undefined;
afterEach(async () => {
  await pool?.dispose();
  pool = undefined;
  if (lab === undefined) return;
  await commands.labCall(lab, 'dispose', []);
  await commands.closeLab(lab);
  lab = undefined;
});

describe('an iframe connection whose renderer crashes', () => {
  it('takes every frame of its site down, leaves the page running, and recovers the calls in flight in a fresh iframe', async () => {
    lab = await commands.openLab(labUrl);
    const started = (await commands.labCall(lab, 'start', [hostIframeUrl])) as Started;
    const outOfProcess = await targetsAt(otherSite, 2);
    const sharingTheRenderer = await commands.armCrash(otherSite);

    const fired = (await commands.labCall(lab, 'fire', [2])) as Fired;
    await commands.crashFrame();
    const settled = (await commands.labCall(lab, 'settle', [])) as Settled;
    const afterwards = await targetsAt(otherSite, 1);

    // Served from the other site, each host is a target of its own: out of the page's process.
    expect(outOfProcess).toEqual([
      { type: 'iframe', url: hostIframeUrl },
      { type: 'iframe', url: hostIframeUrl },
    ]);
    expect(sharingTheRenderer).toBe(2);
    expect(fired.inFlight).toEqual([['iframe-wasm-1', 1], ['iframe-wasm-2', 1]]);

    // Every call settles, with a worker connection's outputs and onnxruntime-web's own.
    expect(settled.calls.map((c) => [c.ok, c.fromWorker, c.fromDirect])).toEqual([[true, 0, 0], [true, 0, 0]]);
    // The page lives on: the same document, and nothing thrown in it.
    expect(settled.documentToken).toBe(started.documentToken);
    expect([settled.documentState, settled.pageErrors]).toEqual(['complete', []]);

    // One crash ended both frames of the site; the heartbeat found each out within its bound.
    const closes = eventsOf(settled, 'connection:close');
    expect(closes.map((c) => [c.connectionId, c.code]).sort()).toEqual([
      ['iframe-wasm-1', 'HEARTBEAT_MISSED'],
      ['iframe-wasm-2', 'HEARTBEAT_MISSED'],
    ]);
    for (const close of closes) expect(close.at - fired.at).toBeLessThan(LAB_HEARTBEAT_BOUND_MS + 400);
    // Both calls were on the crashed frames, and were recovered.
    const recoveries = eventsOf(settled, 'recovery:attempt');
    const lost = recoveries.filter((r) => r.code === 'HEARTBEAT_MISSED').map((r) => r.connectionId);
    expect(lost.sort()).toEqual(['iframe-wasm-1', 'iframe-wasm-2']);
    expect(new Set(recoveries.map((r) => r.category))).toEqual(new Set(['CONNECTION']));

    // A lost connection opens its breaker at once, once.
    expect(eventsOf(settled, 'breaker:transition').map((t) => [t.connectionId, t.from, t.to]).sort()).toEqual([
      ['iframe-wasm-1', 'CLOSED', 'OPEN'],
      ['iframe-wasm-2', 'CLOSED', 'OPEN'],
    ]);
    expect(settled.health.openCircuitCount).toBe(2);
    expect(settled.health.connections['iframe-wasm-1']!.factors.connectionDrops).toBeGreaterThan(0);

    // A fresh iframe, started once the crash was noticed, took their place and ran both calls.
    const fresh = eventsOf(settled, 'connection:start').filter((s) => s.at > fired.at);
    expect(fresh.map((s) => s.connectionId)).toEqual(['iframe-wasm-3']);
    expect(fresh[0]!.at).toBeGreaterThanOrEqual(Math.min(...closes.map((c) => c.at)));
    expect(settled.stats.connections.map((c) => [c.id, c.state, c.circuitState, c.runs, c.droppedMessages])).toEqual([
      ['iframe-wasm-1', 'closed', 'OPEN', 1, 0],
      ['iframe-wasm-2', 'closed', 'OPEN', 1, 0],
      ['iframe-wasm-3', 'ready', 'CLOSED', 2, 0],
    ]);
    expect(settled.stats.forgedMessages).toBe(0);

    // The pool reached each frame's window once, for its handshake: never a crashed one's after.
    expect(settled.frames.map((f) => [f.name, f.connected, f.windowReads.length])).toEqual([
      ['webaccel iframe-wasm-1', false, 1],
      ['webaccel iframe-wasm-2', false, 1],
      ['webaccel iframe-wasm-3', true, 1],
    ]);
    expect(Math.max(...settled.frames.slice(0, 2).map((f) => f.windowReads[0]!))).toBeLessThan(fired.at);
    expect(settled.liveFrames).toBe(1);
    expect(afterwards).toEqual([{ type: 'iframe', url: hostIframeUrl }]);
  });
});

describe('an iframe connection navigated away', () => {
  it('is replaced by a fresh iframe; its calls settle, and what the page it now shows posts is ignored and counted', async () => {
    pool = createResourcePool({
      priority: ['wasm'],
      connectionKind: 'iframe',
      storage: 'memory',
      hostIframeUrl,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 1000,
      retry: { maxAttempts: 4, baseDelayMs: 10 },
      concurrencyPerConnection: 4,
    });
    const det = catalogModel('ocr-det');
    const feeds = await feedsFor(det.id);
    const framed = await pool.getModel({ type: det.type, name: det.id, source: det.url });
    const inWorker = await pool.getModel({
      type: det.type,
      name: det.id,
      source: det.url,
      preferences: { connectionKind: 'worker' },
    });
    const golden = await inWorker.run(feeds);
    const first = slotOf(pool, 'iframe-wasm-1').connection!;
    const frame = first.realm as HTMLIFrameElement;
    expect(await targetsAt(otherSite, 1)).toEqual([{ type: 'iframe', url: hostIframeUrl }]);
    const closes = record(pool, 'connection:close');
    const transitions = record(pool, 'breaker:transition');
    const recoveries = record(pool, 'recovery:attempt');
    const reports = record(pool, 'connection:error');
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
    const impostorDone = nextMessage<{ posted?: number }>((event) => event.data?.impostor === 'done').then(
      (data) => data.posted ?? -1,
    );

    const before = framed.run(feeds);
    frame.src = impostorUrl;
    const posted = await impostorDone;
    // Sent after the host's document is gone: nobody will ever answer them there.
    const after = [framed.run(feeds), framed.run(feeds)];
    const outputs = await Promise.all([before, ...after]);
    await delay(100);

    for (const output of outputs) expectGolden(output, golden);
    expectSameOutputs(outputs[1]!, await directRun(det.url, feeds), 0);
    expect(closes.map((c) => [c.connectionId, c.code])).toEqual([['iframe-wasm-1', 'HEARTBEAT_MISSED']]);
    expect(transitions.map((t) => [t.connectionId, t.from, t.to])).toEqual([['iframe-wasm-1', 'CLOSED', 'OPEN']]);
    // At least the two calls sent after the navigation were lost there, and recovered.
    const lost = recoveries.filter((r) => r.code === 'HEARTBEAT_MISSED').map((r) => r.connectionId);
    expect(lost.length).toBeGreaterThanOrEqual(2);
    expect(new Set(lost)).toEqual(new Set(['iframe-wasm-1']));
    expect(first.state).toBe('closed');
    expect(frame.isConnected).toBe(false);

    const replacement = slotOf(pool, 'iframe-wasm-2').connection!;
    expect(replacement.state).toBe('ready');
    expect(replacement.realm).not.toBe(frame);
    expect([...document.querySelectorAll('iframe[name^="webaccel"]')]).toEqual([replacement.realm]);
    expect(await targetsAt(otherSite, 1)).toEqual([{ type: 'iframe', url: hostIframeUrl }]);

    // The impostor's handshakes, host events and prototype keys reached the page's window only.
    expect(posted).toBe(6);
    expect(pool.stats().forgedMessages).toBe(6);
    expect(reports).toEqual([]);
    expect(pool.stats().connections.map((c) => c.droppedMessages)).toEqual([0, 0, 0]);
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
