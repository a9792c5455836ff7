import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What one bot reports as it works; the runtime calls these, the metrics count them. */
export interface BotMeter {
  /** A message is on disk and queued for an answer (also one recovered from the last run). */
  accepted(messageId: string, at: number): void;
  /** The message got its answer (or a command's) in the chat. */
  answered(messageId: string): void;
  /** The message's answer could not be sent (or the agent failed and the chat was told). */
  failed(messageId: string): void;
  /** A message the bot does not answer, with the rule that said so (access, mention, loop guard, …). */
  ignored(rule: string): void;
  /** A platform call waited for room under the app's rate limits. */
  paced(api: string, waitedMs: number): void;
  /** The platform answered a call with a rate limit; it was retried after the wait. */
  rateLimited(api: string, code: number | undefined): void;
  /** The long connection dropped and is being opened again. */
  reconnecting(): void;
  /** Answers running and messages waiting, read when the figures are asked for. */
  load(read: () => { running: number; queued: number }): void;
  /** The live replicas of the bot's app on a shared state store (this process included); undefined: not shared, or stopped. */
  replicas(count: number | undefined): void;
}

/** For a bot run without metrics (tests of other parts). */
export const NO_METER: BotMeter = {
  accepted: () => {},
  answered: () => {},
  failed: () => {},
  ignored: () => {},
  paced: () => {},
  rateLimited: () => {},
  reconnecting: () => {},
  load: () => {},
  replicas: () => {},
};

/** The few figures the app shows on a bot's row. */
export interface BotFigures {
  botId: string;
  /** Answers sent since local midnight (this run). */
  answersToday: number;
  /** Median time from a message's arrival to its complete answer, today; absent before the first. */
  medianAnswerMs?: number;
  /** Messages waiting for their turn now. */
  queued: number;
  /** Answers being written now. */
  running: number;
}

/** Today's answer times kept per bot, for the median; beyond this many the oldest go. */
const TODAY_SAMPLES = 5_000;

/** Seconds; from a quick model's answer to a tool-using agent's minutes. */
const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

interface BotTally {
  started: Map<string, number>;
  day: string;
  answersToday: number;
  durationsToday: number[];
  load?: () => { running: number; queued: number };
}

/**
 * The bots' figures for servers (Prometheus text, README "Metrics") and for the app's bot rows.
 * Counters are per bot (label `bot`); answers in flight and queue depth are read from the bots
 * when scraped.
 */
export class BotMetrics {
  readonly registry = new Registry();
  private readonly tallies = new Map<string, BotTally>();
  private readonly acceptedTotal: Counter<'bot'>;
  private readonly answeredTotal: Counter<'bot'>;
  private readonly failedTotal: Counter<'bot'>;
  private readonly ignoredTotal: Counter<'bot' | 'rule'>;
  private readonly answerSeconds: Histogram<'bot'>;
  private readonly paceWaits: Counter<'bot' | 'api'>;
  private readonly paceSeconds: Counter<'bot' | 'api'>;
  private readonly rateLimitedTotal: Counter<'bot' | 'api' | 'code'>;
  private readonly reconnectsTotal: Counter<'bot'>;
  private readonly replicaCount: Gauge<'bot'>;

