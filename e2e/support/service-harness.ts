/**
 * Test support (not shipped): the core service over a fresh data dir, wired to the fake Lark
 * platform and a fake model endpoint on loopback, called through the contract's `dispatch` the way
 * both transports call it.
 */
import { promises as fs } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import type { ConfigFile } from '@shared/config-schema';
import {
  dispatch,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type RpcErrorBody,
} from '@shared/contract';
import { FakeLarkPlatform, testCertificate } from '../fakes/lark';
import { FakeOpenAi, type FakeOpenAiOptions } from '../fakes/openai/server';
import { APP, APP2 } from './runtime-harness';
import { MemoryLogger } from './memory-logger';
import { SecretRedactor } from '@core/log/redact';
import { FileVault } from '@core/store/file-vault';
import { createKocoroService, type KocoroService } from '@core/api/create-service';
import type { HostHooks } from '@core/api/host-hooks';

// The same apps as the runtime tests, so the fakes and fixtures are shared.
export { APP, APP2, postText } from './runtime-harness';
export const MODEL_KEY = 'sk-model-key-0123456789';

export type SeenEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

export class CallError extends Error {
  constructor(readonly body: RpcErrorBody) {
    super(`${body.code}${body.field ? ` (${body.field})` : ''}: ${body.message}`);
  }
}

export interface HarnessOptions {
  config?: (h: { lark: FakeLarkPlatform; model: FakeOpenAi }) => ConfigFile;
  host?: HostHooks;
  model?: FakeOpenAiOptions;
  /** Serve the fake's accounts hosts over HTTPS (scan to create), trusted by the SDK's HTTP client for this test. */
  accountsTls?: boolean;
  /** Where scan to create goes instead (default: the fake's accounts hosts, with `accountsTls`). */
  accountsHosts?: { feishu: string; lark: string };
}

export class ServiceHarness {
  readonly logger = new MemoryLogger();
  readonly redactor = new SecretRedactor();
  readonly seen: SeenEvent[] = [];
  /** Every result returned through `call`, to check none carries a secret. */
  readonly results: unknown[] = [];
  service!: KocoroService;
  vault!: FileVault;
  private readonly services: KocoroService[] = [];

  private constructor(
    readonly lark: FakeLarkPlatform,
    readonly model: FakeOpenAi,
    readonly dataDir: string,
    private readonly opts: HarnessOptions,
  ) {}

  static async create(opts: HarnessOptions = {}): Promise<ServiceHarness> {
    const tls = opts.accountsTls ? await testCertificate() : undefined;
    const lark = await FakeLarkPlatform.start({ apps: [APP, APP2], ...(tls ? { accountsTls: tls } : {}) });
    if (tls) trustForThisTest(tls.cert);
    const model = await FakeOpenAi.start({ apiKey: MODEL_KEY, ...opts.model });
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-service-'));
    const h = new ServiceHarness(lark, model, dataDir, opts);
    await h.open();
    return h;
  }

  get vaultFile(): string {
    return path.join(this.dataDir, 'secrets.json');
  }

  get configFile(): string {
    return path.join(this.dataDir, '..', 'kocoro-config.json');
  }

  /** A (new) service over the same data dir, as after an app restart; `config` replaces the config file's content. */
  async open(config = this.opts.config): Promise<KocoroService> {
    this.opts.config = config;
    this.vault = await FileVault.open(this.vaultFile, { logger: this.logger });
    const content = config?.({ lark: this.lark, model: this.model });
    this.service = await createKocoroService({
      mode: this.opts.host ? 'desktop' : 'headless',
      version: '0.1.0-test',
      dataDir: this.dataDir,
      logger: this.logger,
      redactor: this.redactor,
      vault: this.vault,
      ...(content ? { config: { file: this.configFile, content } } : {}),
      ...(this.opts.host ? { host: this.opts.host } : {}),
      runtime: { tuning: { retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 }, redeliverDelayMs: 100 } },
      ...(this.opts.accountsHosts
        ? { accountsHosts: this.opts.accountsHosts }
        : this.lark.accountsHosts
          ? { accountsHosts: { ...this.lark.accountsHosts, openPlatform: this.lark.url } }
          : {}),
    });
    this.services.push(this.service);
    this.service.events.subscribe((event, payload) => this.seen.push({ event, payload } as SeenEvent));
    return this.service;
  }

  async reply(method: string, input: unknown): Promise<Awaited<ReturnType<typeof dispatch>>> {
    const reply = await dispatch(this.service.handlers, method, input);
    this.results.push(reply);
    return reply;
  }

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    const reply = await this.reply(method, input);
    if (!reply.ok) throw new CallError(reply.error);
    return reply.result as MethodOutput<M>;
  }

  /** The error a call fails with (the test fails if it succeeds). */
  async failure(method: MethodName, input: unknown): Promise<RpcErrorBody> {
    const reply = await this.reply(method, input);
    if (reply.ok) throw new Error(`${method} was expected to fail but returned ${JSON.stringify(reply.result)}`);
    return reply.error;
  }

  events<E extends EventName>(event: E): Array<EventPayload<E>> {
    return this.seen.filter((e) => e.event === event).map((e) => e.payload as EventPayload<E>);
  }

  async waitForEvent<E extends EventName>(
    event: E,
    match: (p: EventPayload<E>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<EventPayload<E>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events(event).find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for a matching ${event} event; saw ${JSON.stringify(this.events(event))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async createModelAgent(name = 'Model', extra: { systemPrompt?: string } = {}) {
    return this.call('agents.create', {
      name,
      ...extra,
      provider: { type: 'openai', baseUrl: this.model.baseUrl, model: 'test-model', apiKey: MODEL_KEY },
    });
  }

  /** A Feishu bot answering with one message, speaking English (its `auto` would be 简体中文). */
  async createBot(agentId: string, overrides: Partial<MethodInput<'bots.create'>> = {}) {
    return this.call('bots.create', {
      platform: 'feishu',
      appId: APP.appId,
      appSecret: APP.appSecret,
      domain: this.lark.url,
      agentId,
      replyMode: { dm: 'message', group: 'message' },
      language: 'en',
      ...overrides,
    });
  }

  async dispose(): Promise<void> {
    untrust?.();
    for (const s of this.services) await s.stop(500).catch(() => undefined);
    await this.lark.close();
    await this.model.close();
    // A bot restarted just before may still be finishing with its folder: rm retries ENOTEMPTY.
    await fs.rm(this.dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

/**
 * The SDK's `registerApp` always uses https through its exported `defaultHttpInstance` (axios):
 * the fake's test certificate is trusted on that instance until the harness is disposed.
 */
let untrust: (() => void) | undefined;
function trustForThisTest(cert: string): void {
  const defaults = (lark.defaultHttpInstance as unknown as { defaults: { httpsAgent?: unknown } }).defaults;
  const previous = defaults.httpsAgent;
  const agent = new https.Agent({ ca: cert });
  defaults.httpsAgent = agent;
  untrust = () => {
    defaults.httpsAgent = previous;
    agent.destroy();
    untrust = undefined;
  };
}
