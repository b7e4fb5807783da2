import type { Backend, BackendFailure, ModelType, PassThroughSessionOptions, Precision } from '../api/types';
import type { Connection } from '../connections/Connection';
import type { ModelInfo } from '../connections/protocol';

const RECENT_RUNS = 64;

/** What the pool knows of one model: where it runs, its bytes, its references and counters. */
export class ModelEntry {
  bytes: Uint8Array | undefined;
  backend: Backend | undefined;
  connection: Connection | undefined;
  info: ModelInfo | undefined;
  references = 1;
  runs = 0;
  errors = 0;
  readonly fallbacks: BackendFailure[] = [];
  private readonly recentRunMs: number[] = [];

  constructor(
    readonly id: string,
    readonly key: string,
    readonly name: string,
    readonly type: ModelType,
    readonly precision: Precision | undefined,
    readonly priority: readonly Backend[],
    readonly sessionOptions: PassThroughSessionOptions | undefined,
  ) {}

  get released(): boolean {
    return this.references <= 0;
  }

  recordRun(runMs: number): void {
    this.runs += 1;
    this.recentRunMs.push(runMs);
    if (this.recentRunMs.length > RECENT_RUNS) this.recentRunMs.shift();
  }

  medianRunMs(): number | undefined {
    if (this.recentRunMs.length === 0) return undefined;
    const sorted = [...this.recentRunMs].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1
      ? sorted[middle]
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  }
}
