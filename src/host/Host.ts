import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';
import { classify, type ErrorPhase } from '../errors/classify';
import { toWireTensors, transferablesOf } from '../connections/tensorWire';
import type {
  HostApi,
  HostCapabilities,
  HostFault,
  HostInit,
  HostStats,
  LoadRequest,
  ModelInfo,
  PingReply,
  KeptTensorInfo,
  RunReply,
  ValueInfo,
  WireFeeds,
  WireTensor,
} from '../connections/protocol';
import type { Backend } from '../api/types';
import { detectCapabilities } from './detectCapabilities';
import { loadRuntime, type OrtRuntime } from './loadRuntime';
import { FaultInjector } from './FaultInjector';
import { GpuWatch } from './GpuWatch';
import { WasmMemoryProbe } from './WasmMemoryProbe';
import type { HostChannel } from './HostChannel';
import { toWireError } from '../errors/errorWire';
import type { HostEvent } from '../connections/hostEvents';

/** Hands a reply's buffers over instead of copying them; set by the transport. */
export type Transfer = <T>(value: T, transferables: Transferable[]) => T;

/**
 * Runs onnxruntime-web sessions for one backend inside a worker or an iframe. Runs are queued:
 * onnxruntime-web rejects or wedges on overlapping runs of one runtime.
 */
export class Host implements HostApi {
  private init: HostInit | undefined;
  private ort: OrtRuntime | undefined;
  private capabilities: HostCapabilities | undefined;
  private readonly sessions = new Map<string, InferenceSession>();
  private queue: Promise<unknown> = Promise.resolve();
  private runs = 0;
  private readonly kept = new Map<string, Tensor>();
  private keptSequence = 0;
  private runRequests = 0;
  private readonly faults: FaultInjector;
  private readonly gpu: GpuWatch;
  private readonly memory = new WasmMemoryProbe();

  constructor(
    private readonly transfer: Transfer,
    private readonly notify: (event: HostEvent) => void,
    channel: HostChannel,
  ) {
    this.gpu = new GpuWatch({
      onDeviceLost: (reason, message) => this.report('device-lost', `${reason}: ${message}`),
      onUncapturedError: (message) => this.report('gpu-error', message),
    });
    this.faults = new FaultInjector(() => this.ort, this.gpu, channel);
    this.memory.install();
  }

  async start(init: HostInit): Promise<HostCapabilities> {
    if (this.capabilities !== undefined) return this.capabilities;

    this.init = init;
    const probe = await detectCapabilities(init.backend, 'unknown');
    if (!probe.available) return (this.capabilities = probe);

    this.ort = await this.guard('start', () => loadRuntime(init.backend));
    this.configure(this.ort, init);
    this.capabilities = Object.freeze({ ...probe, ortVersion: this.ort.env.versions.web ?? 'unknown' });
    return this.capabilities;
  }

  async load({ modelId, bytes, sessionOptions }: LoadRequest): Promise<ModelInfo> {
    const ort = this.runtime();
    if (this.sessions.has(modelId)) return this.describe(modelId, 0);

    const started = performance.now();
    const session = await this.guard('load', () =>
      this.gpu.expectingDestroy(() =>
        ort.InferenceSession.create(bytes, {
          ...this.outputLocation(),
          // onnxruntime-web's env.logLevel does not reach the session's own log; warnings such as
          // node placement reports would otherwise land on the page's console.
          logSeverityLevel: 3,
          ...sessionOptions,
          executionProviders: [this.providerOption()],
        }),
        true,
      ),
    );
    this.sessions.set(modelId, session);
    await this.watchDevice(ort);
    return this.describe(modelId, performance.now() - started);
  }

