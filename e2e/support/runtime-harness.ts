import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BotStatus } from '@shared/bot-status';
import type { AgentConfig, BotConfig, ConfigFile } from '@shared/config-schema';
import { MemoryLogger } from './memory-logger';
import { BotManager, type BotManagerOptions } from '@core/runtime/lifecycle/bot-manager';
import { FakeLarkPlatform, type FakeLarkOptions } from '../fakes/lark';
import { FakeOpenAi, type FakeOpenAiOptions } from '../fakes/openai/server';

export const APP = {
  appId: 'cli_a1b2c3d4e5f60718',
  appSecret: 'secret-team-bot-0001',
  botOpenId: 'ou_bot00000000000000000000000001',
  botName: 'Team Bot',
};
export const APP2 = {
  appId: 'cli_b1b2c3d4e5f60719',
  appSecret: 'secret-other-bot-002',
  botOpenId: 'ou_bot00000000000000000000000002',
  botName: 'Other Bot',
};

/** A bot runtime wired to the fake platform and a fake model endpoint, in a fresh data dir. */
export class RuntimeHarness {
  readonly logger = new MemoryLogger();
  manager!: BotManager;
  statuses: BotStatus[] = [];

  private constructor(
    readonly lark: FakeLarkPlatform,
    readonly model: FakeOpenAi,
    readonly dataDir: string,
  ) {}

  static async create(opts: { lark?: FakeLarkOptions; model?: FakeOpenAiOptions } = {}): Promise<RuntimeHarness> {
    const lark = await FakeLarkPlatform.start({ apps: [APP, APP2], ...opts.lark });
    const model = await FakeOpenAi.start(opts.model);
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-runtime-'));
    return new RuntimeHarness(lark, model, dataDir);
  }

  /**
   * `echo`; `model` (an OpenAI-compatible endpoint: cannot open local files); `program` (a local
   * program, which can: it answers with exactly what it was given on stdin).
   */
  agent(id: 'echo' | 'model' | 'program' = 'model'): AgentConfig {
    if (id === 'program') {
      return {
        id: 'program',
        name: 'Program',
        provider: { type: 'command', command: process.execPath, args: ['-e', 'process.stdin.pipe(process.stdout)'] },
      };
    }
    return id === 'echo'
      ? { id: 'echo', name: 'Echo', provider: { type: 'echo' } }
      : {
          id: 'model',
          name: 'Model',
          systemPrompt: 'You are a helpful teammate.',
          provider: { type: 'openai', baseUrl: this.model.baseUrl, model: 'test-model' },
        };
  }

  /**
   * Replies as one `post` per answer unless `replyMode` says otherwise (streaming cards:
   * e2e/tests/runtime/streaming.test.ts), and speaks English (a Feishu bot's `auto` is 简体中文; language.test.ts).
   */
  bot(overrides: Partial<BotConfig> = {}): BotConfig {
    return {
      id: 'team-bot',
      platform: 'feishu',
      appId: APP.appId,
      appSecret: APP.appSecret,
      agentId: 'model',
      domain: this.lark.url,
      replyMode: { dm: 'message', group: 'message' },
      language: 'en',
      ...overrides,
    };
  }

  config(bots: BotConfig[] = [this.bot()]): ConfigFile {
    return { agents: [this.agent('echo'), this.agent('model'), this.agent('program')], bots };
  }

  async start(config: ConfigFile = this.config(), opts: Partial<BotManagerOptions> = {}): Promise<BotManager> {
    this.manager = new BotManager({
      dataDir: this.dataDir,
      logger: this.logger,
      ...opts,
      tuning: { retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 200 }, redeliverDelayMs: 100, ...opts.tuning },
    });
    this.manager.onStatus((s) => this.statuses.push(s));
    await this.manager.startAll(config);
    return this.manager;
  }

  events(name: string): Array<Record<string, unknown>> {
    return this.logger.records.filter((r) => r.event === name);
  }

  async waitForEvent(name: string, n = 1, timeoutMs = 10_000): Promise<Array<Record<string, unknown>>> {
    const deadline = Date.now() + timeoutMs;
    while (this.events(name).length < n) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${n}× log event ${name}; saw: ${this.logger.records.map((r) => r.event).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.events(name);
  }

  async dispose(): Promise<void> {
    await this.manager?.stopAll(1000);
    await this.lark.close();
    await this.model.close();
    await fs.rm(this.dataDir, { recursive: true, force: true });
  }
}

/** The markdown inside a `post` reply sent by the bot. */
export function postText(content: string): string {
  const post = JSON.parse(content) as { zh_cn?: { content?: Array<Array<{ tag: string; text?: string }>> } };
  return (post.zh_cn?.content ?? [])
    .flat()
    .map((el) => el.text ?? '')
    .join('');
}
