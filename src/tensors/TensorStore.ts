import { Tensor } from 'onnxruntime-common';
import type { Connection } from '../connections/Connection';
import type { KeptTensorInfo, KeptTensorRef, WireTensor } from '../connections/protocol';
import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { disposedError } from '../errors/cancellation';
import type { Clock } from '../resilience/CircuitBreaker';
import { TensorHandle, type TensorOwner } from './TensorHandle';

/** What `stats().tensors` reports. */
export interface TensorStats {
  /** Handles alive now. */
  handles: number;
  /** Bytes kept inside connections now. */
  bytesKept: number;
  budgetBytes: number;
  /** Feeds that used a kept tensor on its own connection, without a copy. */
  reused: number;
  /** Feeds whose data moved from one connection to another (once per handle). */
  moved: number;
  /** Handles moved out of their connection to the page to stay within the budget. */
  spilled: number;
}

interface Residence {
  connection: Connection;
  /** The data on the page once read: after a move, a spill or an explicit read. */
  copy?: Promise<WireTensor>;
  /** False once the connection no longer holds it (spilled, or the connection ended). */
  resident: boolean;
}

/**
 * The tensors runs kept inside connections: where each lives, what it costs, and how it reaches
 * a run. Past the memory budget the least recently used are copied to the page and freed inside
 * their connection, so nothing a caller holds is lost to the budget.
 */
export class TensorStore implements TensorOwner {
  private readonly homes = new Map<TensorHandle, Residence>();
  private counters = { reused: 0, moved: 0, spilled: 0 };
  private disposed = false;

  constructor(
    private readonly budgetBytes: number,
    private readonly clock: Clock,
  ) {}

  /** A handle for a tensor a host kept. */
  adopt(connection: Connection, info: KeptTensorInfo): TensorHandle {
    const handle = new TensorHandle(this, info.handle, connection.id, info.type, info.dims, info.byteLength, info.location);
    handle.lastUsed = this.clock.now();
    this.homes.set(handle, { connection, resident: true });
    this.enforceBudget();
    return handle;
  }

  /** The connection holding the handle, when it still does. */
  residence(handle: TensorHandle): Connection | undefined {
    const home = this.homes.get(handle);
    return home?.resident === true && home.connection.state !== 'closed' ? home.connection : undefined;
  }

  /** How a run on `target` receives the handle: by reference at home, else as data (moved once). */
  async feedFor(handle: TensorHandle, target: Connection): Promise<WireTensor | KeptTensorRef> {
    const home = this.homeOf(handle);
    handle.lastUsed = this.clock.now();
    if (this.residence(handle) === target) {
      this.counters.reused += 1;
      return { handle: handle.id };
    }
    if (home.copy === undefined) this.counters.moved += 1;
    return this.copyOf(handle, home);
  }

  /** A fresh copy each time: the kept data must not change when a caller writes to a read. */
  async read(handle: TensorHandle): Promise<Tensor> {
    const wire = await this.copyOf(handle, this.homeOf(handle));
    return new Tensor(wire.type, (wire.data as Float32Array).slice(), wire.dims);
  }

  release(handle: TensorHandle): void {
    if (handle.refs <= 0) return;
    handle.refs = 0;
    const home = this.homes.get(handle);
    this.homes.delete(handle);
    if (home?.resident === true) home.connection.releaseTensors([handle.id]).catch(() => undefined);
  }

  /** Forgets every handle: the pool is gone, and its connections with it. */
  clear(): void {
    this.disposed = true;
    for (const handle of this.homes.keys()) handle.refs = 0;
    this.homes.clear();
  }

  stats(): TensorStats {
    return {
      handles: this.homes.size,
      bytesKept: this.bytesKept(),
      budgetBytes: this.budgetBytes,
      ...this.counters,
    };
  }

  private homeOf(handle: TensorHandle): Residence {
    const home = this.homes.get(handle);
    if (this.disposed) throw disposedError();
    if (home === undefined) {
      throw new AccelError('This tensor handle was released; keep it again with run(feeds, { keep })', {
        category: ErrorCategory.INVALID_INPUT,
        code: 'TENSOR_LOST',
      });
    }
    return home;
  }

  private copyOf(handle: TensorHandle, home: Residence): Promise<WireTensor> {
    if (home.copy !== undefined) return home.copy;
    if (this.residence(handle) === undefined) return Promise.reject(lostError(handle));
    const copy = home.connection.readTensor(handle.id, {});
    home.copy = copy;
    copy.catch(() => (home.copy = undefined));
    return copy;
  }

  private bytesKept(): number {
    let bytes = 0;
    for (const [handle, home] of this.homes) if (this.residenceOf(home)) bytes += handle.byteLength;
    return bytes;
  }

  private residenceOf(home: Residence): boolean {
    return home.resident && home.connection.state !== 'closed';
  }

  /** Spills the least recently used handles until the kept bytes fit the budget. */
  private enforceBudget(): void {
    let excess = this.bytesKept() - this.budgetBytes;
    if (excess <= 0) return;
    const byAge = [...this.homes].filter(([, home]) => this.residenceOf(home)).sort(([a], [b]) => a.lastUsed - b.lastUsed);
    for (const [handle, home] of byAge) {
      if (excess <= 0) break;
      excess -= handle.byteLength;
      this.spill(handle, home);
    }
  }

  private spill(handle: TensorHandle, home: Residence): void {
    home.resident = false;
    this.counters.spilled += 1;
    const copy = home.copy ?? home.connection.readTensor(handle.id, {});
    home.copy = copy;
    copy.then(
      () => home.connection.releaseTensors([handle.id]).catch(() => undefined),
      () => undefined,
    );
  }
}

function lostError(handle: TensorHandle): AccelError {
  return new AccelError(
    `Tensor ${handle.id} was kept on ${handle.connectionId}, which has ended; its data is gone`,
    { category: ErrorCategory.RESOURCE, code: 'TENSOR_LOST', scope: 'caller', retryable: false },
  );
}
