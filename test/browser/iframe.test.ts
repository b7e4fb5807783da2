import { afterEach, describe, expect, it } from 'vitest';
import { createResourcePool, type ResourcePool } from '../../src/index';
import { CATALOG, catalogModel } from '../../demo/models';
import { directRun, expectSameOutputs, feedsFor, nextMessage, otherSite } from './helpers';
import { delay, expectGolden, faultPool, inject, loadGolden, record, slotOf } from './faultKit';

/** The host page, with the shim vitest's browser mode needs (see the fixture). */
const hostIframeUrl = '/test/browser/fixtures/iframe-host.html';
/** The same page from another site of the same server, so that it runs out of process. */
const crossSiteHostUrl = `${otherSite}${hostIframeUrl}`;

/**
 * A frame of another origin beside the pool's: sandboxed, on a page of its own. On `forge` it
 * posts the given messages to the page; on `hello` it offers a port of its own to the frame at
 * `index` of the page's frames and reports what came back on it. It answers `{ attacker }`.
 */
const ATTACKER = `<script>
  addEventListener('message', ({ data }) => {
    if (data.do === 'forge') {
      const forged = data.messages.map((text) => JSON.parse(text));
      for (const message of forged) parent.postMessage(message, '*');
      parent.postMessage({ attacker: 'forged', count: forged.length }, '*');
    } else if (data.do === 'hello') {
      const channel = new MessageChannel();
      const heard = [];
      channel.port1.onmessage = (event) => heard.push(event.data);
      const hello = { webaccel: 'hello', nonce: 'attacker-nonce-0123456789' };
      parent.frames[data.index].postMessage(hello, '*', [channel.port2]);
      setTimeout(() => parent.postMessage({ attacker: 'heard', heard }, '*'), 500);
    }
  });
</script>`;

/** Appends a frame sandboxed with `allow-scripts` only; resolves once its content has loaded. */
async function sandboxedFrame(content: { src: string } | { srcdoc: string }): Promise<HTMLIFrameElement> {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-scripts');
  Object.assign(frame, content);
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  return frame;
}

/** Adds the attacker frame; resolves with a way to command it and await its answer. */
async function attackerFrame(): Promise<(command: object) => Promise<Record<string, unknown>>> {
  const frame = await sandboxedFrame({ srcdoc: ATTACKER });
  return (command) => {
    const answer = nextMessage<Record<string, unknown>>(
      (event) => event.source === frame.contentWindow && typeof event.data?.attacker === 'string',
    );
    frame.contentWindow!.postMessage(command, '*');
    return answer;
  };
}

/** The page's frame index of `frame`, as another frame finds it through `parent.frames`. */
function frameIndex(frame: HTMLIFrameElement): number {
  return [...Array(window.frames.length).keys()].findIndex((i) => window.frames[i] === frame.contentWindow);
}

let pool: ResourcePool;
afterEach(async () => {
  await pool?.dispose();
  for (const frame of document.querySelectorAll('iframe')) frame.remove();
});

describe('iframe connections', () => {
  it('run every model in a sandboxed iframe with the same outputs as a worker connection', async () => {
    pool = createResourcePool({ priority: ['wasm'], hostIframeUrl });

    for (const model of CATALOG) {
      const feeds = await feedsFor(model.id);
      const inFrame = await pool.getModel({ type: model.type, name: model.id, source: model.url, preferences: { connectionKind: 'iframe' } });
      const inWorker = await pool.getModel({ type: model.type, name: model.id, source: model.url, preferences: { connectionKind: 'worker' } });

      const [framed, worked] = [await inFrame.run(feeds), await inWorker.run(feeds)];

      expectGolden(framed, worked);
      expectSameOutputs(framed, await directRun(model.url, feeds), 0);
    }
    const frame = slotOf(pool, 'iframe-wasm-1').connection!.realm as HTMLIFrameElement;
    expect(frame.getAttribute('sandbox')).toBe('allow-scripts');
    expect(pool.stats().connections.map((c) => [c.id, c.kind])).toEqual([
      ['iframe-wasm-1', 'iframe'],
      ['worker-wasm-1', 'worker'],
    ]);
  });

  it('replaces an iframe removed from the page, and the call in flight is recovered in a fresh one', async () => {
    pool = createResourcePool({
      priority: ['wasm'],
      connectionKind: 'iframe',
      hostIframeUrl,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 1_000,
      retry: { maxAttempts: 4, baseDelayMs: 10 },
    });
    const det = catalogModel('ocr-det');
    const handle = await pool.getModel({ type: det.type, name: det.id, source: det.url });
    const feeds = await feedsFor(det.id);
    const golden = await handle.run(feeds);
    const first = slotOf(pool, 'iframe-wasm-1').connection!;

    const call = handle.run(feeds);
    (first.realm as HTMLIFrameElement).remove();
    expectGolden(await call, golden);
    await delay(100);

    expect(first.state).toBe('closed');
    expect(document.querySelectorAll('iframe[sandbox="allow-scripts"]').length).toBe(1);
    expect(pool.stats().connections.find((c) => c.state === 'ready')?.kind).toBe('iframe');
  });

  it('leaves no iframe behind after dispose', async () => {
    pool = createResourcePool({ priority: ['wasm'], connectionKind: 'iframe', hostIframeUrl });
    const cls = catalogModel('ocr-cls');
    await pool.getModel({ type: cls.type, name: cls.id, source: cls.url });

    await pool.dispose();

    expect(document.querySelectorAll('iframe[name^="webaccel"]').length).toBe(0);
  });
});


