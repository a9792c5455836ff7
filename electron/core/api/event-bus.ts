import type { EventName, EventPayload } from '@shared/contract';

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** Push events from the core to every connected UI (IPC windows, WebSocket clients). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  /** `redact`: applied to the whole payload (as JSON) before any listener sees it. */
  constructor(private readonly redact?: (json: string) => string) {}

  emit<E extends EventName>(event: E, raw: EventPayload<E>): void {
    const payload = this.redact ? (JSON.parse(this.redact(JSON.stringify(raw))) as EventPayload<E>) : raw;
    for (const listener of this.listeners) {
      try {
        listener(event, payload);
      } catch {
        // One broken transport must not stop the others from hearing about it.
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
