import type { HealthHistory } from '../history/HealthHistory';
import type { ModelEntry } from '../model/ModelEntry';
import type { ConnectionPool } from '../pool/ConnectionPool';
import type { RecoveryCounters } from '../pool/CallExecutor';
import type { Slot } from '../pool/Slot';
import type { TensorStats } from '../tensors/TensorStore';
import type { ConnectionHealth, ConnectionStats, ModelStats, PoolHealth, PoolStats } from './stats';

/** `pool.stats()`, built from the pool's parts. */
export function statsOf(
  pool: ConnectionPool,
  models: Iterable<ModelEntry>,
  queued: number,
  tensors: TensorStats,
): PoolStats {
  const connections = pool.allSlots().map((slot) => slotStats(slot, pool));
  return {
    connections,
    models: [...models].map(modelStats),
    capabilityFailures: pool.capabilityFailures,
    totalRuns: connections.reduce((sum, c) => sum + c.runs, 0),
    totalErrors: connections.reduce((sum, c) => sum + c.errors, 0),
    queued,
    tensors,
    forgedMessages: pool.forgedMessages,
  };
}

/** `pool.health()`, built from the pool's parts. */
export function healthOf(pool: ConnectionPool, counters: RecoveryCounters, history: HealthHistory): PoolHealth {
  const slots = pool.allSlots();
  const connections: Record<string, ConnectionHealth> = {};
  for (const slot of slots) connections[slot.id] = slotHealth(slot);
  // A backend missing from this browser is no connection at all; it does not lift the average.
  const usable = slots.filter((slot) => pool.missingReason(slot.backend) === undefined);
  const scores = usable.map((slot) => slot.health.score());
  const states = Object.values(connections).map((c) => c.circuitState);
  return {
    overallHealthScore: scores.length === 0 ? 100 : round(scores.reduce((a, b) => a + b, 0) / scores.length),
    openCircuitCount: states.filter((s) => s === 'OPEN').length,
    halfOpenCircuitCount: states.filter((s) => s === 'HALF_OPEN').length,
    connections,
    recoveryAttempts: { ...counters.recoveryAttempts },
    errorCategories: { ...counters.errorCategories },
    history: history.health(),
    recommendations: history.recommendations(),
  };
}

function slotStats(slot: Slot, pool: ConnectionPool): ConnectionStats {
  const connection = slot.connection;
  const gpu = connection?.capabilities?.webgpu;
  return {
    id: slot.id,
    kind: slot.kind,
    backend: slot.backend,
    state: pool.missingReason(slot.backend) === undefined ? slot.state : 'unavailable',
    incarnations: slot.incarnations,
    runs: slot.runs,
    errors: slot.errors,
    errorRate: round(rate(slot), 1000),
    inFlight: slot.inFlight,
    models: slot.live?.models.size ?? 0,
    circuitState: slot.breaker.state,
    healthScore: slot.health.score(),
    pingMs: roundOrUndefined(connection?.lastPingMs),
    memoryBytes: connection?.memoryBytes,
    droppedMessages: connection?.droppedMessages ?? 0,
    adapter:
      slot.backend === 'webgpu' && gpu?.available === true
        ? `${gpu.vendor ?? '?'} ${gpu.architecture ?? ''}`.trim()
        : undefined,
  };
}

function slotHealth(slot: Slot): ConnectionHealth {
  return {
    healthScore: slot.health.score(),
    kind: slot.kind,
    backend: slot.backend,
    circuitState: slot.breaker.state,
    errorRate: round(rate(slot), 1000),
    factors: slot.health.factors(),
    retryAfterMs: Number.isFinite(slot.breaker.retryAfterMs) ? slot.breaker.retryAfterMs : -1,
    trips: slot.breaker.trips,
  };
}

function modelStats(m: ModelEntry): ModelStats {
  return {
    name: m.name,
    type: m.type,
    backend: m.backend,
    lastBackend: m.lastBackend,
    precision: m.precision,
    references: m.references,
    runs: m.runs,
    errors: m.errors,
    loadMs: roundOrUndefined(m.info?.loadMs),
    warmupMs: roundOrUndefined(m.warmupMs),
    medianRunMs: roundOrUndefined(m.medianRunMs()),
    fallbacks: m.fallbacks.map((f) => ({ ...f })),
    route: { order: [...m.priority], reason: m.routeReason },
  };
}

function rate(slot: Slot): number {
  const calls = slot.runs + slot.errors;
  return calls === 0 ? 0 : slot.errors / calls;
}

function round(value: number, scale = 10): number {
  return Math.round(value * scale) / scale;
}

function roundOrUndefined(value: number | undefined): number | undefined {
  return value === undefined ? undefined : round(value);
}
