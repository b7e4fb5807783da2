import type { ValueInfo } from '../connections/protocol';
import type { ModelEntry } from '../model/ModelEntry';
import type { Backend, Feeds, KeptResults, ModelType, Precision, Results, RunOptions } from './types';

/** What a handle needs from the pool that made it. */
export interface ModelOwner {
  run(entry: ModelEntry, feeds: Feeds, options?: RunOptions): Promise<KeptResults>;
  release(entry: ModelEntry): void;
}

/**
 * A loaded model. The pool returns the same handle each time the same model is asked for, and
 * counts references: each `getModel` is balanced by one `release()`.
 */
export class ModelHandle {
  /** @internal */
  constructor(
    /** @internal */
    readonly owner: ModelOwner,
    /** @internal */
    readonly entry: ModelEntry,
  ) {}

  get name(): string {
    return this.entry.name;
  }

  get type(): ModelType {
    return this.entry.type;
  }

  /** The backend that actually runs the model. */
  get backend(): Backend {
    return this.entry.backend ?? 'wasm';
  }

  get precision(): Precision | undefined {
    return this.entry.precision;
  }

  get inputs(): readonly ValueInfo[] {
    return this.entry.info?.inputs ?? [];
  }

  get outputs(): readonly ValueInfo[] {
    return this.entry.info?.outputs ?? [];
  }

  get inputNames(): string[] {
    return this.inputs.map((input) => input.name);
  }

  get outputNames(): string[] {
    return this.outputs.map((output) => output.name);
  }

  /**
   * Runs the model. Resolves with output tensors by name, or rejects with an `AccelError`:
   * `INVALID_INPUT` for feeds that do not fit the model, `TIMEOUT` past the deadline, `CANCELLED`
   * when the signal aborts or the pool is disposed.
   */
  run(feeds: Feeds, options?: RunOptions & { keep?: undefined }): Promise<Results>;
  /** Runs the model and keeps the outputs named in `keep` inside the connection as handles. */
  run(feeds: Feeds, options: RunOptions & { keep: readonly string[] }): Promise<KeptResults>;
  run(feeds: Feeds, options?: RunOptions): Promise<KeptResults> {
    return this.owner.run(this.entry, feeds, options);
  }

  /** Gives back one reference; the model is unloaded when none remain. */
  release(): void {
    this.owner.release(this.entry);
  }
}
