import type { ModelBytesSource, ModelSource, Precision } from '../api/types';

/** Precisions from largest to smallest. */
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'q8', 'q4'];

/** A source narrowed to one variant. */
export interface SelectedVariant {
  precision: Precision | undefined;
  source: ModelBytesSource;
}

/** Whether a source is a map of precision variants rather than a single model. */
export function isVariantMap(
  source: ModelSource,
): source is Partial<Record<Precision, ModelBytesSource>> {
  return (
    typeof source === 'object' &&
    !(source instanceof URL) &&
    !(source instanceof ArrayBuffer) &&
    !ArrayBuffer.isView(source)
  );
}

/**
 * Picks the variant to load: the one asked for, else `fp32`, else the first listed (the last,
 * the smallest, when `preferSmallest`, as in low-memory mode). Throws a `RangeError` naming the
 * variants when the one asked for is missing.
 */
export function selectVariant(
  source: ModelSource,
  precision?: Precision,
  preferSmallest = false,
): SelectedVariant {
  // A single model has no variants to pick from, whatever precision was asked for.
  if (!isVariantMap(source)) return { precision: undefined, source };

  const listed = PRECISIONS.filter((p) => source[p] !== undefined);
  if (listed.length === 0) {
    throw new TypeError(`source lists no variants; use keys among ${PRECISIONS.join(', ')}`);
  }
  const fallback = preferSmallest ? listed[listed.length - 1] : listed.includes('fp32') ? 'fp32' : listed[0];
  const chosen = precision ?? fallback;
  const bytes = chosen === undefined ? undefined : source[chosen];
  if (bytes === undefined) {
    throw new RangeError(`preferences.precision is ${String(precision)}, but source lists only ${listed.join(', ')}`);
  }
  return { precision: chosen, source: bytes };
}
