import type { CDPSession, Page } from 'playwright';
import type { BrowserCommand, BrowserCommandContext } from 'vitest/node';

/**
 * Commands that give a browser test other pages in its own browser context: the same origin,
 * the same IndexedDB, the same BroadcastChannels, as a second tab of the same site would have;
 * and the DevTools protocol's storage controls over the test's own origin. They run in Node, on
 * Playwright's side.
 */
const peers = new Map<string, Page>();
const devTools = new WeakMap<Page, Promise<CDPSession>>();
let sequence = 0;

interface PlaywrightContext {
  page: Page;
  context: { newPage(): Promise<Page>; newCDPSession(page: Page): Promise<CDPSession> };
  frame(): Promise<{ url(): string }>;
}

/** What a peer page is opened with. */
export interface PeerOptions {
  /** Script text run in the page before any of its own scripts (Playwright's `addInitScript`). */
  initScript?: string;
}

function playwrightOf(ctx: BrowserCommandContext): PlaywrightContext {
  return ctx as unknown as PlaywrightContext;
}

/** Opens `url` in a new page of the test's browser context; resolves with the page's id. */
const openPeer: BrowserCommand<[url: string, options?: PeerOptions]> = async (ctx, url, options = {}) => {
  const page = await playwrightOf(ctx).context.newPage();
  const id = `peer-${++sequence}`;
  peers.set(id, page);
  page.on('pageerror', (error) => console.error(`[${id}] ${error.message}`));
  if (options.initScript !== undefined) await page.addInitScript(options.initScript);
  await page.goto(url);
  await page.waitForFunction(() => 'peer' in globalThis);
  return id;
};

/** Calls `window.peer[name](...args)` in the peer page; resolves with what it returns. */
const peerCall: BrowserCommand<[id: string, name: string, args: unknown[]]> = async (_ctx, id, name, args) => {
  const page = peers.get(id);
  if (page === undefined) throw new Error(`No peer page ${id}`);
  return page.evaluate(
    ([fn, fnArgs]) => (globalThis as unknown as { peer: Record<string, (...a: unknown[]) => unknown> }).peer[fn]?.(...fnArgs),
    [name, args] as const,
  );
};

/** Closes a peer page, as closing its tab would (`pagehide` first). */
const closePeer: BrowserCommand<[id: string]> = async (_ctx, id) => {
  const page = peers.get(id);
  peers.delete(id);
  await page?.close({ runBeforeUnload: true });
};

/**
 * A DevTools session on the test's page, kept for the page's life: Chromium drops a quota
 * override when the session that set it detaches.
 */
async function devToolsOf(
  ctx: BrowserCommandContext,
): Promise<{ session: CDPSession; origin: string }> {
  const { page, context, frame } = playwrightOf(ctx);
  let session = devTools.get(page);
  if (session === undefined) {
    session = context.newCDPSession(page);
    devTools.set(page, session);
  }
  // The test runs in the runner's frame; its origin is the one whose storage is meant.
  return { session: await session, origin: new URL((await frame()).url()).origin };
}

/**
 * Overrides the storage quota of the test's origin to `bytes` (DevTools
 * `Storage.overrideQuotaForOrigin`); `null` restores the browser's own quota. Resolves with the
 * origin's usage in bytes. Chromium reads a quota of 0 as no limit: 1 byte is the least there is.
 * IndexedDB in Chromium goes on granting the space it was last given for up to 30 s, so a new
 * quota binds only once a write asks for more than that, or on a fresh IndexedDB.
 */
const setQuota: BrowserCommand<[bytes: number | null]> = async (ctx, bytes) => {
  const { session, origin } = await devToolsOf(ctx);
  const override = bytes === null ? { origin } : { origin, quotaSize: bytes };
  await session.send('Storage.overrideQuotaForOrigin', override);
  return (await session.send('Storage.getUsageAndQuota', { origin })).usage;
};

/**
 * Clears the test origin's data of the given types (DevTools `Storage.clearDataForOrigin`), as
 * the user clearing site data would: open IndexedDB connections are closed under their pages.
 */
const clearOriginData: BrowserCommand<[storageTypes: string]> = async (ctx, storageTypes) => {
  const { session, origin } = await devToolsOf(ctx);
  await session.send('Storage.clearDataForOrigin', { origin, storageTypes });
};

export const peerCommands = { openPeer, peerCall, closePeer, setQuota, clearOriginData };

declare module 'vitest/browser' {
  interface BrowserCommands {
    openPeer(url: string, options?: PeerOptions): Promise<string>;
    peerCall(id: string, name: string, args: unknown[]): Promise<unknown>;
    closePeer(id: string): Promise<void>;
    setQuota(bytes: number | null): Promise<number>;
    clearOriginData(storageTypes: string): Promise<void>;
  }
}
