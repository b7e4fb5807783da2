import { AccelError, isAccelError, type AccelErrorCode } from './AccelError';
import { ErrorCategory, type ErrorScope } from './ErrorCategory';
import type { Backend } from '../api/types';

/** Where in a connection's life an error was met; it shifts what an unknown message means. */
export type ErrorPhase = 'start' | 'capability' | 'fetch' | 'load' | 'run' | 'message';

/** What the classifier knows besides the error itself. */
export interface ClassifyContext {
  phase: ErrorPhase;
  backend?: Backend;
  connectionId?: string;
}

interface Rule {
  test: RegExp;
  category: ErrorCategory;
  code?: AccelErrorCode;
  scope?: ErrorScope;
  retryable?: boolean;
}

/**
 * Messages seen from onnxruntime-web 1.31, WebGPU and the WebAssembly runtime, in the order they
 * are tried. The first match wins, so caller mistakes are recognised before generic failures.
 */
const RULES: readonly Rule[] = [
  {
    test: /invalid dimensions for input|unexpected input data type|input '[^']*' is missing in 'feeds'|invalid rank for input|input name .* not found|invalid feed|data length|tensor's data|shape mismatch|invalid input shape/i,
    category: ErrorCategory.INVALID_INPUT,
    code: 'INVALID_FEEDS',
  },
  {
    // Only the page's feeds can fail to clone on their way to a connection (a function inside
    // an array, a buffer the caller detached meanwhile): the pool's own messages are plain data.
    test: /DataCloneError|could not be cloned/i,
    category: ErrorCategory.INVALID_INPUT,
    code: 'INVALID_FEEDS',
  },
  {
    test: /device (is |was )?lost|device.*destroyed|instance dropped|gpu device .*lost/i,
    category: ErrorCategory.BROWSER_CRASH,
    code: 'DEVICE_LOST',
  },
  {
    test: /bad_alloc|out of memory|array buffer allocation failed|memory access out of bounds|could not allocate|maximum call stack|cannot enlarge memory|allocation failed/i,
    category: ErrorCategory.OUT_OF_MEMORY,
  },
  {
    test: /protobuf parsing failed|failed to load model|invalid model|model_path|no graph|unsupported model ir version|is not a valid onnx|failed to load external data/i,
    category: ErrorCategory.MODEL_INCOMPATIBLE,
    code: 'INVALID_MODEL',
    scope: 'model',
  },
  {
    test: /failed to find kernel|could not find an implementation|not implemented|unsupported (op|operator|data type)|is not supported by|too many storage buffers/i,
    category: ErrorCategory.UNSUPPORTED_OPERATION,
    scope: 'model-on-backend',
  },
  {
    test: /no available backend|webnn is not supported|not supported on this platform|webgpu is not supported|no (gpu )?adapter|requestadapter|navigator\.ml|notsupportederror|backend not found/i,
    category: ErrorCategory.BROWSER_CAPABILITY,
    code: 'BACKEND_UNAVAILABLE',
  },
  { test: /timed? ?out|deadline/i, category: ErrorCategory.TIMEOUT },
];

const FALLBACK_BY_PHASE: Record<ErrorPhase, Omit<Rule, 'test'>> = {
  start: { category: ErrorCategory.INITIALIZATION },
  capability: { category: ErrorCategory.BROWSER_CAPABILITY, code: 'BACKEND_UNAVAILABLE' },
  fetch: { category: ErrorCategory.MODEL_INCOMPATIBLE, code: 'MODEL_FETCH_FAILED', scope: 'model' },
  load: { category: ErrorCategory.MODEL_INCOMPATIBLE, scope: 'model-on-backend' },
  run: { category: ErrorCategory.CONNECTION },
  message: { category: ErrorCategory.WEBSOCKET },
};

/**
 * Turns anything thrown into an {@link AccelError} with a category, scope and retryability,
 * keeping the original as `cause`. An {@link AccelError} passes through unchanged.
 */
export function classify(error: unknown, context: ClassifyContext): AccelError {
  if (isAccelError(error)) return error;

  const message = messageOf(error);
  const rule = ruleFor(error, message) ?? FALLBACK_BY_PHASE[context.phase];
  return new AccelError(message, {
    category: rule.category,
    code: rule.code,
    scope: rule.scope,
    retryable: rule.retryable,
    backend: context.backend,
    connectionId: context.connectionId,
    cause: error,
  });
}

function ruleFor(error: unknown, message: string): Omit<Rule, 'test'> | undefined {
  if (error instanceof RangeError && /memory|allocation|buffer/i.test(message)) {
    return { category: ErrorCategory.OUT_OF_MEMORY };
  }
  const name = error instanceof Error ? error.name : '';
  return RULES.find((rule) => rule.test.test(message) || (name !== '' && rule.test.test(name)));
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String((error as { message: unknown }).message);
  }
  return String(error);
}
