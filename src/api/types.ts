import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { TensorHandle } from '../tensors/TensorHandle';

/** An execution provider a connection can host. */
export type Backend = 'webgpu' | 'webnn' | 'wasm';

/** What a model works on; it feeds routing priors and recommendations. */
export type ModelType = 'text' | 'vision' | 'audio' | 'multimodal';

/** A precision variant of a model. `fp16`, `q8`, `q4` map from the 16, 8 and 4 bits of the WebNN/WebGPU resource pool. */
export type Precision = 'fp32' | 'fp16' | 'q8' | 'q4';

/** The kind of realm a connection runs in. */
export type ConnectionKind = 'worker' | 'iframe';

/** Model bytes, or where to fetch them. Relative URLs resolve against the page. */
export type ModelBytesSource = string | URL | ArrayBuffer | Uint8Array;

/** A single model, or a map of its precision variants. */
export type ModelSource = ModelBytesSource | Partial<Record<Precision, ModelBytesSource>>;

/** Session options passed through to onnxruntime-web, minus what webaccel owns. */
export type PassThroughSessionOptions = Omit<
  InferenceSession.SessionOptions,
  'executionProviders' | 'externalData'
>;

/** How a model would like to run. Every field is optional. */
export interface ModelPreferences {
  /**
   * Backends to try, in order. A backend that is missing, or cannot create the session, is
   * skipped and the reason recorded.
   * @defaultValue `['webgpu', 'webnn', 'wasm']`
   */
  priority?: readonly Backend[];
  /**
   * Which variant to load when `source` lists several.
   * @defaultValue `'fp32'` when listed, else the first variant listed
   */
  precision?: Precision;
  /** Options handed to onnxruntime-web's `InferenceSession.create`. */
  sessionOptions?: PassThroughSessionOptions;
  /**
   * The kind of connection to run in: a dedicated worker, or a sandboxed iframe (isolated from
   * the page; in its own process when served from another site).
   * @defaultValue the pool's `connectionKind`
   */
  connectionKind?: ConnectionKind;
  /**
   * Runs the model once as it loads, so that the first real call does not pay for compiling
   * shaders: with these feeds, or with zeros shaped from the model's inputs (`true`; unknown
   * dimensions become 1). A warm-up that fails is reported and does not fail the load.
   * @defaultValue false
   */
  warmup?: boolean | Feeds;
}

/** What {@link ResourcePool.getModel} needs. */
export interface GetModelOptions {
  type: ModelType;
  /** A name for the model; with the source it identifies the model in the pool. */
  name: string;
  source: ModelSource;
  preferences?: ModelPreferences;
  signal?: AbortSignal;
  /**
   * The expected SHA-256 of the model's bytes (hex), or one per precision variant. Checked before
   * onnxruntime-web sees a byte; a mismatch is `INTEGRITY_MISMATCH` and nothing is cached.
   */
  sha256?: string | Partial<Record<Precision, string>>;
  /** Follows the download of the model's bytes. */
  onProgress?: (progress: { loaded: number; total: number | undefined }) => void;
}

/** Per-call options of {@link ModelHandle.run}. */
export interface RunOptions {
  /** Cancels the call: it rejects with category `CANCELLED`, code `ABORTED`. */
  signal?: AbortSignal;
  /**
   * The call's deadline. A call still running then rejects with category `TIMEOUT`.
   * @defaultValue the pool's `runTimeoutMs`
   */
  timeoutMs?: number;
  /**
   * Outputs to keep inside the connection as {@link TensorHandle}s instead of copying them to
   * the page; feed them to a later run.
   */
  keep?: readonly string[];
}

/** Input tensors by input name: data, or handles of tensors kept by an earlier run. */
export type Feeds = Readonly<Record<string, Tensor | TensorHandle>>;

/** Output tensors by output name. */
export type Results = Record<string, Tensor>;

/** Outputs of a run with `keep`: the kept ones are handles, the rest tensors. */
export type KeptResults = Record<string, Tensor | TensorHandle>;

/** A backend that was tried and passed over, and why. */
export interface BackendFailure {
  backend: Backend;
  category: string;
  code: string;
  message: string;
}

/** One call of `pool.runConcurrent`: a model and its feeds. */
export type ConcurrentCall = readonly [
  model: { run(feeds: Feeds, options?: RunOptions & { keep?: undefined }): Promise<Results> },
  feeds: Feeds,
];

/** The outcome of one call of `pool.runConcurrent`, shaped like `Promise.allSettled`'s. */
export type ConcurrentResult =
  | { status: 'fulfilled'; value: Results }
  | { status: 'rejected'; reason: import('../errors/AccelError').AccelError };
