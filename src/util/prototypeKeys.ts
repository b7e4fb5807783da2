/**
 * Keys that reach an object's prototype when copied by assignment (`Object.assign`, a naive
 * merge). A message from another realm that carries one as its own key is refused before any
 * code can copy it.
 */
export const PROTOTYPE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** Whether `value` has one of {@link PROTOTYPE_KEYS} as an own key. */
export function hasPrototypeKey(value: object): boolean {
  return Object.keys(value).some((key) => PROTOTYPE_KEYS.includes(key));
}
