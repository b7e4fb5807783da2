import { PROTOTYPE_KEYS } from './prototypeKeys';

/**
 * Whether `value` is an object literal (or a prototype-less one) with no own key that could
 * reach a prototype: data from storage or another realm may be read field by field only then.
 */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);

  if (proto !== Object.prototype && proto !== null) return false;
  return !PROTOTYPE_KEYS.some((key) => Object.hasOwn(value, key));
}

/** Whether `value` is a whole number from 0 up, safe to count with. */
export function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
