import type { Backend, ConnectionKind } from '../api/types';
import { parseSnapshot } from '../resilience/CircuitBreaker';
import { isCount, isPlainRecord } from '../util/plainData';
import {
  MAX_SAMPLES,
  MODEL_TYPES,
  healthKey,
  performanceKey,
  type BackendHealthRecord,
  type FailureRecord,
  type Fingerprint,
  type PerformanceRecord,
} from './records';

/**
 * How far ahead of the page's clock a stored time may be and still be believed: another tab's
 * clock, or this one before an adjustment, may run a little ahead.
 */
export const CLOCK_SKEW_MS = 60_000;

const BACKENDS: readonly Backend[] = ['webgpu', 'webnn', 'wasm'];
const KINDS: readonly ConnectionKind[] = ['worker', 'iframe'];
const PERFORMANCE_FIELDS = [
  'key', 'model', 'modelType', 'backend', 'kind', 'count', 'errors', 'samples', 'p50', 'p95',
  'lastSeen', 'fingerprint',
] as const;
const HEALTH_FIELDS = [
  'key', 'kind', 'backend', 'trips', 'crashes', 'breaker', 'lastSeen', 'fingerprint',
] as const;
const FAILURE_FIELDS = ['id', 'category', 'code', 'message', 'model', 'backend', 'kind', 'at'] as const;
const FINGERPRINT_FIELDS = ['runtime', 'browser', 'browserMajor', 'adapter'] as const;

type Fields = Record<string, unknown>;

/**
 * A stored performance record, checked field by field, or null when anything is wrong with it:
 * a missing or mistyped field, a count below zero, a time not finite or more than
 * {@link CLOCK_SKEW_MS} after `now`, an unknown backend, kind or model type, a key that does
 * not match the fields, or an own `__proto__`, `constructor` or `prototype` property. The result
 * is a new object built from the checked fields only.
 */
export function parsePerformanceRecord(value: unknown, now: number): PerformanceRecord | null {
  if (!isPlainRecord(value)) return null;
  const fields = ownFields(value, PERFORMANCE_FIELDS);
  const { key, model, modelType, backend, kind, count, errors, samples, p50, p95, lastSeen } = fields;
  const fingerprint = parseFingerprint(fields.fingerprint);

  if (fingerprint === null || typeof model !== 'string' || model === '') return null;
  if (!isOneOf(modelType, MODEL_TYPES) || !isOneOf(backend, BACKENDS) || !isOneOf(kind, KINDS)) {
    return null;
  }
  if (key !== performanceKey(model, backend, kind, fingerprint.browser)) return null;
  if (!isCount(count) || !isCount(errors) || !isDuration(p50) || !isDuration(p95)) return null;
  if (!isSamples(samples) || !isTime(lastSeen, now)) return null;
  return {
    key,
    model,
    modelType,
    backend,
    kind,
    count,
    errors,
    samples: [...samples],
    p50,
    p95,
    lastSeen,
    fingerprint,
  };
}

/**
 * A stored backend health record, or null, by the rules of {@link parsePerformanceRecord}. Its
 * breaker snapshot must be null or well-formed (`parseSnapshot`): routing and `health()` read its
 * state and open-until time directly, long before any breaker is restored from it.
 */
export function parseHealthRecord(value: unknown, now: number): BackendHealthRecord | null {
  if (!isPlainRecord(value)) return null;
  const fields = ownFields(value, HEALTH_FIELDS);
  const { key, kind, backend, trips, crashes, breaker, lastSeen } = fields;
  const fingerprint = parseFingerprint(fields.fingerprint);

  if (fingerprint === null || !isOneOf(backend, BACKENDS) || !isOneOf(kind, KINDS)) return null;
  if (key !== healthKey(kind, backend)) return null;
  if (!isCount(trips) || !isCount(crashes) || !isTime(lastSeen, now)) return null;
  const snapshot = breaker === null ? null : parseSnapshot(breaker);
  if (breaker !== null && snapshot === null) return null;
  return {
    key,
    kind,
    backend,
    trips,
    crashes,
    breaker: snapshot,
    lastSeen,
    fingerprint,
  };
}

/**
 * A stored failure, or null, by the rules of {@link parsePerformanceRecord}. Its `id`, when
 * present, is a positive integer (the store's generated key); `model`, `backend` and `kind` are
 * optional and left out of the result when absent.
 */
export function parseFailureRecord(value: unknown, now: number): FailureRecord | null {
  if (!isPlainRecord(value)) return null;
  const { id, category, code, message, model, backend, kind, at } = ownFields(value, FAILURE_FIELDS);

  if (typeof category !== 'string' || typeof code !== 'string' || typeof message !== 'string') {
    return null;
  }
  if (id !== undefined && !(isCount(id) && id > 0)) return null;
  if (model !== undefined && typeof model !== 'string') return null;
  if (backend !== undefined && !isOneOf(backend, BACKENDS)) return null;
  if (kind !== undefined && !isOneOf(kind, KINDS)) return null;
  if (!isTime(at, now)) return null;
  return {
    ...(id === undefined ? {} : { id }),
    category,
    code,
    message,
    ...(model === undefined ? {} : { model }),
    ...(backend === undefined ? {} : { backend }),
    ...(kind === undefined ? {} : { kind }),
    at,
  };
}

function parseFingerprint(value: unknown): Fingerprint | null {
  if (!isPlainRecord(value)) return null;
  const { runtime, browser, browserMajor, adapter } = ownFields(value, FINGERPRINT_FIELDS);

  if (typeof runtime !== 'string' || typeof browser !== 'string' || typeof adapter !== 'string') {
    return null;
  }
  if (!isCount(browserMajor)) return null;
  return { runtime, browser, browserMajor, adapter };
}

/** The named fields that are the object's own; an inherited one reads as absent. */
function ownFields<K extends string>(value: Fields, names: readonly K[]): Record<K, unknown> {
  const fields = {} as Record<K, unknown>;
  for (const name of names) fields[name] = Object.hasOwn(value, name) ? value[name] : undefined;
  return fields;
}

function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isSamples(value: unknown): value is number[] {
  // Spread first: `every` skips the holes of a sparse array.
  return Array.isArray(value) && value.length <= MAX_SAMPLES && [...value].every(isDuration);
}

/** A clock time not before the epoch and not after `now` by more than the allowed skew. */
function isTime(value: unknown, now: number): value is number {
  return isDuration(value) && value <= now + CLOCK_SKEW_MS;
}
