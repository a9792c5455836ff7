/**
 * N headless replicas (`npm run headless`, real child processes) of one Lark app on the fake
 * platform, each with its own data folder, their state in one private Redis (or, without one, each
 * in its own folder: today's single process, for comparison). Each replica reaches the platform
 * through its own tap (replica-tap.ts), so every platform call and every long connection is known
 * by replica, and answers from its own agent fake, so every agent run is too. The agent's answer is
 * a deterministic function of the question's tag (`answerTo`), so order and crossed answers show.
 *
 *   const set = await Replicas.start({ replicas: 2, redis, replyMode: 'message', seed: 1 });
 *   const asked = await set.askMany({ chats: 20, perChat: 10, everyMs: 10 });
 *   await set.kill(0);                          // kill -9; pause(i) / resume(i): SIGSTOP / SIGCONT
 *   await set.waitForAnswers(asked);
 *   expect(problems(set.check({ expected: set.answerTo }))).toEqual([]);
 *
 * Who did what: `runs` (agent runs by replica), `writes({ replica, after })` (platform writes, each
 * with its chat), `receivers(pushId)` and `connectionOf(i)` (to steer a push to a replica);
 * `evidence()` and `refusalEvidence()` for a failure's message.
 */
import { promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeApp, FakeLarkPlatform, type FakeLarkOptions, p2pChatIdFor } from '../fakes/lark';
import { FakeKocoro, type FakeKocoroOptions, type FakeToolCall } from '../fakes/kocoro/server';
import { contentText, FakeOpenAi } from '../fakes/openai/server';
import { HeadlessProcess } from './headless-process';
import type { PrivateRedis } from './redis-server';
import { answersTo, type Asked, checkAnswers, type Verdict } from './replica-check';
import { ReplicaTap, type TapRecord } from './replica-tap';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let snapshot: Promise<string> | undefined;

/**
 * A private copy of the compiled core (dist-headless/, as built from the current sources by the test
 * run's global setup or the bench), run by every replica. The working tree's copy is rebuilt, its
 * chunks replaced, whenever any later `npm run headless` finds a source newer than it: replicas
 * loading a model SDK's chunk lazily would then fail in the middle of a run for reasons that are not
 * the product's. The copy sits beside the repo's package.json and node_modules (linked), as the
 * original does. Returns the entry, relative to the repo (HeadlessProcess's `entry`).
 */
export function headlessSnapshot(): Promise<string> {
  snapshot ??= (async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-headless-'));
    await fs.cp(path.join(ROOT, 'dist-headless'), path.join(dir, 'dist-headless'), { recursive: true });
    await fs.copyFile(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    await fs.symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return path.relative(ROOT, path.join(dir, 'dist-headless', 'headless.js'));
  })();
  return snapshot;
}

export const REPLICA_APP: FakeApp = {
  appId: 'cli_9e1ca5000000a001',
  appSecret: 'secret-replicas-0001',
  botOpenId: 'ou_replicas000000000000000000bot1',
  botName: 'Replica Bot',
};

export interface ReplicaSetOptions {
  replicas: number;
  /** The shared state (`--state`); without it each replica keeps its own files (no sharing at all). */
  redis?: PrivateRedis;
  agent?: 'model' | 'kocoro';
  replyMode?: 'card' | 'message';
  /** The answer: "Answer to <tag>:" and this many words, streamed `chunkChars` at a time every `chunkDelayMs`. */
  answerWords?: number;
  chunkChars?: number;
  chunkDelayMs?: number;
  /** Tool calls a Kocoro agent makes before it answers. */
  tools?: FakeToolCall[];
  kocoro?: Partial<FakeKocoroOptions>;
  /** More bot settings (approvers…), the same on every replica. */
  bot?: Record<string, unknown>;
  /** The fake's delivery seed (FakeLarkPlatform.start({ seed })). */
  seed?: number;
  lark?: Partial<FakeLarkOptions>;
  app?: FakeApp;
  /** Extra `npm run headless` arguments (e.g. `--metrics 0`). */
  args?: string[];
}

export interface Replica {
  index: number;
  process: HeadlessProcess;
  dataDir: string;
  tap: ReplicaTap;
  model: FakeOpenAi;
  kocoro?: FakeKocoro;
  killedAt?: number;
  pausedAt?: number;
  resumedAt?: number;
}

