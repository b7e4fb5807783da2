/**
 * The SDK's core path on a page with a strict Content Security Policy: load, run, a fallback
 * past a missing backend, recovery from a killed worker, and an iframe connection. Every CSP
 * violation the page reports is collected; the smoke run requires none.
 */
import { createResourcePool } from '../src/index';
import { CATALOG, demoInputs } from './models';

/** What the page publishes for the smoke run. */
export interface CspReport {
  /** Whether the page's own attempt at eval was blocked and reported: the policy is in force. */
  policyEnforced: boolean;
  violations: string[];
  runs: number;
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
  const pool = createResourcePool({ priority: ['webnn', 'wasm'], heartbeatIntervalMs: 100, heartbeatTimeoutMs: 2_000 });
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
  await pool.dispose();
  document.querySelector('#status')!.textContent = `Done: ${runs} runs, ${violations.length} violations`;
  return { policyEnforced: enforced, violations, runs, failures };
}
