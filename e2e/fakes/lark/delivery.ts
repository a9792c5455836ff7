import { decodeUtf8, encodeJson, headerMap, splitPayload } from './frames.js';
import type { Frame, FrameHeader } from './frames.js';
import { newTraceId } from './ids.js';
import type { Connection } from './long-connection.js';
import type { TimerSet } from './timers.js';
import { untilAcked, type Waiters } from './waiters.js';
import type { PushOptions, PushRecord } from './types.js';

/** What delivery needs from the socket layer. */
export interface PushTransport {
  readyFor(appId: string): Connection[];
  sendData(conn: Connection, parts: Array<{ headers: FrameHeader[]; payload: Uint8Array }>): boolean;
}

export interface DeliveryOptions {
  ackTimeoutMs: number;
  repushDelaysMs: number[];
  fragmentBytes: number;
  /** Seeds the choice of connection per attempt (`seededRandom`); undefined = `Math.random`. */
  seed?: number;
}

/**
 * mulberry32: a small deterministic PRNG (uniform in [0, 1)), so a seeded fake picks the same
 * connections in the same order on every run.
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new Error(`fake-lark: seed must be an integer, got ${seed}`);
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface InFlight {
  connId: string;
  /** Unique per attempt; the ack echoes every header (lark/README.md §2.8), so a late ack of an earlier attempt is recognisable. */
  traceId: string;
  sentAt: number;
  timer: NodeJS.Timeout | undefined;
}

interface PushState {
  record: PushRecord;
  payload: Uint8Array;
  frameType: 'event' | 'card';
  fragments: number;
  outOfOrder: boolean;
  retriesUsed: number;
  inFlight?: InFlight;
  queued: boolean;
  gaveUp: boolean;
  /** `PushOptions.connectionId`: where the first attempt goes, if that connection is ready then. */
  firstTo?: string;
}

/**
 * Push delivery with the platform's at-least-once semantics (lark/README.md §2.7–2.9, §2.11): one random
 * connection per attempt (seedable), ack deadline, re-push schedule, queueing while no client is connected.
 */
export class Delivery {
  private readonly states = new Map<string, PushState>();
  private readonly queue: PushState[] = [];
  private readonly random: () => number;

  constructor(
    private readonly transport: PushTransport,
    private readonly timers: TimerSet,
    private readonly waiters: Waiters,
    private readonly opts: DeliveryOptions,
  ) {
    this.random = opts.seed === undefined ? Math.random : seededRandom(opts.seed);
  }

  push(
    appId: string,
    pushId: string,
    identity: { eventId: string; eventType: string },
    envelope: object,
    opts: PushOptions = {},
  ): PushRecord {
    const payload = encodeJson(envelope);
    const fragments = opts.fragments ?? (this.opts.fragmentBytes > 0 ? Math.ceil(payload.byteLength / this.opts.fragmentBytes) : 1);
    if (!Number.isInteger(fragments) || fragments < 1) throw new Error(`fake-lark: fragments must be a positive integer, got ${fragments}`);
    const state: PushState = {
      record: { pushId, appId, eventId: identity.eventId, eventType: identity.eventType, attempts: 0, acked: false, deliveredTo: [] },
      payload,
      frameType: opts.frameType ?? 'event',
      fragments,
      outOfOrder: opts.outOfOrder ?? false,
      retriesUsed: 0,
      queued: false,
      gaveUp: false,
      ...(opts.connectionId !== undefined ? { firstTo: opts.connectionId } : {}),
    };
    this.states.set(pushId, state);
    this.attempt(state);
    return state.record;
  }

  list(): PushRecord[] {
    return [...this.states.values()].map((s) => s.record);
  }

  waitForAck(pushId: string, timeoutMs: number): Promise<PushRecord> {
    const state = this.states.get(pushId);
    if (!state) return Promise.reject(new Error(`fake-lark: unknown push ${pushId}`));
    return untilAcked(this.waiters, state, timeoutMs, {
      gaveUp: () =>
        `fake-lark: push ${pushId} (${state.record.eventType}) was never acked with code 200 after ${state.record.attempts} attempt(s); last ack code ${state.record.ackCode ?? 'none'}`,
      waiting: `ack of push ${pushId}`,
    });
  }

  /** A connection became able to receive: hand it everything that was waiting for this app. */
  connectionReady(conn: Connection): void {
    const waiting = this.queue.filter((s) => s.record.appId === conn.appId);
    for (const state of waiting) {
      this.queue.splice(this.queue.indexOf(state), 1);
      state.queued = false;
      this.attempt(state);
    }
  }