/** One agent run: which replica's agent got the question, when, and the questions in its memory then. */
export interface AgentRun {
  replica: number;
  tag: string;
  at: number;
  /** Tags of the user turns in the request (memory first, the question last). */
  history: string[];
}

export interface Write extends TapRecord {
  chatId?: string;
}

const TAG = /c\d+-\d+/g;
const tagsIn = (text: string): string[] => text.match(TAG) ?? [];
export const memberOf = (chat: number): string => `ou_replicamember${String(chat).padStart(16, '0')}`;

/** The answer every agent gives to the question tagged `tag`. */
export function answerTo(tag: string, words = 12): string {
  return `Answer to ${tag}: ${Array.from({ length: words }, (_, i) => `w${i}`).join(' ')}.`;
}

export class Replicas {
  readonly list: Replica[] = [];
  readonly asked: Asked[] = [];
  readonly runs: AgentRun[] = [];
  readonly taps: TapRecord[] = [];
  readonly app: FakeApp;
  /** Every long connection seen: its id in the fake → the replica that opened it. */
  private readonly connections = new Map<string, number>();
  private readonly poller: NodeJS.Timeout;
  private readonly startedAt = Date.now();

  private constructor(
    readonly lark: FakeLarkPlatform,
    readonly opts: ReplicaSetOptions,
    readonly dir: string,
  ) {
    this.app = opts.app ?? REPLICA_APP;
    this.poller = setInterval(() => this.noteConnections(), 25);
  }

  static async start(opts: ReplicaSetOptions): Promise<Replicas> {
    const app = opts.app ?? REPLICA_APP;
    const lark = await FakeLarkPlatform.start({ apps: [app], ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...opts.lark });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-replicas-'));
    const set = new Replicas(lark, opts, dir);
    try {
      // One after the other: the connections open in a fixed order, so seeded delivery repeats.
      for (let i = 0; i < opts.replicas; i++) await set.startReplica(i);
    } catch (err) {
      await set.dispose();
      throw err;
    }
    return set;
  }

  /** Starts replica `index` (again, after a kill: a new process on a new data folder, as on another machine). */
  async startReplica(index: number): Promise<Replica> {
    const o = this.opts;
    const old = this.list[index];
    const tap = old?.tap ?? (await ReplicaTap.start(index, this.lark.url, this.taps));
    const model = old?.model ?? (await FakeOpenAi.start({ reply: (req) => this.modelReply(index, req), ...this.chunks() }));
    const kocoro = o.agent === 'kocoro' ? (old?.kocoro ?? (await this.startKocoro(index))) : undefined;
    const agent = kocoro
      ? { id: 'agent', name: 'Agent', provider: { type: 'kocoro', url: kocoro.url, stateDir: kocoro.stateDir, agent: 'default' } }
      : { id: 'agent', name: 'Agent', provider: { type: 'openai', baseUrl: model.baseUrl, model: `replica-${index}` } };
    const mode = o.replyMode ?? 'card';
    const bot = {
      id: 'team-bot',
      platform: 'feishu',
      appId: this.app.appId,
      appSecret: this.app.appSecret,
      agentId: 'agent',
      domain: tap.url,
      replyMode: { dm: mode, group: mode },
      language: 'en',
      ...o.bot,
    };
    const run = `${index}-${Date.now()}`;
    const file = path.join(this.dir, `config-${run}.json`);
    await fs.writeFile(file, JSON.stringify({ agents: [agent], bots: [bot] }));
    const dataDir = path.join(this.dir, `data-${run}`);
    const args = ['--config', file, '--data-dir', dataDir, ...(o.redis ? ['--state', o.redis.url] : []), ...(o.args ?? [])];
    const entry = await headlessSnapshot();
    const replica: Replica = { index, process: HeadlessProcess.start(args, {}, entry), dataDir, tap, model, ...(kocoro ? { kocoro } : {}) };
    this.list[index] = replica;
    await this.waitConnected(replica);
    return replica;
  }

  // ---- what the test does ------------------------------------------------------------------

