/**
 * The SDK's core path on a page with a strict Content Security Policy: load, run, a fallback
 * past a missing backend, recovery from a killed worker, and an iframe connection. Every CSP
 * violation the page reports is collected; the smoke run requires none.
 */
import { createResourcePool } from '../src/index';
import { INTERNALS } from '../src/api/internals';
import { CATALOG, demoInputs } from './models';

/** What the page publishes for the smoke run. */
export interface CspReport {
  /** Whether the page's own attempt at eval was blocked and reported: the policy is in force. */
  policyEnforced: boolean;
  violations: string[];
  runs: number;
  /** Whether a call made after its worker closed itself was recovered with the right output. */
  recovered: boolean;
  failures: string[];
}

declare global {
  interface Window {
    webaccelCsp?: Promise<CspReport>;
  }
}

const violations: string[] = [];
document.addEventListener('securitypolicyviolation', (event) => {
  violations.push(`${event.violatedDirective}: ${event.blockedURI}`);
});

window.webaccelCsp = main();

/** Tries eval once, expecting the policy to refuse it and report the violation. */
async function policyEnforced(): Promise<boolean> {
  let blocked = false;
  try {
    (0, eval)('1');
  } catch {
    blocked = true;
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const reported = violations.findIndex((v) => v.includes('eval'));
  if (reported >= 0) violations.splice(reported, 1);
  return blocked && reported >= 0;
}

async function main(): Promise<CspReport> {
  const enforced = await policyEnforced();
  const inputs = await demoInputs();
  const pool = createResourcePool({
    priority: ['webnn', 'wasm'],
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 2_000,
    // Lets this page crash a worker for real, to show recovery works under the policy too.
    faultInjection: true,
  });
  const failures: string[] = [];
  let runs = 0;
  for (const connectionKind of ['worker', 'iframe'] as const) {
    for (const model of CATALOG.slice(0, 2)) {
      try {
        const handle = await pool.getModel({ type: model.type, name: model.id, source: model.url, preferences: { connectionKind } });
        const feeds = await model.feeds(inputs);
        if (!model.check(await handle.run(feeds)).ok) failures.push(`${model.id} in a ${connectionKind}: wrong output`);
        runs += 1;
      } catch (error) {
        failures.push(`${model.id} in a ${connectionKind}: ${String(error)}`);
      }
    }
  }
  const recovered = await recoverFromCrash(pool, inputs, failures);
  await pool.dispose();
  document.querySelector('#status')!.textContent = `Done: ${runs} runs, ${violations.length} violations`;
  return { policyEnforced: enforced, violations, runs, recovered, failures };
}

/**
 * The first worker closes itself (no event reaches the page); the next call must still give the
 * right output, recovered on a fresh worker once the heartbeat finds the silence.
 */
async function recoverFromCrash(
  pool: ReturnType<typeof createResourcePool>,
  inputs: Awaited<ReturnType<typeof demoInputs>>,
  failures: string[],
): Promise<boolean> {
  const model = CATALOG[0]!;
  try {
    const handle = await pool.getModel({ type: model.type, name: model.id, source: model.url });
    const crashed = pool.stats().connections.find((c) => c.kind === 'worker' && c.backend === 'wasm' && c.models > 0);
    if (crashed === undefined) throw new Error('no wasm worker holds the model');
    await pool[INTERNALS].injectFault(crashed.id, { kind: 'close-self' });
    const ok = model.check(await handle.run(await model.feeds(inputs))).ok;
    const drops = pool.health().connections[crashed.id]?.factors.connectionDrops ?? 0;
    if (!ok) failures.push(`${model.id} after a crash: wrong output`);
    if (drops === 0) failures.push(`${model.id} after a crash: the crash went unnoticed`);
    handle.release();
    return ok && drops > 0;
  } catch (error) {
    failures.push(`${model.id} after a crash: ${String(error)}`);
    return false;
  }
}