  constructor(private readonly now: () => number = Date.now) {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter({ name, help, labelNames, registers });
    const tallies = this.tallies;
    // Read from the bots when scraped.
    const gauge = (name: string, help: string, read: (load: { running: number; queued: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['bot'],
        registers,
        collect() {
          for (const [bot, t] of tallies) if (t.load) this.set({ bot }, read(t.load()));
        },
      });
    this.acceptedTotal = counter('kocoro_messages_accepted_total', 'Messages accepted for an answer', ['bot']);
    this.answeredTotal = counter('kocoro_messages_answered_total', 'Messages answered', ['bot']);
    this.failedTotal = counter('kocoro_messages_failed_total', 'Messages whose answer failed', ['bot']);
    this.ignoredTotal = counter('kocoro_messages_ignored_total', 'Messages not answered, by the rule that said so', ['bot', 'rule']);
    this.answerSeconds = new Histogram({
      name: 'kocoro_answer_seconds',
      help: 'Time from a message arriving to its complete answer',
      labelNames: ['bot'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    gauge('kocoro_answers_in_flight', 'Answers being written now', (l) => l.running);
    gauge('kocoro_queue_depth', 'Messages waiting for their turn', (l) => l.queued);
    this.paceWaits = counter('kocoro_rate_limit_waits_total', 'Platform calls that waited for room under the published rate limits', [
      'bot',
      'api',
    ]);
    this.paceSeconds = counter('kocoro_rate_limit_wait_seconds_total', 'Time platform calls spent waiting for room under the rate limits', [
      'bot',
      'api',
    ]);
    this.rateLimitedTotal = counter(
      'kocoro_platform_rate_limited_total',
      'Platform calls answered with a rate limit (429 / 99991400, 230020), then retried',
      ['bot', 'api', 'code'],
    );
    this.reconnectsTotal = counter('kocoro_reconnects_total', 'Long-connection reconnects', ['bot']);
    this.replicaCount = new Gauge({
      name: 'kocoro_replicas',
      help: 'Processes running the bot on the shared state store (--state), alive now, this one included',
      labelNames: ['bot'],
      registers,
    });
  }

  /** Adds the Node process's own figures (memory, CPU, event-loop lag): for the metrics endpoint only. */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry });
    return this;
  }

  meter(botId: string): BotMeter {
    const tally = this.tally(botId);
    const bot = { bot: botId };
    // Series that exist from the start read 0, not "no data", on a dashboard.
    for (const counter of [this.acceptedTotal, this.answeredTotal, this.failedTotal, this.reconnectsTotal]) counter.inc(bot, 0);
    const finish = (messageId: string): number | undefined => {
      const started = tally.started.get(messageId);
      tally.started.delete(messageId);
      return started === undefined ? undefined : Math.max(0, this.now() - started);
    };
    return {
      accepted: (messageId, at) => {
        tally.started.set(messageId, at);
        this.acceptedTotal.inc(bot);
      },
      answered: (messageId) => {
        const ms = finish(messageId);
        this.answeredTotal.inc(bot);
        this.rollDay(tally);
        tally.answersToday++;
        if (ms === undefined) return;
        this.answerSeconds.observe(bot, ms / 1000);
        tally.durationsToday.push(ms);
        if (tally.durationsToday.length > TODAY_SAMPLES) tally.durationsToday.shift();
      },
      failed: (messageId) => {
        finish(messageId);
        this.failedTotal.inc(bot);
      },
      ignored: (rule) => this.ignoredTotal.inc({ ...bot, rule }),
      paced: (api, waitedMs) => {
        this.paceWaits.inc({ ...bot, api });
        this.paceSeconds.inc({ ...bot, api }, waitedMs / 1000);
      },
      rateLimited: (api, code) => this.rateLimitedTotal.inc({ ...bot, api, code: String(code ?? 429) }),
      reconnecting: () => this.reconnectsTotal.inc(bot),
      load: (read) => {
        tally.load = read;
      },
      replicas: (count) => {
        if (count === undefined) this.replicaCount.remove(bot);
        else this.replicaCount.set(bot, count);
      },
    };
  }

  /**
   * A removed bot: its figures and its per-bot series go (the ones also labelled by rule or API
   * stay until the next start: prom-client removes only whole label sets).
   */
  forget(botId: string): void {
    this.tallies.delete(botId);
    for (const metric of [
      this.acceptedTotal,
      this.answeredTotal,
      this.failedTotal,
      this.reconnectsTotal,
      this.answerSeconds,
      this.replicaCount,
    ]) {
      metric.remove({ bot: botId });
    }
  }

  figures(botId: string): BotFigures {
    const tally = this.tally(botId);
    this.rollDay(tally);
    const load = tally.load?.() ?? { running: 0, queued: 0 };
    const median = medianOf(tally.durationsToday);
    return {
      botId,
      answersToday: tally.answersToday,
      ...(median !== undefined ? { medianAnswerMs: Math.round(median) } : {}),
      queued: load.queued,
      running: load.running,
    };
  }

  /** Prometheus text exposition of every figure. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private tally(botId: string): BotTally {
    let tally = this.tallies.get(botId);
    if (!tally) {
      tally = { started: new Map(), day: localDay(this.now()), answersToday: 0, durationsToday: [] };
      this.tallies.set(botId, tally);
    }
    return tally;
  }

  /** "Today" starts again at local midnight. */
  private rollDay(tally: BotTally): void {
    const day = localDay(this.now());
    if (day === tally.day) return;
    tally.day = day;
    tally.answersToday = 0;
    tally.durationsToday = [];
  }
}

function localDay(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

function medianOf(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