  /** A DM from chat `chat`'s member, tagged `c<chat>-<k>`. */
  ask(chat: number, k: number, opts: { connectionId?: string } = {}): Asked {
    const tag = `c${String(chat).padStart(2, '0')}-${String(k).padStart(2, '0')}`;
    const sender = memberOf(chat);
    const at = Date.now();
    const { messageId, push } = this.lark.pushMessage(
      this.app.appId,
      { chatType: 'p2p', senderOpenId: sender, text: `question ${tag}` },
      opts.connectionId ? { connectionId: opts.connectionId } : undefined,
    );
    const asked: Asked = { messageId, chatId: p2pChatIdFor(this.app.appId, sender), tag, pushId: push.pushId, at };
    this.asked.push(asked);
    return asked;
  }

  /** `chats × perChat` messages, round robin over the chats, one every `everyMs` (0: all at once), each on its own schedule. */
  async askMany(shape: { chats: number; perChat: number; everyMs: number; firstChat?: number; firstK?: number }): Promise<Asked[]> {
    const out: Asked[] = [];
    const start = Date.now();
    for (let n = 0; n < shape.chats * shape.perChat; n++) {
      const wait = start + n * shape.everyMs - Date.now();
      if (wait > 0) await sleep(wait);
      out.push(this.ask((shape.firstChat ?? 0) + (n % shape.chats), (shape.firstK ?? 0) + Math.floor(n / shape.chats)));
    }
    return out;
  }

  kill(index: number): Promise<unknown> {
    const r = this.list[index]!;
    r.killedAt = Date.now();
    r.process.kill('SIGKILL');
    return r.process.exited;
  }

  pause(index: number): void {
    const r = this.list[index]!;
    r.pausedAt = Date.now();
    r.process.kill('SIGSTOP');
  }

  resume(index: number): void {
    const r = this.list[index]!;
    r.resumedAt = Date.now();
    r.process.kill('SIGCONT');
  }

  // ---- what happened -----------------------------------------------------------------------

  /** The replica's open long connection (the newest), to steer a push to it. */
  connectionOf(index: number): string | undefined {
    this.noteConnections();
    return this.lark
      .connections(this.app.appId)
      .filter((c) => this.connections.get(c.id) === index)
      .at(-1)?.id;
  }

  replicaOfConnection(connId: string): number | undefined {
    this.noteConnections();
    return this.connections.get(connId);
  }

  /** Which replicas received the push (each attempt). */
  receivers(pushId: string): Array<number | undefined> {
    const push = this.lark.pushes().find((p) => p.pushId === pushId);
    return (push?.deliveredTo ?? []).map((c) => this.replicaOfConnection(c));
  }

  runsOf(tag: string): AgentRun[] {
    return this.runs.filter((r) => r.tag === tag);
  }

  /** Platform calls that change something (sends, replies, card operations, reactions), each with its chat when known. */
  writes(filter: { replica?: number; after?: number } = {}): Write[] {
    const sent = new Map(this.lark.sentMessages().map((m) => [m.messageId, m.chatId]));
    const asked = new Map(this.asked.map((a) => [a.messageId, a.chatId]));
    const chatOfMessage = (id: string | undefined) => (id ? (asked.get(id) ?? sent.get(id)) : undefined);
    const chatOfCard = (cardId: string | undefined) => {
      const card = cardId ? this.lark.card(cardId) : undefined;
      return chatOfMessage(card?.sentAs);
    };
    return this.taps
      .filter((t) => t.method !== 'GET' && t.path.startsWith('/open-apis/') && !t.path.startsWith('/open-apis/auth/'))
      .filter((t) => (filter.replica === undefined || t.replica === filter.replica) && (filter.after === undefined || t.at >= filter.after))
      .map((t) => {
        const message = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/(reply|reactions)/.exec(t.path)?.[1];
        const card = /^\/open-apis\/cardkit\/v1\/cards\/([^/]+)/.exec(t.path)?.[1];
        const created = (t.response as { data?: { card_id?: string } } | undefined)?.data?.card_id;
        const receiver = t.path === '/open-apis/im/v1/messages' ? (t.body as { receive_id?: string } | undefined)?.receive_id : undefined;
        const byReceiver = receiver && t.query.receive_id_type === 'open_id' ? p2pChatIdFor(this.app.appId, receiver) : receiver;
        const chatId = chatOfMessage(message) ?? chatOfCard(card ?? created) ?? byReceiver;
        return { ...t, ...(chatId ? { chatId } : {}) };
      });
  }

