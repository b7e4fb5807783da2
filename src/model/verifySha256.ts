import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';

/**
 * Checks the bytes against an expected SHA-256 (hex, any case) before any connection sees them.
 * A mismatch is `MODEL_INCOMPATIBLE` with code `INTEGRITY_MISMATCH`, scoped to the model, so it
 * is neither retried nor cached.
 */
export async function verifySha256(bytes: Uint8Array, expected: string, from: string): Promise<void> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  const actual = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  if (actual === expected.trim().toLowerCase()) return;
  throw new AccelError(`The model from ${from} has SHA-256 ${actual}, not the expected ${expected}`, {
    category: ErrorCategory.MODEL_INCOMPATIBLE,
    code: 'INTEGRITY_MISMATCH',
    scope: 'model',
    retryable: false,
  });
}
