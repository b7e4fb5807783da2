import type { HostFault } from '../connections/protocol';
import type { OrtRuntime } from './loadRuntime';
import type { GpuWatch } from './GpuWatch';
import type { HostChannel } from './HostChannel';

/**
 * Malformed traffic a page must drop: wrong shapes, unknown ids, prototype keys, a handshake
 * answer sent again, and host events whose error is not one.
 */
function garbage(): unknown[] {
  const error = { kind: 'error', name: 'Error', message: 'forged' };
  const deviceLost = JSON.stringify({ webaccel: 'host-event', type: 'device-lost', error });
  return [
    null,
    'hello',
    42,
    [],
    { type: 'RAW', value: 1 },
    { id: 'no-such-call', type: 'RAW', value: { outputs: {} } },
    JSON.parse('{"id":"x","type":"RAW","__proto__":{"polluted":true}}'),
    { id: 'x', type: 'RAW', constructor: { prototype: { polluted: true } } },
    { webaccel: 'host-event', type: 'bogus' },
    { webaccel: 'ready', nonce: 'a-handshake-answer-sent-again' },
    { webaccel: 'host-event', type: 'uncaught-error', error: { ...error, cause: null } },
    JSON.parse(`{${deviceLost.slice(1, -1)},"__proto__":{"polluted":true}}`),
  ];
}

/**
 * Real faults inside a real host, for tests of recovery. A host only arms them when the pool
 * that started it asked for fault injection; nothing in normal use reaches this code.
 */
export class FaultInjector {
  private throwsLeft = 0;
  private throwMessage = '';
  private hangNext = false;
  private exhaustNext = false;
  private destroyNext = false;

  constructor(
    private readonly runtime: () => OrtRuntime | undefined,
    private readonly gpu: GpuWatch,
    private readonly channel: HostChannel,
  ) {}

  /** Arms a fault: some strike at once, the rest on the next run. */
  arm(fault: HostFault): void {
    switch (fault.kind) {
      case 'throw':
        this.throwsLeft = fault.times ?? 1;
        this.throwMessage = fault.message;
        return;
      case 'hang':
        this.hangNext = true;
        return;
      case 'exhaust-memory':
        this.exhaustNext = true;
        return;
      case 'close-self':
        setTimeout(() => (globalThis as { close?: () => void }).close?.(), 0);
        return;
      case 'unhandled-rejection':
        void Promise.reject(new Error(fault.message));
        return;
      case 'destroy-gpu-device':
        if (fault.when === 'next-run') this.destroyNext = true;
        else void this.destroyDevice();
        return;
      case 'gpu-out-of-memory':
        this.gpu.armOutOfMemory();
        return;
      case 'send-garbage':
        for (const message of garbage()) this.channel.postRaw(message);
        return;
      case 'replay-last-reply':
        setTimeout(() => this.channel.replayLastReply(), 0);
        return;
    }
  }

  /** Called by the host before each run; strikes with whatever is armed. */
  async beforeRun(): Promise<void> {
    if (this.hangNext) spinForever();
    if (this.destroyNext) {
      this.destroyNext = false;
      await this.destroyDevice();
    }
    if (this.exhaustNext) {
      this.exhaustNext = false;
      exhaustMemory();
    }
    if (this.throwsLeft > 0) {
      this.throwsLeft -= 1;
      throw new Error(this.throwMessage);
    }
  }

  private async destroyDevice(): Promise<void> {
    const env = this.runtime()?.env.webgpu as { device?: GPUDevice | Promise<GPUDevice> } | undefined;
    const device = await env?.device;
    device?.destroy();
  }
}

/** Blocks the realm's event loop for good, as a runaway kernel would. */
function spinForever(): never {
  for (;;) {
    // A loop with a side effect the engine cannot prove away.
    if (performance.now() < 0) break;
  }
  throw new Error('unreachable');
}

/** Allocates until the engine refuses, then lets it all go and rethrows the engine's error. */
function exhaustMemory(): never {
  const hoard: ArrayBuffer[] = [];
  try {
    for (;;) hoard.push(new ArrayBuffer(256 * 1024 * 1024));
  } catch (error) {
    hoard.length = 0;
    throw error;
  }
}