  /** lark/README.md §2.9: a push whose socket closes before the ack counts as failed. */
  connectionClosed(conn: Connection): void {
    for (const state of this.states.values()) {
      if (state.inFlight?.connId === conn.id) this.failAttempt(state);
    }
  }

  ackFrame(conn: Connection, frame: Frame): void {
    const headers = headerMap(frame);
    const state = headers.message_id === undefined ? undefined : this.states.get(headers.message_id);
    const inFlight = state?.inFlight;
    // Acks for an attempt that already timed out (or went to another socket) are stale: the
    // platform has already counted that attempt as failed.
    if (!state || !inFlight || inFlight.connId !== conn.id || inFlight.traceId !== headers.trace_id) return;

    let response: { code?: unknown; data?: unknown } = {};
    try {
      response = JSON.parse(decodeUtf8(frame.payload ?? new Uint8Array())) as typeof response;
    } catch {
      // An unparsable ack is treated like a failed one below.
    }
    const record = state.record;
    record.ackCode = typeof response.code === 'number' ? response.code : undefined;
    record.ackLatencyMs = Date.now() - inFlight.sentAt;
    if (typeof response.data === 'string') record.ackData = decodeAckData(response.data);
    else delete record.ackData;
    // biz_rt is deliberately not validated: Node 1.74 sends it negative (lark/README.md §2.8).

    if (record.ackCode === 200) {
      this.timers.clear(inFlight.timer);
      delete state.inFlight;
      record.acked = true;
      record.ackedAt = Date.now();
      this.waiters.notify();
    } else {
      this.failAttempt(state);
    }
  }

  private attempt(state: PushState): void {
    const conn = this.choose(state);
    if (!conn) {
      state.queued = true;
      this.queue.push(state);
      return;
    }
    const traceId = newTraceId();
    const parts = splitPayload(state.payload, state.fragments);
    const frames = parts.map((payload, seq) => ({
      headers: [
        // lark/README.md §2.7: all five headers on every fragment; the SDK drops frames missing sum/seq without acking.
        { key: 'type', value: state.frameType },
        { key: 'message_id', value: state.record.pushId },
        { key: 'sum', value: String(parts.length) },
        { key: 'seq', value: String(seq) },
        { key: 'trace_id', value: traceId },
      ],
      payload,
    }));
    if (state.outOfOrder && frames.length > 1) frames.unshift(...frames.splice(-1, 1));

    state.record.attempts += 1;
    state.record.deliveredTo.push(conn.id);
    const inFlight: InFlight = { connId: conn.id, traceId, sentAt: Date.now(), timer: undefined };
    state.inFlight = inFlight;
    inFlight.timer = this.timers.set(() => {
      if (state.inFlight === inFlight) this.failAttempt(state);
    }, this.opts.ackTimeoutMs);
    this.waiters.notify();
    if (!this.transport.sendData(conn, frames)) this.failAttempt(state);
  }

  /**
   * lark/README.md §2.11 (cluster mode): one of the app's ready connections, all weighted equally. One
   * draw per attempt that has a candidate, so a seeded fake repeats its choices when the connections
   * and the attempts come in the same order. A steered first attempt draws nothing.
   */
  private choose(state: PushState): Connection | undefined {
    const candidates = this.transport.readyFor(state.record.appId);
    const steered = state.firstTo;
    delete state.firstTo;
    const target = steered === undefined ? undefined : candidates.find((c) => c.id === steered);
    if (target) return target;
    if (candidates.length === 0) return undefined;
    return candidates[Math.floor(this.random() * candidates.length)];
  }

  private failAttempt(state: PushState): void {
    if (state.inFlight) this.timers.clear(state.inFlight.timer);
    delete state.inFlight;
    const delay = this.opts.repushDelaysMs[state.retriesUsed];
    if (delay === undefined) {
      state.gaveUp = true;
      this.waiters.notify();
      return;
    }
    state.retriesUsed += 1;
    // Same envelope and push id: a re-push is the same event (lark/README.md §2.9), deduped by event_id downstream.
    this.timers.set(() => this.attempt(state), delay);
    this.waiters.notify();
  }
}

/** Ack `data` is base64 of the handler's JSON result (lark/README.md §2.8). */
function decodeAckData(data: string): unknown {
  const text = Buffer.from(data, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
