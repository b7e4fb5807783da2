import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RECOVERY_PLANS } from '../../src/resilience/RecoveryPlan';
import { HEALTH_WEIGHTS } from '../../src/resilience/HealthScore';
import { DEFAULT_BREAKER_OPTIONS } from '../../src/resilience/CircuitBreaker';
import { DEFAULT_POOL_OPTIONS } from '../../src/api/options';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README', () => {
  it('states every category\'s recovery plan as the code applies it', () => {
    for (const [category, plan] of Object.entries(RECOVERY_PLANS)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${category}\` |`));
      expect(row, category).toBeDefined();
      const stated = row!.split('|')[2]!.trim();
      const expected = plan.length === 0 ? 'none' : plan.map((s) => s.replace('-', ' ')).join(', ');
      expect(stated, category).toBe(expected);
    }
  });

  it('states the defaults the code uses', () => {
    const { failureThreshold, resetTimeoutMs, halfOpenMaxTrials, successThreshold } = DEFAULT_BREAKER_OPTIONS;
    expect(readme).toContain(`{ failureThreshold: ${failureThreshold}, resetTimeoutMs: ${resetTimeoutMs}, halfOpenMaxTrials: ${halfOpenMaxTrials}, successThreshold: ${successThreshold} }`);
    const { maxAttempts, baseDelayMs, maxDelayMs } = DEFAULT_POOL_OPTIONS.retry;
    expect(readme).toContain(`{ maxAttempts: ${maxAttempts}, baseDelayMs: ${baseDelayMs}, maxDelayMs: ${maxDelayMs} }`);
    expect(readme).toContain(`| \`runTimeoutMs\` | \`${DEFAULT_POOL_OPTIONS.runTimeoutMs}\` |`);
    expect(readme).toContain(`| \`maxQueueLength\` | \`${DEFAULT_POOL_OPTIONS.maxQueueLength}\` |`);
    expect(readme).toContain(`| \`idleTimeoutMs\` | \`${DEFAULT_POOL_OPTIONS.idleTimeoutMs}\` |`);
    const { database, ttlMs, openTimeoutMs, retryMs, flushIntervalMs, maxFailures } = DEFAULT_POOL_OPTIONS.history;
    expect(readme).toContain(
      `{ database: '${database}', ttlMs: ${ttlMs}, openTimeoutMs: ${openTimeoutMs}, retryMs: ${retryMs}, flushIntervalMs: ${flushIntervalMs}, maxFailures: ${maxFailures} }`,
    );
    expect(readme).toContain(`| \`storage\` | \`'${DEFAULT_POOL_OPTIONS.storage}'\` |`);
  });

  it('states the health weights the code uses', () => {
    expect(readme).toContain(`failed\ncalls take up to ${HEALTH_WEIGHTS.errorRate} points, consecutive failures ${HEALTH_WEIGHTS.consecutiveFailures}, connection drops ${HEALTH_WEIGHTS.connectionDrops}, run time ${HEALTH_WEIGHTS.responseTime}`);
    expect(readme).toContain(`WebAssembly memory ${HEALTH_WEIGHTS.memory} (from`);
    expect(readme).toContain(`ping ${HEALTH_WEIGHTS.ping} (from`);
  });
});
