import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import type { ModelInfo, ValueInfo } from '../connections/protocol';
import { elementCount } from '../connections/tensorWire';
import { TensorHandle } from '../tensors/TensorHandle';

/** Throws unless every name in `keep` is one of the model's outputs. */
export function validateKeep(keep: unknown, info: ModelInfo): void {
  if (keep === undefined) return;
  const outputs = info.outputs.map((o) => o.name);
  if (!Array.isArray(keep)) throw invalid(`keep must be an array of output names among ${quoted(outputs)}`);
  for (const name of keep) {
    if (!outputs.includes(name)) throw invalid(`keep names '${String(name)}', but the model's outputs are ${quoted(outputs)}`);
  }
}

/**
 * Checks feeds against the model's inputs before anything crosses a thread: names, element type,
 * rank, fixed dimensions and data length. Throws `INVALID_INPUT` naming what to change.
 */
export function validateFeeds(feeds: unknown, info: ModelInfo): void {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds) || 'dims' in feeds) {
    throw invalid(`feeds must be an object of tensors by input name, got ${describe(feeds)}`);
  }

  const expected = info.inputs.map((input) => input.name);
  for (const name of Object.keys(feeds)) {
    if (!expected.includes(name)) {
      throw invalid(`Unknown input '${name}'; the model takes ${quoted(expected)}`);
    }
  }
  for (const input of info.inputs) {
    const tensor = (feeds as Record<string, unknown>)[input.name];
    if (tensor === undefined) {
      throw invalid(`Input '${input.name}' is missing; the model takes ${quoted(expected)}`);
    }
    validateTensor(tensor, input);
  }
}

function validateTensor(tensor: unknown, input: ValueInfo): void {
  if (tensor instanceof TensorHandle) {
    if (tensor.released) throw invalid(`Input '${input.name}' is a released tensor handle`);
    if (input.type !== undefined && tensor.type !== input.type) {
      throw invalid(`Input '${input.name}' must be ${input.type}, got a ${tensor.type} handle`);
    }
    checkShape(input, [...tensor.dims]);
    return;
  }
  const t = tensor as { type?: unknown; dims?: unknown; data?: unknown };
  if (typeof t !== 'object' || t === null || !Array.isArray(t.dims) || typeof t.type !== 'string') {
    throw invalid(`Input '${input.name}' must be a tensor with type, data and dims, got ${describe(tensor)}`);
  }
  if (input.type !== undefined && t.type !== input.type) {
    throw invalid(`Input '${input.name}' must be ${input.type}, got ${t.type}`);
  }

  const dims = t.dims as unknown[];
  if (!dims.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw invalid(`Input '${input.name}' has invalid dims [${dims.join(', ')}]`);
  }
  checkShape(input, dims as number[]);
  checkLength(input.name, t.data, elementCount(dims as number[]));
}

function checkShape(input: ValueInfo, dims: number[]): void {
  const shape = input.shape;
  if (shape === undefined) return;
  if (dims.length !== shape.length) {
    throw invalid(`Input '${input.name}' must have rank ${shape.length} [${shape.join(', ')}], got [${dims.join(', ')}]`);
  }
  shape.forEach((want, axis) => {
    if (typeof want === 'number' && want >= 0 && dims[axis] !== want) {
      throw invalid(`Input '${input.name}' must have dimension ${want} on axis ${axis} ([${shape.join(', ')}]), got [${dims.join(', ')}]`);
    }
  });
}

function checkLength(name: string, data: unknown, count: number): void {
  const length = Array.isArray(data) || ArrayBuffer.isView(data) ? (data as { length: number }).length : undefined;
  if (length === undefined) throw invalid(`Input '${name}' has no data array`);
  if (length !== count) {
    throw invalid(`Input '${name}' holds ${length} elements, but its dims need ${count}`);
  }
}

function invalid(message: string): AccelError {
  return new AccelError(message, { category: ErrorCategory.INVALID_INPUT, code: 'INVALID_FEEDS' });
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