  /**
   * Each refusal by the platform's limits, with the calls of that API that reached the taps in the
   * second before it, per replica: whether the app's window was overrun, and by whom.
   */
  refusalEvidence(): string[] {
    const hits = this.lark.rateLimitHits();
    return hits.map((hit) => {
      const inWindow = (at: number) => at > hit.at - 1_000 && at < hit.at;
      // At the platform, by its own rule: calls that arrived in the second before, less the ones it refused.
      const arrived = this.lark.requests().filter((r) => apiOf(r) === hit.api && inWindow(r.at)).length;
      const refused = hits.filter((h) => h !== hit && h.api === hit.api && inWindow(h.at)).length;
      const sent = this.taps.filter((t) => apiOf(t) === hit.api && inWindow(t.at) && t.status < 400);
      const by = [...new Set(sent.map((c) => c.replica))].sort().map((r) => `replica ${r} ${sent.filter((c) => c.replica === r).length}`);
      return `${hit.api} ${hit.code} at +${hit.at - this.startedAt} ms: ${arrived - refused} admitted in the second before (${by.join(', ')})`;
    });
  }

  /** What the chats saw (replica-check.ts), each question's start being its first agent run. */
  check(opts: { expected?: (tag: string) => string; asked?: Asked[] } = {}): Verdict {
    return checkAnswers(this.lark, opts.asked ?? this.asked, { ...opts, startedAt: (tag) => this.runsOf(tag)[0]?.at });
  }

  /** The expected answer to `tag` with this set's answer length. */
  answerTo = (tag: string): string => answerTo(tag, this.opts.answerWords);

  /** Until every message has an answer that ended (card no longer streaming), then a moment more for a late duplicate. */
  async waitForAnswers(asked: Asked[] = this.asked, timeoutMs = 30_000, settleMs = 500): Promise<void> {
    const pending = () => asked.filter((a) => !answersTo(this.lark, a.messageId).some((x) => x.endedAt !== undefined));
    await waitFor(
      () => pending().length === 0,
      timeoutMs,
      () =>
        `answers to ${pending()
          .map((a) => a.tag)
          .join(', ')}`,
    );
    await sleep(settleMs);
  }

