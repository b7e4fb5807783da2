/**
 * The contract between the page and a connection's host. Everything here crosses a worker or
 * iframe boundary, so it is plain, structured-clone safe data.
 */
import type { Tensor } from 'onnxruntime-common';
import type { Backend, PassThroughSessionOptions } from '../api/types';

/** A tensor as it crosses the boundary. */
export interface WireTensor {
  readonly type: Tensor.Type;
  readonly data: Tensor.DataTypeMap[Tensor.Type];
  readonly dims: readonly number[];
}

/** Tensors by name, as they cross the boundary. */
export type WireTensors = Record<string, WireTensor>;

/** A tensor kept inside a host, named by its id there. */
export interface KeptTensorRef {
  readonly handle: string;
}

/** A kept tensor as a host describes it. */
export interface KeptTensorInfo {
  readonly handle: string;
  readonly type: Tensor.Type;
  readonly dims: readonly number[];
  readonly byteLength: number;
  /** `gpu-buffer` when it stays on the GPU. */
  readonly location: string;
}

/** A run's feeds: data, or a reference to a tensor the host kept. */
export type WireFeeds = Record<string, WireTensor | KeptTensorRef>;

/** What the page tells a host when it starts. */
export interface HostInit {
  readonly connectionId: string;
  readonly backend: Backend;
  /** An absolute URL prefix for onnxruntime-web's `.wasm` files; unset lets the bundler decide. */
  readonly wasmPaths?: string;
  /** WebAssembly threads; more than one needs a cross-origin isolated page. */
  readonly numThreads?: number;
  /** Allows {@link HostApi.injectFault}. Off unless the pool was created for fault tests. */
  readonly faultInjection?: boolean;
}

/** WebGPU as the host found it. */
export interface WebGpuCapability {
  readonly available: boolean;
  readonly reason?: string;
  readonly vendor?: string;
  readonly architecture?: string;
  readonly description?: string;
  readonly shaderF16?: boolean;
  readonly maxBufferSize?: number;
  readonly maxStorageBufferBindingSize?: number;
}

/** WebNN as the host found it. */
export interface WebNnCapability {
  readonly available: boolean;
  readonly reason?: string;
  /** The device types a context could be created for. */
  readonly deviceTypes: readonly string[];
}

/** WebAssembly as the host found it. */
export interface WasmCapability {
  readonly available: boolean;
  readonly reason?: string;
  readonly threads: boolean;
  readonly simd: boolean;
}

/** What the host's realm can reach: a sandboxed frame must reach nothing of the page. */
export interface RealmProbe {
  /** `null` for a sandboxed frame's opaque origin. */
  readonly origin: string;
  readonly kind: 'worker' | 'window';
  /** Whether `parent.document` could be read. */
  readonly parentReachable: boolean;
  /** Whether `top.location.href` could be read. */
  readonly topReachable: boolean;
  /** `available`, or the error `indexedDB.open` gave. */
  readonly indexedDb: string;
}

/** Everything a host detected once at start. */
export interface HostCapabilities {
  readonly backend: Backend;
  /** Whether the host's own backend can run sessions here. */
  readonly available: boolean;
  /** Why not, when it cannot. */
  readonly reason?: string;
  readonly webgpu: WebGpuCapability;
  readonly webnn: WebNnCapability;
  readonly wasm: WasmCapability;
  readonly ortVersion: string;
  readonly userAgent: string;
  readonly realm: RealmProbe;
}

/** One input or output of a loaded model. */
export interface ValueInfo {
  readonly name: string;
  /** The element type, when the model states it. */
  readonly type?: Tensor.Type;
  /** Dimensions; symbolic ones are strings, unknown ones -1. */
  readonly shape?: readonly (number | string)[];
}

/** What a host reports about a model it loaded. */
export interface ModelInfo {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly loadMs: number;
}

/** What a host needs to create a session. */
export interface LoadRequest {
  readonly modelId: string;
  readonly bytes: Uint8Array;
  readonly sessionOptions?: PassThroughSessionOptions;
}

/** A run's outputs and how long the host spent. */
export interface RunReply {
  readonly outputs: WireTensors;
  /** Outputs the call asked to keep, left inside the host. */
  readonly kept: Record<string, KeptTensorInfo>;
  /** Time waiting behind earlier runs on this host. */
  readonly queuedMs: number;
  /** Time inside `session.run` and output conversion. */
  readonly runMs: number;
}

/** A heartbeat's answer. */
export interface PingReply {
  /** WebAssembly memory the host's runtime holds, once it has one. */
  readonly memoryBytes?: number;
}

/** What a host says of itself. */
export interface HostStats {
  /** Runs that succeeded. */
  readonly runs: number;
  /** Run requests received, whatever became of them. */
  readonly runRequests: number;
  readonly models: readonly string[];
  /** WebAssembly memory in bytes, when measurable. */
  readonly wasmMemoryBytes?: number;
}

/** Faults a test can inject inside a real host, only when the pool allows it. */
export type HostFault =
  | { readonly kind: 'throw'; readonly message: string; readonly times?: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'close-self' }
  | { readonly kind: 'exhaust-memory' }
  | { readonly kind: 'unhandled-rejection'; readonly message: string }
  | { readonly kind: 'destroy-gpu-device'; readonly when?: 'now' | 'next-run' }
  | { readonly kind: 'gpu-out-of-memory' }
  | { readonly kind: 'send-garbage' }
  | { readonly kind: 'replay-last-reply' };

/** The host's remote interface; every method runs inside the connection. */
export interface HostApi {
  start(init: HostInit): Promise<HostCapabilities>;
  load(request: LoadRequest): Promise<ModelInfo>;
  /** Runs a model; outputs named in `keep` stay in the host and come back as references. */
  run(modelId: string, feeds: WireFeeds, keep?: readonly string[]): Promise<RunReply>;
  /** Hands a kept tensor's data to the page. */
  readTensor(handle: string): Promise<WireTensor>;
  /** Frees kept tensors; unknown ids are ignored. */
  releaseTensors(handles: readonly string[]): Promise<void>;
  unload(modelId: string): Promise<void>;
  /** Answers at once with the realm's memory use; its round trip is the ping latency. */
  ping(): Promise<PingReply>;
  stats(): Promise<HostStats>;
  injectFault(fault: HostFault): Promise<void>;
}
