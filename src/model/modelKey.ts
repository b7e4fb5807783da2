import type { Backend, ModelBytesSource, Precision } from '../api/types';

const byteSourceIds = new WeakMap<object, number>();
let nextByteSourceId = 0;

/**
 * Identifies a model in the pool: the same name, source, precision, priority and expected hash
 * give the same key. Given bytes are identified by their object, URLs by their absolute form.
 */
export function modelKey(
  name: string,
  source: ModelBytesSource,
  precision: Precision | undefined,
  priority: readonly Backend[],
  sha256?: unknown,
): string {
  return JSON.stringify([name, sourceId(source), precision ?? null, priority, sha256 ?? null]);
}

function sourceId(source: ModelBytesSource): string {
  if (typeof source === 'string' || source instanceof URL) {
    return new URL(String(source), globalThis.location?.href).href;
  }
  const buffer = ArrayBuffer.isView(source) ? source.buffer : source;
  let id = byteSourceIds.get(buffer);
  if (id === undefined) byteSourceIds.set(buffer, (id = ++nextByteSourceId));
  return `bytes:${id}`;
}
