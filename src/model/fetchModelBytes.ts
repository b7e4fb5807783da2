import type { ModelBytesSource } from '../api/types';
import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { abortError } from '../connections/Connection';

/** How model bytes are fetched. */
export interface FetchModelOptions {
  fetch: typeof fetch;
  signal?: AbortSignal;
}

/**
 * The model's bytes as a private copy: given bytes are copied so the caller may reuse its buffer,
 * URLs are fetched by the SDK itself (never handed to onnxruntime-web) so that bytes can be
 * checked and sent again to a replacement connection.
 */
export async function fetchModelBytes(
  source: ModelBytesSource,
  { fetch, signal }: FetchModelOptions,
): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) return checked(new Uint8Array(source.slice(0)), 'bytes');
  if (ArrayBuffer.isView(source)) return checked(new Uint8Array(source).slice(), 'bytes');

  const url = new URL(String(source), globalThis.location?.href);
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal?.aborted === true) throw abortError(signal);
    throw new AccelError(`Could not fetch the model from ${url.href}: ${String(error)}`, {
      category: ErrorCategory.CONNECTION,
      code: 'MODEL_FETCH_FAILED',
      scope: 'environment',
      cause: error,
    });
  }
  if (!response.ok) {
    throw new AccelError(`Fetching the model from ${url.href} answered ${response.status}`, {
      category: ErrorCategory.INITIALIZATION,
      code: 'MODEL_FETCH_FAILED',
      scope: 'model',
      retryable: response.status >= 500,
    });
  }
  try {
    return checked(new Uint8Array(await response.arrayBuffer()), url.href);
  } catch (error) {
    if (signal?.aborted === true) throw abortError(signal);
    if (error instanceof AccelError) throw error;
    throw new AccelError(`The model download from ${url.href} broke off: ${String(error)}`, {
      category: ErrorCategory.CONNECTION,
      code: 'MODEL_FETCH_FAILED',
      scope: 'environment',
      cause: error,
    });
  }
}

/** Refuses bytes that cannot be a model, before any connection sees them. */
function checked(bytes: Uint8Array, from: string): Uint8Array {
  if (bytes.byteLength === 0) throw invalidModel(`The model from ${from} is empty`);
  if (looksLikeMarkup(bytes)) {
    throw invalidModel(`The model from ${from} is an HTML or XML page, not an ONNX model`);
  }
  return bytes;
}

function looksLikeMarkup(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  return head.startsWith('<!doctype') || head.startsWith('<html') || head.startsWith('<?xml');
}

function invalidModel(message: string): AccelError {
  return new AccelError(message, {
    category: ErrorCategory.MODEL_INCOMPATIBLE,
    code: 'INVALID_MODEL',
    scope: 'model',
  });
}
