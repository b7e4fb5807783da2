/**
 * The demo's main job, headless: opens the demo page in Chromium, waits for every model to run,
 * prints one line per model and backend, and exits non-zero if any run failed.
 */
import { withDemoPage } from './openDemo.mjs';

const TIMEOUT_MS = 10 * 60_000;

const report = await withDemoPage('/demo/', async (page) => {
  await page.waitForFunction(() => window.webaccelDemo !== undefined, undefined, { timeout: 60_000 });
  return page.evaluate(
    (timeout) =>
      Promise.race([
        window.webaccelDemo,
        new Promise((_, reject) => setTimeout(() => reject(new Error('demo timed out')), timeout)),
      ]),
    TIMEOUT_MS,
  );
});

const rows = report.rows.map((r) => ({
  model: r.model,
  'asked for': r.requested,
  'ran on': r.backend,
  'load ms': fmt(r.loadMs),
  'first run ms': fmt(r.firstRunMs),
  'run ms': fmt(r.runMs),
  check: `${r.ok ? 'ok' : 'FAIL'}: ${r.summary}`,
}));
console.table(rows);
console.table(
  report.pipelines.map((p) => ({
    pipeline: p.pipeline,
    'ran on': p.backend,
    ms: fmt(p.ms),
    check: `${p.ok ? 'ok' : 'FAIL'}: ${p.summary}`,
  })),
);
for (const failure of report.stats.capabilityFailures) {
  console.log(`detected and fell back: ${failure.message}`);
}

const csp = await withDemoPage('/demo/csp.html', async (page) => {
  await page.waitForFunction(() => window.webaccelCsp !== undefined, undefined, { timeout: 60_000 });
  return page.evaluate(() => window.webaccelCsp);
});
const cspOk = csp.policyEnforced && csp.violations.length === 0 && csp.failures.length === 0 && csp.runs === 4 && csp.recovered;
console.log(
  `strict CSP page (policy ${csp.policyEnforced ? 'in force: eval refused' : 'NOT in force'}): ` +
    `${csp.runs} runs in workers and iframes, ${csp.recovered ? 'a crashed worker recovered' : 'NO recovery'}, ` +
    `${csp.violations.length} violations` +
    [...csp.violations, ...csp.failures].map((line) => `\n  ${line}`).join(''),
);

const outcomes = [...report.rows, ...report.pipelines, { ok: cspOk }];
const failed = outcomes.filter((r) => !r.ok);
console.log(`${outcomes.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length === 0 ? 0 : 1);

function fmt(ms) {
  return typeof ms === 'number' && Number.isFinite(ms) ? ms.toFixed(1) : '-';
}
