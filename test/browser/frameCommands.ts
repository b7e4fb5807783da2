import type { Browser, BrowserContext, CDPSession } from 'playwright';
import type { BrowserCommand } from 'vitest/node';

/**
 * Commands that reach frames through the DevTools protocol, on Playwright's side, in Node: list
 * the browser's targets, crash an out-of-process iframe's renderer, and run a scenario in a
 * page of its own.
 *
 * Playwright takes the crash of any out-of-process iframe for its page's crash: it disposes the
 * page's whole frame tree, and every later frame event of that page then throws "Frame has been
 * detached" in Node. So a crash scenario runs in a lab page that Playwright does not watch: a
 * target in a browser context made over the protocol, which Playwright detaches from at once
 * because it is none of its contexts. The lab is driven through `Target.sendMessageToTarget`.
 */
interface PlaywrightContext {
  context: BrowserContext;
}

/** One DevTools target of the browser, as `Target.getTargets` lists it. */
export interface TargetSummary {
  /** `iframe` for a frame the browser runs in a renderer of its own. */
  type: string;
  url: string;
}

interface TargetInfo extends TargetSummary {
  targetId: string;
}

interface ProtocolReply {
  id?: number;
  result?: unknown;
  error?: { message: string };
}

interface EvaluateResult {
  result: { value?: unknown };
  exceptionDetails?: { text: string; exception?: { description?: string } };
}

/** How long a lab page may take to load its scenario module. */
const LAB_LOAD_MS = 30_000;

/**
 * Sessions to targets over one browser-level session, in the protocol's non-flat mode: the only
 * one Playwright's CDPSession can carry, since it cannot address a child session itself.
 */
class TargetSessions {
  private readonly pending = new Map<string, (reply: ProtocolReply) => void>();
  private sequence = 0;

  private constructor(readonly browser: CDPSession) {
    browser.on('Target.receivedMessageFromTarget', ({ sessionId, message }) => {
      const reply = JSON.parse(message) as ProtocolReply;
      if (reply.id === undefined) return;
      const key = `${sessionId}:${reply.id}`;
      this.pending.get(key)?.(reply);
      this.pending.delete(key);
    });
  }

  static async open(browser: Browser): Promise<TargetSessions> {
    return new TargetSessions(await browser.newBrowserCDPSession());
  }

  async attach(targetId: string): Promise<string> {
    const { sessionId } = await this.browser.send('Target.attachToTarget', { targetId, flatten: false });
    return sessionId;
  }