  async dispose(): Promise<void> {
    clearInterval(this.poller);
    for (const r of this.list) {
      if (!r || r.process.child.exitCode !== null || r.process.child.signalCode !== null) continue;
      r.process.kill('SIGCONT');
      r.process.kill('SIGKILL');
      await r.process.exited;
    }
    await this.lark.close();
    for (const r of this.list) {
      if (!r) continue;
      await r.tap.close();
      await r.model.close();
      await r.kocoro?.close();
    }
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  /** The replica's JSON log lines so far (complete lines only; a line cut mid-write is left for later). */
  lines(index: number): Array<Record<string, unknown>> {
    const out = this.list[index]!.process.stdout;
    return out
      .slice(0, out.lastIndexOf('\n') + 1)
      .split('\n')
      .flatMap((l) => {
        try {
          return l.trim() ? [JSON.parse(l) as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });
  }

  /** Per replica: its state, how many of each log event, its warnings and errors, the end of stderr: a failure's evidence. */
  evidence(): string {
    return this.list
      .filter(Boolean)
      .map((r) => {
        const lines = this.lines(r.index);
        const counts = new Map<string, number>();
        for (const l of lines) counts.set(String(l.event), (counts.get(String(l.event)) ?? 0) + 1);
        const state = r.killedAt
          ? 'killed'
          : r.pausedAt && !r.resumedAt
            ? 'paused'
            : r.process.child.exitCode !== null
              ? 'exited'
              : 'running';
        const notable = lines
          .filter((l) => l.level === 'warn' || l.level === 'error' || l.event === 'bot.connecting')
          .slice(-8)
          .map((l) => JSON.stringify(l).slice(0, 300));
        return [
          `replica ${r.index} (pid ${r.process.child.pid}, ${state}, ${this.runs.filter((x) => x.replica === r.index).length} agent runs): ` +
            [...counts].map(([e, n]) => `${e}×${n}`).join(' '),
          ...notable.map((n) => `  ${n}`),
          r.process.stderr.trim() ? `  stderr: …${r.process.stderr.trim().slice(-600)}` : '',
        ]
          .filter(Boolean)
          .join('\n');
      })
      .join('\n');
  }

  // ---- internals ---------------------------------------------------------------------------

  private chunks() {
    return { chunkChars: this.opts.chunkChars ?? 8, chunkDelayMs: this.opts.chunkDelayMs ?? 0 };
  }

  private modelReply(replica: number, req: { messages: Array<{ role: string; content: unknown }> }): string {
    const users = req.messages.filter((m) => m.role === 'user').map((m) => contentText(m.content));
    const history = users.flatMap(tagsIn);
    const tag = tagsIn(users.at(-1) ?? '').at(-1) ?? '?';
    this.runs.push({ replica, tag, at: Date.now(), history });
    return this.answerTo(tag);
  }

  private async startKocoro(replica: number): Promise<FakeKocoro> {
    return FakeKocoro.start({
      ...this.chunks(),
      ...this.opts.kocoro,
      tools: (message) => {
        const tag = tagsIn(message.text).at(-1) ?? '?';
        this.runs.push({ replica, tag, at: Date.now(), history: [tag] });
        return this.opts.tools ?? [];
      },
      reply: (message, denied) => {
        const text = this.answerTo(tagsIn(message.text).at(-1) ?? '?');
        return denied.length ? `${text} (not allowed: ${denied.join(', ')})` : text;
      },
    });
  }

  private noteConnections(): void {
    const owner = new Map<string, number>();
    for (const r of this.list) for (const d of r?.tap.deviceIds ?? []) owner.set(d, r.index);
    for (const c of this.lark.connections(this.app.appId)) {
      const replica = owner.get(c.deviceId);
      if (replica !== undefined && !this.connections.has(c.id)) this.connections.set(c.id, replica);
    }
  }

  /** `bot.connected` and its socket ready at the fake; a refusal to run the app (another process holds it) fails at once. */
  private async waitConnected(r: Replica, timeoutMs = 20_000): Promise<void> {
    const refused = () =>
      this.lines(r.index).find((l) => l.event === 'bot.connecting' && /another Kocoro runs app/.test(String(l.reason ?? '')));
    await waitFor(
      () => {
        const no = refused();
        if (no) throw new Error(`replica ${r.index} did not start the bot: ${String(no.reason)}`);
        if (r.process.child.exitCode !== null)
          throw new Error(`replica ${r.index} exited (${r.process.child.exitCode}):\n${r.process.stderr}`);
        return this.lines(r.index).some((l) => l.event === 'bot.connected') && this.connectionOf(r.index) !== undefined;
      },
      timeoutMs,
      () => `replica ${r.index} connected\nstdout:\n${r.process.stdout}\nstderr:\n${r.process.stderr}`,
    );
    const alive = this.list.filter((x) => x && !x.killedAt).length;
    await this.lark.waitForConnections(this.app.appId, alive, timeoutMs);
  }
}

/** The fake's name of the API a call went to (e2e/fakes/lark/rest.ts), for the calls a refusal concerns. */
function apiOf(t: { method: string; path: string }): string | undefined {
  const routes: Array<[string, RegExp, string]> = [
    ['POST', /^\/open-apis\/cardkit\/v1\/cards$/, 'cardkit.create'],
    ['PUT', /^\/open-apis\/cardkit\/v1\/cards\/[^/]+$/, 'cardkit.update'],
    ['PATCH', /^\/open-apis\/cardkit\/v1\/cards\/[^/]+\/settings$/, 'cardkit.settings'],
    ['PUT', /^\/open-apis\/cardkit\/v1\/cards\/[^/]+\/elements\/[^/]+\/content$/, 'cardkit.content'],
    ['POST', /^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/, 'message.reply'],
    ['POST', /^\/open-apis\/im\/v1\/messages$/, 'message.create'],
    ['POST', /^\/open-apis\/im\/v1\/messages\/[^/]+\/reactions$/, 'reaction.create'],
    ['DELETE', /^\/open-apis\/im\/v1\/messages\/[^/]+\/reactions\/[^/]+$/, 'reaction.delete'],
  ];
  return routes.find(([method, path]) => t.method === method && path.test(t.path))?.[2];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it is true; a probe that throws ends the wait with its error. */
export async function waitFor(probe: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(25);
  }
}
