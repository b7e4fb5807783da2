import type { Tensor } from 'onnxruntime-common';

/** What a handle needs from the store that made it. */
export interface TensorOwner {
  read(handle: TensorHandle): Promise<Tensor>;
  release(handle: TensorHandle): void;
}

/**
 * An output kept inside the connection that computed it (on the GPU where the backend allows),
 * instead of copied to the page. Feed it to a later run: on the same connection it is used
 * without a copy; on another, its data moves once. Each handle holds memory there until
 * `release()`, or until the pool's tensor budget moves it out (least recently used first).
 */
export class TensorHandle {
  /** @internal */
  refs = 1;
  /** @internal */
  lastUsed = 0;

  /** @internal */
  constructor(
    private readonly owner: TensorOwner,
    /** @internal The id the host knows it by. */
    readonly id: string,
    /** The connection that holds it. */
    readonly connectionId: string,
    readonly type: Tensor.Type,
    readonly dims: readonly number[],
    readonly byteLength: number,
    /** Where the host keeps it: `cpu`, or `gpu-buffer` on WebGPU. */
    readonly location: string,
  ) {}

  /** Whether `release()` was called (or the pool disposed). */
  get released(): boolean {
    return this.refs <= 0;
  }

  /** Copies the data to the page as a tensor; the handle stays usable. */
  read(): Promise<Tensor> {
    return this.owner.read(this);
  }

  /** Frees the tensor inside its connection. Later use rejects with `INVALID_INPUT`. */
  release(): void {
    this.owner.release(this);
  }
}

/** Whether `value` is a {@link TensorHandle}. */
export function isTensorHandle(value: unknown): value is TensorHandle {
  return value instanceof TensorHandle;
}