describe('the sandbox', () => {
  it('gives an iframe host an opaque origin that reaches neither the page, nor the top window, nor IndexedDB', async () => {
    pool = createResourcePool({ priority: ['wasm'], hostIframeUrl });
    const cls = catalogModel('ocr-cls');
    await pool.getModel({ type: cls.type, name: 'framed', source: cls.url, preferences: { connectionKind: 'iframe' } });
    await pool.getModel({ type: cls.type, name: 'worked', source: cls.url, preferences: { connectionKind: 'worker' } });

    const framed = slotOf(pool, 'iframe-wasm-1').connection!.capabilities!.realm;
    const worked = slotOf(pool, 'worker-wasm-1').connection!.capabilities!.realm;

    expect(framed).toMatchObject({ origin: 'null', kind: 'window', parentReachable: false, topReachable: false });
    expect(framed.indexedDb).toMatch(/SecurityError/);
    expect(worked).toMatchObject({ origin: location.origin, kind: 'worker', indexedDb: 'available' });
  });

  it('ignores a second handshake: the host answers its page once, on the first port only', async () => {
    pool = createResourcePool({ priority: ['wasm'], connectionKind: 'iframe', hostIframeUrl });
    const cls = catalogModel('ocr-cls');
    const handle = await pool.getModel({ type: cls.type, name: cls.id, source: cls.url });
    const feeds = await feedsFor(cls.id);
    const frame = slotOf(pool, 'iframe-wasm-1').connection!.realm as HTMLIFrameElement;
    const intruder = new MessageChannel();
    const heard: unknown[] = [];
    intruder.port1.onmessage = (event) => heard.push(event.data);

    frame.contentWindow!.postMessage({ webaccel: 'hello', nonce: 'intruder-nonce-0123456789' }, '*', [intruder.port2]);
    await delay(300);

    expect(heard).toEqual([]);
    expectGolden(await handle.run(feeds), await handle.run(feeds));
  });
});

describe('traffic that does not come from the host on its own channel', () => {
  it('ignores and counts messages another frame forges to the page: handshakes, host events, prototype keys', async () => {
    pool = createResourcePool({ priority: ['wasm'], connectionKind: 'iframe', hostIframeUrl: crossSiteHostUrl });
    const cls = catalogModel('ocr-cls');
    const handle = await pool.getModel({ type: cls.type, name: cls.id, source: cls.url });
    const feeds = await feedsFor(cls.id);
    const golden = await directRun(cls.url, feeds);
    const reports = record(pool, 'connection:error');
    const closes = record(pool, 'connection:close');
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
    const attacker = await attackerFrame();
    const error = { kind: 'error', name: 'Error', message: 'forged' };
    const forgeries = [
      { webaccel: 'ready', nonce: 'forged-nonce-0123456789abcdef' },
      { webaccel: 'ready', nonce: 'forged-nonce-0123456789abcdef' },
      { webaccel: 'host-event', type: 'device-lost', error },
      { webaccel: 'host-event', type: 'uncaught-error', error },
      { webaccel: 'ready', nonce: 'forged-nonce-0123456789abcdef', constructor: { prototype: { polluted: true } } },
    ].map((message) => JSON.stringify(message));
    forgeries.push(`{${forgeries[2]!.slice(1, -1)},"__proto__":{"polluted":true}}`);

    const answer = await attacker({ do: 'forge', messages: forgeries });
    await delay(50);

    expect(answer).toEqual({ attacker: 'forged', count: 6 });
    expect(pool.stats().forgedMessages).toBe(6);
    expect([reports, closes]).toEqual([[], []]);
    expect(pool.stats().connections.map((c) => [c.id, c.state, c.circuitState, c.droppedMessages])).toEqual([
      ['iframe-wasm-1', 'ready', 'CLOSED', 0],
    ]);
    expectSameOutputs(await handle.run(feeds), golden, 0);
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves a hello from another frame unanswered and the handshake to the page, on a host served from another site', async () => {
    const host = await sandboxedFrame({ src: crossSiteHostUrl });
    const attacker = await attackerFrame();

    const attack = await attacker({ do: 'hello', index: frameIndex(host) });
    const channel = new MessageChannel();
    const answered = new Promise((resolve) => (channel.port1.onmessage = (event) => resolve(event.data)));
    host.contentWindow!.postMessage({ webaccel: 'hello', nonce: 'the-page-nonce-0123456789' }, '*', [channel.port2]);

    expect(attack).toEqual({ attacker: 'heard', heard: [] });
    expect(await answered).toEqual({ webaccel: 'ready', nonce: 'the-page-nonce-0123456789' });
  });

  it('drops and counts replayed replies and handshake answers and malformed host events on a channel to another site', async () => {
    pool = faultPool({
      connectionKind: 'iframe',
      hostIframeUrl: crossSiteHostUrl,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 1000,
    });
    const { handle, feeds, golden } = await loadGolden(pool);
    const reports = record(pool, 'connection:error');
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);

    await inject(pool, { kind: 'send-garbage' }, 'iframe-wasm-1');
    await inject(pool, { kind: 'replay-last-reply' }, 'iframe-wasm-1');
    const results = await Promise.all([handle.run(feeds), handle.run(feeds)]);
    await delay(50);

    for (const outputs of results) expectGolden(outputs, golden);
    const connections = pool.stats().connections.map((c) => [c.id, c.state, c.droppedMessages]);
    expect(connections).toEqual([['iframe-wasm-1', 'ready', 13]]);
    expect(reports).toEqual([]);
    expect(pool.stats().forgedMessages).toBe(0);
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
