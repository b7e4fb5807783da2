import { env } from 'onnxruntime-common';
import type { Fingerprint } from './records';

/** How long the adapter query may take before the adapter is recorded as unknown. */
const ADAPTER_TIMEOUT_MS = 5000;

interface BrandVersion {
  brand: string;
  version: string;
}

/** The parts of `navigator` the fingerprint reads; every one may be missing. */
export interface NavigatorLike {
  userAgent?: string;
  userAgentData?: { brands?: readonly BrandVersion[] };
  gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> };
}

/**
 * What history records are measured under on this page: onnxruntime's version, the browser and
 * its major version, and the WebGPU adapter. Never rejects.
 */
export async function detectFingerprint(nav: NavigatorLike | undefined = globalThis.navigator): Promise<Fingerprint> {
  const { browser, browserMajor } = browserOf(nav);
  return { runtime: env.versions.common, browser, browserMajor, adapter: await adapterOf(nav) };
}

/**
 * The browser's name and major version, from user-agent client hints where the browser has
 * them (Chromium), else from the user-agent string.
 */
export function browserOf(nav: NavigatorLike | undefined): { browser: string; browserMajor: number } {
  const brands = nav?.userAgentData?.brands ?? [];
  for (const [pattern, browser] of BRANDS) {
    const brand = brands.find((b) => pattern.test(b.brand));
    if (brand !== undefined) return { browser, browserMajor: Number.parseInt(brand.version, 10) || 0 };
  }
  const agent = nav?.userAgent ?? '';
  for (const [pattern, browser] of AGENTS) {
    const match = pattern.exec(agent);
    if (match !== null) return { browser, browserMajor: Number.parseInt(match[1] ?? '0', 10) || 0 };
  }
  return { browser: 'unknown', browserMajor: 0 };
}

/** Client-hint brands, most specific first: Edge and Chrome both also list Chromium. */
const BRANDS: readonly (readonly [RegExp, string])[] = [
  [/^Microsoft Edge$/, 'Edge'],
  [/^Google Chrome$/, 'Chrome'],
  [/^Opera$/, 'Opera'],
  [/^Chromium$/, 'Chrome'],
];

const AGENTS: readonly (readonly [RegExp, string])[] = [
  [/Edg\/(\d+)/, 'Edge'],
  [/Firefox\/(\d+)/, 'Firefox'],
  [/Chrom(?:e|ium)\/(\d+)/, 'Chrome'],
  [/Version\/(\d+).*Safari\//, 'Safari'],
];

async function adapterOf(nav: NavigatorLike | undefined): Promise<string> {
  if (nav?.gpu === undefined) return 'none';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'unknown'>((resolve) => {
    timer = setTimeout(() => resolve('unknown'), ADAPTER_TIMEOUT_MS);
  });
  try {
    const adapter = await Promise.race([nav.gpu.requestAdapter(), timeout]);
    if (adapter === 'unknown') return adapter;
    if (adapter === null) return 'none';
    return `${adapter.info?.vendor ?? '?'} ${adapter.info?.architecture ?? ''}`.trim();
  } catch {
    return 'none';
  } finally {
    clearTimeout(timer);
  }
}