  run(modelId: string, feeds: WireFeeds, keep: readonly string[] = []): Promise<RunReply> {
    this.runRequests += 1;
    const queued = performance.now();
    const result = this.queue.then(() => this.runNow(modelId, feeds, keep, performance.now() - queued));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async unload(modelId: string): Promise<void> {
    const session = this.sessions.get(modelId);
    if (session === undefined) return;

    this.sessions.delete(modelId);
    await this.queue;
    await this.gpu.expectingDestroy(() => session.release());
  }

  async ping(): Promise<PingReply> {
    return { memoryBytes: this.memory.bytes() };
  }

  async stats(): Promise<HostStats> {
    return {
      runs: this.runs,
      runRequests: this.runRequests,
      models: [...this.sessions.keys()],
      wasmMemoryBytes: this.memory.bytes(),
    };
  }

  async injectFault(fault: HostFault): Promise<void> {
    if (this.init?.faultInjection !== true) {
      throw new AccelError('Fault injection is off for this connection', {
        category: ErrorCategory.INVALID_INPUT,
        code: 'FAULT_INJECTED',
      });
    }
    this.faults.arm(fault);
  }

  async readTensor(handle: string): Promise<WireTensor> {
    const tensor = this.kept.get(handle);
    if (tensor === undefined) throw tensorLost(handle, this.init?.backend);
    const [wire] = Object.values(toWireTensors(await downloadAll({ t: tensor }, false)));
    return this.transfer(wire!, transferablesOf({ t: wire! }));
  }

  async releaseTensors(handles: readonly string[]): Promise<void> {
    for (const handle of handles) {
      this.kept.get(handle)?.dispose();
      this.kept.delete(handle);
    }
  }

  private async runNow(
    modelId: string,
    feeds: WireFeeds,
    keep: readonly string[],
    queuedMs: number,
  ): Promise<RunReply> {
    const ort = this.runtime();
    const session = this.sessions.get(modelId);
    if (session === undefined) {
      throw new AccelError(`Model ${modelId} is not loaded on this connection`, {
        category: ErrorCategory.INITIALIZATION,
        backend: this.init?.backend,
      });
    }

    const started = performance.now();
    const { outputs, kept } = await this.guard('run', () =>
      this.gpu.guardRun(async () => {
        await this.faults.beforeRun();
        const results = await session.run(this.resolveFeeds(ort, feeds));
        const kept = this.keepOutputs(results, keep);
        return { outputs: toWireTensors(await downloadAll(results)), kept };
      }),
    );
    this.runs += 1;
    const reply: RunReply = { outputs, kept, queuedMs, runMs: performance.now() - started };
    return this.transfer(reply, transferablesOf(outputs));
  }

  private resolveFeeds(ort: OrtRuntime, feeds: WireFeeds): Record<string, Tensor> {
    const resolved: Record<string, Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      if ('handle' in feed) {
        const tensor = this.kept.get(feed.handle);
        if (tensor === undefined) throw tensorLost(feed.handle, this.init?.backend);
        resolved[name] = tensor;
      } else {
        resolved[name] = new ort.Tensor(feed.type, feed.data as never, feed.dims);
      }
    }
    return resolved;
  }

  /** Moves the outputs named in `keep` out of `results` into the host's kept tensors. */
  private keepOutputs(results: Record<string, Tensor>, keep: readonly string[]): Record<string, KeptTensorInfo> {
    const kept: Record<string, KeptTensorInfo> = {};
    for (const name of keep) {
      const tensor = results[name];
      if (tensor === undefined) continue;
      const handle = `${this.init?.connectionId ?? 'host'}#${++this.keptSequence}`;
      this.kept.set(handle, tensor);
      delete results[name];
      kept[name] = {
        handle,
        type: tensor.type,
        dims: [...tensor.dims],
        byteLength: tensor.size * bytesPerElement(tensor.type),
        location: tensor.location,
      };
    }
    return kept;
  }

  /** Finds the device onnxruntime-web created with its first WebGPU session, and watches it. */
  private async watchDevice(ort: OrtRuntime): Promise<void> {
    if (this.init?.backend !== 'webgpu') return;
    try {
      this.gpu.attach(await ort.env.webgpu.device);
    } catch {
      // No device to watch means no session on one; the run's own errors still surface.
    }
  }

