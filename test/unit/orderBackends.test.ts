import { describe, expect, it } from 'vitest';
import { orderBackends, type BackendEvidence } from '../../src/pool/Router';

const none: BackendEvidence = { modelMedians: {}, typeVotes: {}, prior: undefined, distrusted: new Map() };
const all = ['webgpu', 'webnn', 'wasm'] as const;

describe('orderBackends', () => {
  it('keeps the priority when nothing is known', () => {
    expect(orderBackends(all, none)).toEqual({ order: ['webgpu', 'webnn', 'wasm'], reason: 'priority as given' });
  });

  it("puts the backend measured fastest for the model first, the rest in the priority's order", () => {
    const route = orderBackends(all, { ...none, modelMedians: { webgpu: 900, wasm: 25 } });
    expect(route.order).toEqual(['wasm', 'webgpu', 'webnn']);
    expect(route.reason).toBe('measured fastest for this model (median webgpu 900.0 ms, wasm 25.0 ms)');
  });

  it('needs two backends measured to compare', () => {
    expect(orderBackends(all, { ...none, modelMedians: { wasm: 25 } }).order).toEqual(['webgpu', 'webnn', 'wasm']);
  });

  it('ignores measurements of backends outside the priority', () => {
    const route = orderBackends(['webgpu', 'webnn'], { ...none, modelMedians: { webgpu: 900, wasm: 25 } });
    expect(route.order).toEqual(['webgpu', 'webnn']);
  });

  it('falls back to the votes of other models of the type, then to the browser default', () => {
    const voted = orderBackends(all, { ...none, typeVotes: { wasm: 2, webgpu: 1 }, prior: 'webnn' });
    expect(voted.order).toEqual(['wasm', 'webgpu', 'webnn']);
    expect(voted.reason).toBe('fastest for 2 of 3 measured models of its type');

    const prior = orderBackends(all, { ...none, prior: 'webnn' });
    expect(prior.order).toEqual(['webnn', 'webgpu', 'wasm']);
    expect(prior.reason).toBe("the browser's default for its type");
  });

  it('prefers the model’s own measurement over its type’s votes', () => {
    const route = orderBackends(all, { ...none, modelMedians: { webgpu: 5, wasm: 25 }, typeVotes: { wasm: 9 } });
    expect(route.order[0]).toBe('webgpu');
  });

  it('moves backends with an open breaker last, whatever else says', () => {
    const route = orderBackends(all, {
      ...none,
      modelMedians: { webgpu: 5, wasm: 25 },
      distrusted: new Map([['webgpu', 12_300]]),
    });
    expect(route.order).toEqual(['webnn', 'wasm', 'webgpu']);
    expect(route.reason).toBe('measured fastest for this model (median webgpu 5.0 ms, wasm 25.0 ms); webgpu last: its breaker is open for 13 s more');
  });

  it('says an isolated breaker is isolated, and leaves the order alone when every backend is distrusted', () => {
    expect(orderBackends(all, { ...none, distrusted: new Map([['webgpu', Infinity]]) }).reason).toMatch(/webgpu last: its breaker is isolated/);
    const everyone = new Map([['webgpu', 1], ['webnn', 1], ['wasm', 1]] as const);
    expect(orderBackends(all, { ...none, distrusted: everyone }).order).toEqual(['webgpu', 'webnn', 'wasm']);
  });
});
