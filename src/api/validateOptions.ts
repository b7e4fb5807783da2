import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { validatePriority } from './options';
import type { GetModelOptions, RunOptions } from './types';

const MODEL_TYPES = ['text', 'vision', 'audio', 'multimodal'];

/** Rejects `getModel` options that cannot work, naming the field, the allowed values and the value. */
export function checkGetModelOptions(options: GetModelOptions): void {
  guard(() => {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`getModel(options): options must be an object, got ${String(options)}`);
    }
    if (!MODEL_TYPES.includes(options.type)) {
      throw new RangeError(`getModel: type must be one of ${MODEL_TYPES.join(', ')}, got ${JSON.stringify(options.type)}`);
    }
    if (typeof options.name !== 'string' || options.name === '') {
      throw new TypeError(`getModel: name must be a non-empty string, got ${JSON.stringify(options.name)}`);
    }
    if (!isSource(options.source)) {
      throw new TypeError(
        `getModel: source must be a URL, bytes, or a map of precision variants, got ${describe(options.source)}`,
      );
    }
    const { sha256 } = options;
    if (sha256 !== undefined && typeof sha256 !== 'string' && (typeof sha256 !== 'object' || sha256 === null)) {
      throw new TypeError('getModel: sha256 must be a hex string or a map of them by precision');
    }
    const priority = options.preferences?.priority;
    if (priority !== undefined) validatePriority(priority, 'getModel: preferences.priority');
  });
}

/** Rejects run options that cannot work. */
export function checkRunOptions(options: RunOptions): void {
  guard(() => {
    const { timeoutMs, signal } = options;
    if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
      throw new RangeError(`run: timeoutMs must be a number above 0, got ${String(timeoutMs)}`);
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError('run: signal must be an AbortSignal');
    }
  });
}

function isSource(source: unknown): boolean {
  if (typeof source === 'string') return source !== '';
  return typeof source === 'object' && source !== null;
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

function guard(check: () => void): void {
  try {
    check();
  } catch (error) {
    throw new AccelError((error as Error).message, {
      category: ErrorCategory.INVALID_INPUT,
      code: 'INVALID_OPTIONS',
      cause: error,
    });
  }
}
