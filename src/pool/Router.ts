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
