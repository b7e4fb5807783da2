import { AccelError } from '../errors/AccelError';
import { ErrorCategory } from '../errors/ErrorCategory';

/** What the watch reports as it happens. */
export interface GpuWatchListener {
  onDeviceLost(reason: string, message: string): void;
  onUncapturedError(message: string): void;
}

/** A buffer this large fails at once on a device without the memory; SwiftShader refuses 1 GiB. */
const OOM_PROBE_BYTES = 1024 ** 3;

/**
 * Watches the GPUDevice onnxruntime-web runs on. onnxruntime-web only logs a device loss, and a
 * run after it may resolve with whatever was in the buffers; the host asks this watch before and
 * after every run, and wraps each run in an out-of-memory error scope so that a failed
 * allocation is an error, never a silent success.
 */
export class GpuWatch {
  private device: GPUDevice | undefined;
  private lostInfo: { reason: string; message: string } | undefined;
  /** Devices onnxruntime-web may destroy itself: it does so on session release and failed creation. */
  private readonly releasedOn = new WeakSet<GPUDevice>();
  private probeNextRun = false;

  constructor(private readonly listener: GpuWatchListener) {}

  /** Watches `device` if it is new; onnxruntime-web creates it with the first session. */
  attach(device: GPUDevice | undefined): void {
    if (device === undefined || device === this.device) return;

    this.device = device;
    device.addEventListener('uncapturederror', (event) => {
      event.preventDefault();
      this.listener.onUncapturedError((event as GPUUncapturedErrorEvent).error.message);
    });
    void device.lost.then((info) => this.onLost(device, info));
  }

  /**
   * Runs work after which onnxruntime-web itself may destroy its device (releasing a session, a
   * failed session creation). A later loss of that device with reason `destroyed` is its
   * bookkeeping, not a fault; the lost promise can resolve long after, so no timer decides it.
   */
  async expectingDestroy<T>(work: () => Promise<T>, onlyIfItFails = false): Promise<T> {
    if (this.device !== undefined && !onlyIfItFails) this.releasedOn.add(this.device);
    try {
      return await work();
    } catch (error) {
      if (this.device !== undefined) this.releasedOn.add(this.device);
      throw error;
    }
  }

  /** Makes the next run allocate more than the device holds, inside the run's error scope. */
  armOutOfMemory(): void {
    this.probeNextRun = true;
  }

  /** Runs `work` in an out-of-memory error scope; throws if the device is or becomes lost. */
  async guardRun<T>(work: () => Promise<T>): Promise<T> {
    this.throwIfLost();
    const device = this.device;
    if (device === undefined) return work();

    device.pushErrorScope('out-of-memory');
    let result: T;
    try {
      if (this.probeNextRun) this.allocateTooMuch(device);
      result = await work();
    } finally {
      const error = await device.popErrorScope().catch(() => null);
      if (error !== null) this.throwOutOfMemory(error.message);
    }
    this.throwIfLost();
    return result;
  }

  private allocateTooMuch(device: GPUDevice): void {
    this.probeNextRun = false;
    device.createBuffer({ size: OOM_PROBE_BYTES, usage: GPUBufferUsage.STORAGE, mappedAtCreation: true }).destroy();
  }

  private onLost(device: GPUDevice, info: GPUDeviceLostInfo): void {
    if (device !== this.device) return;
    if (info.reason === 'destroyed' && this.releasedOn.has(device)) {
      this.device = undefined;
      return;
    }
    this.lostInfo = { reason: info.reason, message: info.message };
    this.listener.onDeviceLost(info.reason, info.message);
  }

  private throwIfLost(): void {
    if (this.lostInfo === undefined) return;
    throw new AccelError(`The WebGPU device was lost (${this.lostInfo.reason}): ${this.lostInfo.message}`, {
      category: ErrorCategory.BROWSER_CRASH,
      code: 'DEVICE_LOST',
      backend: 'webgpu',
    });
  }

  private throwOutOfMemory(message: string): never {
    throw new AccelError(`WebGPU ran out of memory: ${message}`, {
      category: ErrorCategory.OUT_OF_MEMORY,
      backend: 'webgpu',
    });
  }
}