  /** Sends `method` to the target behind `sessionId`; resolves with its result. */
  send<T>(sessionId: string, method: string, params: object = {}): Promise<T> {
    const id = ++this.sequence;
    const key = `${sessionId}:${id}`;
    const reply = new Promise<ProtocolReply>((resolve, reject) => {
      this.pending.set(key, resolve);
      // A message that never left gets no reply: fail the command rather than hang the test.
      this.post(sessionId, id, method, params).catch((error: unknown) => {
        this.pending.delete(key);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
    return reply.then((r) => {
      if (r.error !== undefined) throw new Error(`${method}: ${r.error.message}`);
      return r.result as T;
    });
  }

  /** Hands `method` to the target without waiting for its answer. */
  async post(sessionId: string, id: number, method: string, params: object = {}): Promise<void> {
    const message = JSON.stringify({ id, method, params });
    await this.browser.send('Target.sendMessageToTarget', { sessionId, message });
  }

  async targets(): Promise<TargetInfo[]> {
    const { targetInfos } = await this.browser.send('Target.getTargets');
    return targetInfos.map(({ targetId, type, url }) => ({ targetId, type, url }));
  }
}

interface LabPage {
  sessions: TargetSessions;
  sessionId: string;
  browserContextId: string;
}

const labs = new Map<string, LabPage>();
let labSequence = 0;

function browserOf(ctx: unknown): Browser {
  const browser = (ctx as PlaywrightContext).context.browser();
  if (browser === null) throw new Error('The test context has no browser to ask');
  return browser;
}

/** Evaluates `expression` in the lab, awaiting it; resolves with its value, as JSON data. */
async function evaluate(lab: LabPage, expression: string): Promise<unknown> {
  const reply = await lab.sessions.send<EvaluateResult>(lab.sessionId, 'Runtime.evaluate', {
    expression,
    awaitPromise: true,
    returnByValue: true,
  });
  if (reply.exceptionDetails !== undefined) {
    const { text, exception } = reply.exceptionDetails;
    throw new Error(`In the lab page: ${exception?.description ?? text}`);
  }
  return reply.result.value;
}

/**
 * The browser's targets served from `prefix`. Chromium lists a frame as a target of its own,
 * of type `iframe`, only when it runs the frame out of its parent's process.
 */
const targetsAt: BrowserCommand<[prefix: string]> = async (ctx, prefix) => {
  const sessions = await TargetSessions.open(browserOf(ctx));
  try {
    const targets = await sessions.targets();
    return targets.filter((t) => t.url.startsWith(prefix)).map(({ type, url }) => ({ type, url }));
  } finally {
    await sessions.browser.detach();
  }
};

/**
 * Opens `url` as a lab page in a browser context of its own, out of Playwright's sight, and
 * waits for its scenario (`globalThis.lab`); resolves with the lab's id.
 */
const openLab: BrowserCommand<[url: string]> = async (ctx, url) => {
  const sessions = await TargetSessions.open(browserOf(ctx));
  const { browserContextId } = await sessions.browser.send('Target.createBrowserContext', { disposeOnDetach: true });
  const { targetId } = await sessions.browser.send('Target.createTarget', { url, browserContextId });
  const lab = { sessions, sessionId: await sessions.attach(targetId), browserContextId };
  const id = `lab-${++labSequence}`;
  labs.set(id, lab);

  const since = Date.now();
  while ((await evaluate(lab, `typeof globalThis.lab === 'object'`)) !== true) {
    if (Date.now() - since > LAB_LOAD_MS) throw new Error(`The lab page ${url} did not load its scenario`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return id;
};

/** Calls `globalThis.lab[name](...args)` in the lab page; resolves with what it returns. */
const labCall: BrowserCommand<[id: string, name: string, args: unknown[]]> = async (_ctx, id, name, args) => {
  const lab = labs.get(id);
  if (lab === undefined) throw new Error(`No lab page ${id}`);
  return evaluate(lab, `globalThis.lab[${JSON.stringify(name)}](...${JSON.stringify(args)})`);
};

/** Closes a lab page and its browser context. */
const closeLab: BrowserCommand<[id: string]> = async (_ctx, id) => {
  const lab = labs.get(id);
  labs.delete(id);
  if (lab === undefined) return;
  await lab.sessions.browser.send('Target.disposeBrowserContext', { browserContextId: lab.browserContextId });
  await lab.sessions.browser.detach();
};

/** A session held to an iframe's target, ready to crash it. */
let armed: { sessions: TargetSessions; sessionId: string } | undefined;

/**
 * Attaches to the first out-of-process iframe served from `prefix`, ahead of {@link crashFrame}.
 * Attached while a kernel ran, the session came up only after the renderer's queued runs had all
 * finished, and so did the crash; on a session attached beforehand, `Page.crash` strikes
 * mid-kernel. Resolves with how many such iframes there are.
 */
const armCrash: BrowserCommand<[prefix: string]> = async (ctx, prefix) => {
  const sessions = await TargetSessions.open(browserOf(ctx));
  const frames = (await sessions.targets()).filter((t) => t.type === 'iframe' && t.url.startsWith(prefix));
  const victim = frames[0];
  if (victim === undefined) {
    await sessions.browser.detach();
    throw new Error(`No out-of-process iframe is served from ${prefix}`);
  }
  armed = { sessions, sessionId: await sessions.attach(victim.targetId) };
  return frames.length;
};

/**
 * Crashes the armed iframe's renderer with `Page.crash`, as a renderer fault would. Frames of one
 * site share a renderer, so the others served from there die with it.
 */
const crashFrame: BrowserCommand<[]> = async () => {
  if (armed === undefined) throw new Error('No iframe is armed: call armCrash first');
  const { sessions, sessionId } = armed;
  armed = undefined;
  // The renderer dies before it can answer, so only the hand-over is awaited.
  await sessions.post(sessionId, 1, 'Page.crash');
  await sessions.browser.detach();
};

export const frameCommands = { targetsAt, openLab, labCall, closeLab, armCrash, crashFrame };

declare module 'vitest/browser' {
  interface BrowserCommands {
    targetsAt(prefix: string): Promise<TargetSummary[]>;
    openLab(url: string): Promise<string>;
    labCall(id: string, name: string, args: unknown[]): Promise<unknown>;
    closeLab(id: string): Promise<void>;
    armCrash(prefix: string): Promise<number>;
    crashFrame(): Promise<void>;
  }
}
