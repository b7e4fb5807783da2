import type { BackendHealthRecord, PerformanceRecord } from './records';
import { parseHealthRecord, parsePerformanceRecord } from './parseRecords';

/** What one page tells the others of its origin. */
export type HistoryMessage =
  | { type: 'performance'; record: PerformanceRecord }
  | { type: 'health'; record: BackendHealthRecord };

/**
 * A BroadcastChannel between the pools of one origin (other tabs, other frames, other pools of
 * the same page) sharing one history database. What arrives is validated like a stored record:
 * another page may run another version of the SDK, or be broken.
 */
export class HistoryChannel {
  private readonly channel: BroadcastChannel | undefined;

  constructor(
    name: string,
    private readonly now: () => number,
    onMessage: (message: HistoryMessage) => void,
  ) {
    if (typeof BroadcastChannel !== 'function') return;
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event: MessageEvent<unknown>) => {
      const message = this.parse(event.data);
      if (message !== undefined) onMessage(message);
    };
  }

  /** Whether other pools can hear this one. */
  get open(): boolean {
    return this.channel !== undefined;
  }

  post(message: HistoryMessage): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      // A closed channel or an uncloneable record: the other pages learn it from the database.
    }
  }

  close(): void {
    this.channel?.close();
  }

  private parse(data: unknown): HistoryMessage | undefined {
    if (typeof data !== 'object' || data === null) return undefined;
    const type: unknown = Object.getOwnPropertyDescriptor(data, 'type')?.value;
    const raw: unknown = Object.getOwnPropertyDescriptor(data, 'record')?.value;
    if (type === 'performance') {
      const record = parsePerformanceRecord(raw, this.now());
      return record === null ? undefined : { type, record };
    }
    if (type === 'health') {
      const record = parseHealthRecord(raw, this.now());
      return record === null ? undefined : { type, record };
    }
    return undefined;
  }
}
