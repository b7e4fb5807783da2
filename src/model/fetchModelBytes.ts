import type { ModelBytesSource } from '../api/types';
import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { abortError } from '../errors/cancellation';
import { checkModelUrl, type UrlPolicy } from './checkModelUrl';
import { verifySha256 } from './verifySha256';

/** How far a download has come. */
export interface LoadProgress {
  loaded: number;
  /** From the response's Content-Length; unknown when the server does not say. */
  total: number | undefined;
}

/** How model bytes are fetched. */
export interface FetchModelOptions {
  fetch: typeof fetch;
  signal?: AbortSignal;
  onProgress?: (progress: LoadProgress) => void;
  /** The most bytes a model may have; the download stops as soon as it passes it. */
  maxBytes: number;
  /** The expected SHA-256 of the bytes, hex. */
  sha256?: string;
  policy: UrlPolicy;
}

/**
 * The model's bytes as a private copy: given bytes are copied so the caller may reuse its buffer,
 * URLs are fetched by the SDK itself (never handed to onnxruntime-web) so that bytes can be
 * checked and sent again to a replacement connection.
 */
export async function fetchModelBytes(
  source: ModelBytesSource,
  options: FetchModelOptions,
): Promise<Uint8Array> {
  const bytes = await download(source, options);
  if (options.sha256 !== undefined) await verifySha256(bytes, options.sha256, describeSource(source));
  return bytes;
}

async function download(
  source: ModelBytesSource,
  { fetch, signal, onProgress, maxBytes, policy }: FetchModelOptions,
): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer ? new Uint8Array(source.slice(0)) : new Uint8Array(source).slice();
    onProgress?.({ loaded: bytes.byteLength, total: bytes.byteLength });
    return checked(bytes, 'bytes');
  }

  const url = new URL(String(source), globalThis.location?.href);
  checkModelUrl(url, policy);
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
    return checked(await readBody(response, maxBytes, onProgress), url.href);
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

/** Reads a response's body chunk by chunk, reporting progress as it comes. */
async function readBody(
  response: Response,
  maxBytes: number,
  onProgress?: (p: LoadProgress) => void,
): Promise<Uint8Array> {
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  if (total !== undefined && total > maxBytes) throw tooLarge(total, maxBytes, response.url);
  if (response.body === null) return new Uint8Array(await response.arrayBuffer());

  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.byteLength;
    if (loaded > maxBytes) {
      // A server that lies about its length, or sends none, is cut off here, not at the end.
      await reader.cancel().catch(() => undefined);
      throw tooLarge(loaded, maxBytes, response.url);
    }
    chunks.push(value);
    onProgress?.({ loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(bytes: number, maxBytes: number, url: string): AccelError {
  return new AccelError(
    `The model from ${url} is over the ${(maxBytes / 2 ** 20).toFixed(1)} MiB limit (${bytes} bytes and counting); raise options.maxModelMb to allow it`,
    { category: ErrorCategory.RESOURCE, code: 'MODEL_TOO_LARGE', scope: 'model', retryable: false },
  );
}

function describeSource(source: ModelBytesSource): string {
  return typeof source === 'string' || source instanceof URL ? String(source) : 'bytes';
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
