import { type ErrorCategory, type ErrorScope } from './ErrorCategory';
import type { Backend } from '../api/types';

/**
 * A finer, stable code for pool outcomes and well-known failures. The category decides recovery;
 * the code tells a program exactly which case it met.
 */
export type AccelErrorCode =
  | 'ABORTED'
  | 'DISPOSED'
  | 'DEADLINE_EXCEEDED'
  | 'CIRCUIT_OPEN'
  | 'QUEUE_FULL'
  | 'INTEGRITY_MISMATCH'
  | 'CONNECTION_LOST'
  | 'BACKEND_UNAVAILABLE'
  | 'NO_BACKEND'
  | 'INVALID_MODEL'
  | 'MODEL_FETCH_FAILED'
  | 'INVALID_FEEDS'
  | 'MODEL_RELEASED'
  | 'DEVICE_LOST'
  | 'HEARTBEAT_MISSED'
  | 'RESTARTED'
  | 'START_FAILED'
  | 'RECYCLED'
  | 'DRAINED'
  | 'TENSOR_LOST'
  | 'INVALID_OPTIONS'
  | 'URL_REFUSED'
  | 'MODEL_TOO_LARGE'
  | 'MESSAGE_TOO_LARGE'
  | 'FAULT_INJECTED'
  | 'UNCLASSIFIED';

/** Everything needed to build an {@link AccelError}. */
export interface AccelErrorInit {
  category: ErrorCategory;
  code?: AccelErrorCode;
  /** Whether retrying the same work may succeed. Defaults from the category. */
  retryable?: boolean;
  /** What the error is about. Defaults from the category. */
  scope?: ErrorScope;
  backend?: Backend;
  connectionId?: string;
  /** How many attempts the call made before giving up. */
  attempts?: number;
  /** For `CIRCUIT_OPEN`: how long until a trial call may be let through. */
  retryAfterMs?: number;
  cause?: unknown;
}

const BRAND = Symbol.for('webaccel.AccelError');

const DEFAULT_RETRYABLE: Record<ErrorCategory, boolean> = {
  CONNECTION: true,
  BROWSER_CRASH: true,
  OUT_OF_MEMORY: true,
  TIMEOUT: true,
  UNSUPPORTED_OPERATION: false,
  BROWSER_CAPABILITY: false,
  MODEL_INCOMPATIBLE: false,
  WEBSOCKET: true,
  RESOURCE: true,
  INITIALIZATION: true,
  INVALID_INPUT: false,
  CANCELLED: false,
};

const DEFAULT_SCOPE: Record<ErrorCategory, ErrorScope> = {
  CONNECTION: 'backend',
  BROWSER_CRASH: 'backend',
  OUT_OF_MEMORY: 'backend',
  TIMEOUT: 'backend',
  UNSUPPORTED_OPERATION: 'model-on-backend',
  BROWSER_CAPABILITY: 'environment',
  MODEL_INCOMPATIBLE: 'model-on-backend',
  WEBSOCKET: 'backend',
  RESOURCE: 'backend',
  INITIALIZATION: 'backend',
  INVALID_INPUT: 'caller',
  CANCELLED: 'caller',
};

/**
 * The one error type every webaccel call rejects with. It survives the trip across a worker or
 * iframe boundary with its category, code, scope and cause intact.
 */
export class AccelError extends Error {
  override readonly name: string = 'AccelError';
  readonly category: ErrorCategory;
  readonly code: AccelErrorCode;
  readonly retryable: boolean;
  readonly scope: ErrorScope;
  readonly backend: Backend | undefined;
  readonly connectionId: string | undefined;
  readonly attempts: number;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, init: AccelErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.category = init.category;
    this.code = init.code ?? 'UNCLASSIFIED';
    this.retryable = init.retryable ?? DEFAULT_RETRYABLE[init.category];
    this.scope = init.scope ?? DEFAULT_SCOPE[init.category];
    this.backend = init.backend;
    this.connectionId = init.connectionId;
    this.attempts = init.attempts ?? 1;
    this.retryAfterMs = init.retryAfterMs;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A copy with some fields replaced; the stack and cause are kept. */
  with(changes: Partial<AccelErrorInit>, message: string = this.message): AccelError {
    const copy = new AccelError(message, { ...this.toInit(), ...changes });
    copy.stack = this.stack;
    return copy;
  }

  /** The fields this error was built from. */
  toInit(): AccelErrorInit {
    return {
      category: this.category,
      code: this.code,
      retryable: this.retryable,
      scope: this.scope,
      backend: this.backend,
      connectionId: this.connectionId,
      attempts: this.attempts,
      retryAfterMs: this.retryAfterMs,
      cause: this.cause,
    };
  }
}

/**
 * Whether `value` is an {@link AccelError}, even one built by another copy of this library
 * (a second bundle, another realm).
 */
export function isAccelError(value: unknown): value is AccelError {
  return typeof value === 'object' && value !== null && BRAND in value;
}
