import type { Page } from 'playwright';
import type { BrowserCommand } from 'vitest/node';

/**
 * Commands that give a browser test other pages in its own browser context: the same origin,
 * the same IndexedDB, the same BroadcastChannels, as a second tab of the same site would have.
 * They run in Node, on Playwright's side.
 */
const peers = new Map<string, Page>();
let sequence = 0;

interface PlaywrightContext {
  context: { newPage(): Promise<Page> };
}

/** Opens `url` in a new page of the test's browser context; resolves with the page's id. */
const openPeer: BrowserCommand<[url: string]> = async (ctx, url) => {
  const page = await (ctx as unknown as PlaywrightContext).context.newPage();
  const id = `peer-${++sequence}`;
  peers.set(id, page);
  page.on('pageerror', (error) => console.error(`[${id}] ${error.message}`));
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

export const peerCommands = { openPeer, peerCall, closePeer };

declare module 'vitest/browser' {
  interface BrowserCommands {
    openPeer(url: string): Promise<string>;
    peerCall(id: string, name: string, args: unknown[]): Promise<unknown>;
    closePeer(id: string): Promise<void>;
  }
}
