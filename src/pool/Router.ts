import type { Backend } from '../api/types';
import type { Slot } from './Slot';

/**
 * Orders a backend's slots for a call. The connection holding the call's kept feeds comes first
 * (no copy); then a breaker whose reset time has passed, so that its trials run and a recovered
 * connection is trusted again; then a connection that already holds the model, then the
 * healthier, then the less busy.
 */
export function rankSlots(slots: readonly Slot[], modelId: string, homeId?: string): Slot[] {
  return [...slots].sort(
    (a, b) =>
      Number(b.id === homeId) - Number(a.id === homeId) ||
      Number(trialDue(b)) - Number(trialDue(a)) ||
      Number(b.holds(modelId)) - Number(a.holds(modelId)) ||
      b.health.score() - a.health.score() ||
      a.inFlight - b.inFlight,
  );
}

/** Whether the slot's breaker would let a trial through now. */
export function trialDue(slot: Slot): boolean {
  const { state, retryAfterMs } = slot.breaker;
  return state === 'HALF_OPEN' || (state === 'OPEN' && retryAfterMs === 0);
}

/** What history and the browser say about the backends of one model, for {@link orderBackends}. */
export interface BackendEvidence {
  /** Median run time of this model per backend, from fresh measurements. */
  modelMedians: Partial<Record<Backend, number>>;
  /** Per backend, how many other models of the same type ran fastest on it. */
  typeVotes: Partial<Record<Backend, number>>;
  /** The browser's default backend for the model's type, if it has one. */
  prior: Backend | undefined;
  /** Backends whose breaker is open with time left (in this pool, restored, or tripped in another page). */
  distrusted: ReadonlyMap<Backend, number>;
}

/** The order a model tries its backends in, and why, in a few words. */
export interface Route {
  order: Backend[];
  reason: string;
}

/**
 * Orders a model's backends: the one measured fastest for this model first; failing that the
 * one that won most often for its model type; failing that the browser's default for the type;
 * else the priority as given. Backends with an open breaker go last, whatever else says.
 */
export function orderBackends(priority: readonly Backend[], evidence: BackendEvidence): Route {
  const { first, why } = pickFirst(priority, evidence);
  let order = first === undefined ? [...priority] : [first, ...priority.filter((b) => b !== first)];
  const reasons = [why];

  const distrusted = order.filter((b) => evidence.distrusted.has(b));
  if (distrusted.length > 0 && distrusted.length < order.length) {
    order = [...order.filter((b) => !evidence.distrusted.has(b)), ...distrusted];
    for (const backend of distrusted) {
      const wait = evidence.distrusted.get(backend) ?? 0;
      const open = Number.isFinite(wait) ? `open for ${Math.ceil(wait / 1000)} s more` : 'isolated';
      reasons.push(`${backend} last: its breaker is ${open}`);
    }
  }
  return { order, reason: reasons.join('; ') };
}

function pickFirst(priority: readonly Backend[], evidence: BackendEvidence): { first?: Backend; why: string } {
  const measured = priority.filter((b) => evidence.modelMedians[b] !== undefined);
  if (measured.length >= 2) {
    const ms = (b: Backend) => evidence.modelMedians[b] ?? Infinity;
    const fastest = measured.reduce((best, b) => (ms(b) < ms(best) ? b : best));
    const figures = measured.map((b) => `${b} ${ms(b).toFixed(1)} ms`).join(', ');
    return { first: fastest, why: `measured fastest for this model (median ${figures})` };
  }
  const voted = priority.filter((b) => (evidence.typeVotes[b] ?? 0) > 0);
  if (voted.length > 0) {
    const votes = (b: Backend) => evidence.typeVotes[b] ?? 0;
    const winner = voted.reduce((best, b) => (votes(b) > votes(best) ? b : best));
    const total = voted.reduce((sum, b) => sum + votes(b), 0);
    return { first: winner, why: `fastest for ${votes(winner)} of ${total} measured models of its type` };
  }
  if (evidence.prior !== undefined && priority.includes(evidence.prior)) {
    return { first: evidence.prior, why: `the browser's default for its type` };
  }
  return { why: 'priority as given' };
}
