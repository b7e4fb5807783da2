import type {
  Backend,
  BackendFailure,
  ConnectionKind,
  Feeds,
  ModelSource,
  ModelType,
  PassThroughSessionOptions,
  Precision,
} from '../api/types';
import type { ModelInfo } from '../connections/protocol';
import { isVariantMap, PRECISIONS } from './selectVariant';
import type { LoadProgress } from './fetchModelBytes';

const RECENT_RUNS = 64;

/**
 * What the pool knows of one model: its source and fetched bytes (kept to load it again on a
 * replacement connection), where it runs, its references and counters.
 */
export class ModelEntry {
  /** The backend the model was loaded on; calls start there. */
  backend: Backend | undefined;
  /** The backend the last successful call actually ran on. */
  lastBackend: Backend | undefined;
  info: ModelInfo | undefined;
  references = 1;
  /** Calls running now; a released model is unloaded once they finish. */
  inFlight = 0;
  /** Called when the last call in flight finishes. */
  onIdle: (() => void) | undefined;
  runs = 0;
  errors = 0;
  readonly fallbacks: BackendFailure[] = [];
  /** Callers following the download. */
  readonly progressListeners = new Set<(progress: LoadProgress) => void>();
  /** How long the warm-up run took, when there was one. */
  warmupMs: number | undefined;
  /** Why the backends are tried in this order: history, the browser's default, or as given. */
  routeReason = 'priority as given';
  private readonly bytes = new Map<string, Promise<Uint8Array>>();
  private readonly recentRunMs: number[] = [];

  constructor(
    readonly id: string,
    readonly key: string,
    readonly name: string,
    readonly type: ModelType,
    readonly source: ModelSource,
    readonly precision: Precision | undefined,
    /** Backends in the order they are tried; history may reorder it before the load. */
    public priority: readonly Backend[],
    readonly sessionOptions: PassThroughSessionOptions | undefined,
    /** Run once at load with these feeds (or zeros, for `true`) to compile shaders early. */
    readonly warmup: boolean | Feeds = false,
    /** Expected SHA-256 of the bytes, or one per variant. */
    readonly sha256: string | Partial<Record<Precision, string>> | undefined = undefined,
    /** The kind of connection the model runs in. */
    readonly kind: ConnectionKind = 'worker',
  ) {}

  /** The expected SHA-256 of a variant's bytes, when one was given. */
  sha256Of(precision: Precision | undefined): string | undefined {
    if (typeof this.sha256 === 'string' || this.sha256 === undefined) return this.sha256;
    return precision === undefined ? undefined : this.sha256[precision];
  }

  get released(): boolean {
    return this.references <= 0;
  }

  /** The id a connection knows this model's variant by. */
  modelId(precision: Precision | undefined): string {
    return precision === this.precision || precision === undefined ? this.id : `${this.id}@${precision}`;
  }

  /** The variant's bytes, fetched once with `fetchBytes` and kept. */
  bytesOf(precision: Precision | undefined, fetchBytes: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const key = precision ?? 'default';
    let bytes = this.bytes.get(key);
    if (bytes === undefined) {
      bytes = fetchBytes();
      this.bytes.set(key, bytes);
      bytes.catch(() => this.bytes.delete(key));
    }
    return bytes;
  }

  /** The next smaller precision the source lists below `current`, if any. */
  smallerThan(current: Precision | undefined): Precision | undefined {
    if (!isVariantMap(this.source) || current === undefined) return undefined;
    const source = this.source;
    return PRECISIONS.slice(PRECISIONS.indexOf(current) + 1).find((p) => source[p] !== undefined);
  }

  /** Drops the kept bytes; the entry can no longer load anywhere. */
  dropBytes(): void {
    this.bytes.clear();
  }

  recordRun(runMs: number, backend: Backend): void {
    this.runs += 1;
    this.lastBackend = backend;
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