  private report(type: 'device-lost' | 'gpu-error', message: string): void {
    this.notify({ webaccel: 'host-event', type, error: toWireError(new Error(message)) });
  }

  private configure(ort: OrtRuntime, init: HostInit): void {
    ort.env.logLevel = 'error';
    ort.env.wasm.numThreads = init.numThreads ?? 1;
    if (init.wasmPaths !== undefined) ort.env.wasm.wasmPaths = init.wasmPaths;
  }

  /**
   * On WebGPU, outputs stay on the GPU until read: a kept output then never leaves it, and the
   * rest are read back once, as onnxruntime-web would have done.
   */
  private outputLocation(): Pick<InferenceSession.SessionOptions, 'preferredOutputLocation'> {
    return this.init?.backend === 'webgpu' ? { preferredOutputLocation: 'gpu-buffer' } : {};
  }

  private providerOption(): InferenceSession.ExecutionProviderConfig {
    const backend = this.init?.backend ?? 'wasm';
    if (backend !== 'webnn') return backend;
    const deviceType = this.capabilities?.webnn.deviceTypes[0] ?? 'cpu';
    return { name: 'webnn', deviceType } as InferenceSession.ExecutionProviderConfig;
  }

  private describe(modelId: string, loadMs: number): ModelInfo {
    const session = this.sessions.get(modelId);
    if (session === undefined) throw new Error(`Model ${modelId} vanished while loading`);
    return {
      inputs: session.inputMetadata.map(toValueInfo),
      outputs: session.outputMetadata.map(toValueInfo),
      loadMs,
    };
  }

  private runtime(): OrtRuntime {
    if (this.ort !== undefined) return this.ort;
    const reason = this.capabilities?.reason ?? 'the host has not started';
    throw new AccelError(`Backend ${this.init?.backend ?? '?'} cannot run here: ${reason}`, {
      category: ErrorCategory.BROWSER_CAPABILITY,
      code: 'BACKEND_UNAVAILABLE',
      backend: this.init?.backend,
    });
  }

  private async guard<T>(phase: ErrorPhase, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw classify(error, {
        phase,
        backend: this.init?.backend,
        connectionId: this.init?.connectionId,
      });
    }
  }
}

/** Tensors with their data on the CPU; GPU ones are read back (and freed unless `keep`). */
async function downloadAll(
  results: Record<string, Tensor>,
  release = true,
): Promise<Record<string, Tensor>> {
  const entries = await Promise.all(
    Object.entries(results).map(async ([name, tensor]) => {
      if (tensor.location === 'cpu') return [name, tensor] as const;
      const data = await tensor.getData(release);
      return [name, { type: tensor.type, data, dims: tensor.dims } as Tensor] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const BYTES: Partial<Record<Tensor.Type, number>> = {
  float32: 4, int32: 4, uint32: 4, float16: 2, int16: 2, uint16: 2, int8: 1, uint8: 1, bool: 1,
  int64: 8, uint64: 8, float64: 8, int4: 0.5, uint4: 0.5,
};

function bytesPerElement(type: Tensor.Type): number {
  return BYTES[type] ?? 8;
}

function tensorLost(handle: string, backend: Backend | undefined): AccelError {
  return new AccelError(`Tensor ${handle} is no longer kept on this connection`, {
    category: ErrorCategory.RESOURCE,
    code: 'TENSOR_LOST',
    scope: 'caller',
    backend,
  });
}

function toValueInfo(meta: InferenceSession.ValueMetadata): ValueInfo {
  if (!meta.isTensor) return { name: meta.name };
  return {
    name: meta.name,
    type: meta.type as Tensor.Type,
    shape: meta.shape.map((dim) => (typeof dim === 'number' ? dim : dim === '' ? -1 : dim)),
  };
}
