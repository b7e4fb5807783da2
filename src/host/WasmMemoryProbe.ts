/**
 * Measures the WebAssembly memory of the runtimes instantiated in this realm. onnxruntime-web
 * does not expose its module's memory, so the probe watches `WebAssembly.instantiate` and
 * `instantiateStreaming` (installed before the runtime loads) and keeps each instance's exported
 * memory. WebAssembly memory only grows, which is why its size matters to a long-lived host.
 */
export class WasmMemoryProbe {
  private readonly memories = new Set<WebAssembly.Memory>();

  /** Starts watching instantiations in this realm. Call once, before the runtime loads. */
  install(): void {
    const wasm = WebAssembly as typeof WebAssembly & Record<string, unknown>;
    const remember = (result: unknown, imports: unknown): void => this.remember(result, imports);
    const instantiate = wasm.instantiate.bind(wasm);
    wasm.instantiate = ((...args: Parameters<typeof instantiate>) =>
      instantiate(...args).then((result) => (remember(result, args[1]), result))) as typeof instantiate;
    const streaming = wasm.instantiateStreaming?.bind(wasm);
    if (streaming === undefined) return;
    wasm.instantiateStreaming = ((...args: Parameters<typeof streaming>) =>
      streaming(...args).then((result) => (remember(result, args[1]), result))) as typeof streaming;
  }

  /** Bytes of WebAssembly memory held now, or undefined before any runtime was instantiated. */
  bytes(): number | undefined {
    if (this.memories.size === 0) return undefined;
    let total = 0;
    for (const memory of this.memories) total += memory.buffer.byteLength;
    return total;
  }

  // A module either exports its memory or, when built for threads, imports one made in JS.
  private remember(result: unknown, imports: unknown): void {
    const instance =
      result instanceof WebAssembly.Instance
        ? result
        : (result as { instance?: WebAssembly.Instance } | undefined)?.instance;
    const candidates = [
      ...Object.values(instance?.exports ?? {}),
      ...Object.values(imports ?? {}).flatMap((module) =>
        typeof module === 'object' && module !== null ? Object.values(module) : [],
      ),
    ];
    for (const value of candidates) {
      if (value instanceof WebAssembly.Memory) this.memories.add(value);
    }
  }
}
