import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { settingOf } from '@shared/bot-settings';
import type { AgentConfig, BotConfig, Platform } from '@shared/config-schema';
import { RpcError } from '@shared/contract';
import {
  PREVIEW_ECHO_AGENT,
  type PreviewAttachment,
  type PreviewChat,
  type PreviewMessage,
  type PreviewSession,
  type PreviewToast,
  previewToastSchema,
} from '@shared/preview';
import { createProvider } from '../agents/create-provider';
import type { Catalog } from '../api/catalog';
import type { Logger } from '../log/logger';
import type { SecretRedactor } from '../log/redact';
import { BotRuntime } from '../runtime/lifecycle/bot-runtime';
import { tuningWith } from '../runtime/lifecycle/tuning';
import { PreviewPlatform } from './preview-platform';

/** Previews open at once; a new one beyond this closes the one used least recently. */
const MAX_SESSIONS = 4;
/** A preview nobody used for this long is closed (a window closed without saying so). */
const IDLE_MS = 30 * 60_000;
/** The address the preview's SDK is given: `.invalid` never resolves, and no request leaves the process anyway. */
const PREVIEW_DOMAIN = 'https://open.preview.invalid';

export interface PreviewSessionsOptions {
  catalog: Catalog;
  logger: Logger;
  redactor: SecretRedactor;
  /** Each message of a preview, whole, every time it changes. */
  onMessage: (sessionId: string, message: PreviewMessage) => void;
  onClosed: (sessionId: string) => void;
  now?: () => number;
}

interface Session {
  view: PreviewSession;
  platform: PreviewPlatform;
  runtime: BotRuntime;
  /** The preview's own data folder (a temporary one): nothing is written where real bots keep theirs. */
  dir: string;
  usedAt: number;
}

/**
 * The preview chats (README "Try it and Preview"): each is a real BotRuntime (intake, gate,
 * answer, outbound; the agent itself) over a PreviewPlatform in this process, with its own
 * temporary data folder. A preview of a bot takes the bot's settings (agent, language, reply
 * mode, access rules) but none of its credentials: the platform it talks to is the preview's, so
 * nothing of a preview reaches the real platform or the real bot's folder.
 */
export class PreviewSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: PreviewSessionsOptions) {
    this.sweeper = setInterval(() => void this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async start(input: { botId?: string; agentId?: string; platform?: Platform }): Promise<PreviewSession> {
    const { bot, agent } = await this.resolve(input);
    while (this.sessions.size >= MAX_SESSIONS) await this.close(this.leastRecent()!);
    const sessionId = randomUUID();
    const me = { openId: bot.approvers?.[0] ?? `ou_pvme${randomBytes(13).toString('hex')}`, name: 'You' };
    const cast = {
      appId: bot.appId,
      appSecret: bot.appSecret,
      tenantKey: `pv${randomBytes(6).toString('hex')}`,
      bot: { openId: `ou_pvbot${randomBytes(12).toString('hex')}`, name: bot.displayName ?? agent.name },
      me,
    };
    const platform = new PreviewPlatform(cast, (message) => this.opts.onMessage(sessionId, message), this.opts.now);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-preview-'));
    const logger = this.opts.logger.child({ preview: sessionId });
    // The one writing is the owner: the preview's tool approvals are theirs to decide, in the preview.
    const previewBot: BotConfig = { ...bot, approvers: [me.openId] };
    const runtime = new BotRuntime({
      bot: previewBot,
      agent: { config: agent, provider: createProvider(agent.provider) },
      dataDir: dir,
      logger,
      tuning: tuningWith(),
      redactor: this.opts.redactor,
      platform,
      onStatus: () => undefined,
    });
    const view: PreviewSession = {
      sessionId,
      platform: bot.platform,
      botName: cast.bot.name,
      botOpenId: cast.bot.openId,
      ...(input.botId ? { botId: input.botId } : {}),
      agentId: agent.id,
      agentName: agent.name,
      me,
      groupName: bot.platform === 'lark' ? 'Preview group' : '预览群',
      replyMode: settingOf(previewBot, 'replyMode'),
      language: settingOf(previewBot, 'language'),
    };
    const session: Session = { view, platform, runtime, dir, usedAt: this.now() };
    this.sessions.set(sessionId, session);
    try {
      await runtime.start();
    } catch (err) {
      await this.close(sessionId);
      throw err;
    }
    logger.log('info', 'preview.started', { bot: input.botId, agent: agent.id });
    return view;
  }

  async send(input: {
    sessionId: string;
    chat: PreviewChat;
    text: string;
    mention?: boolean;
    attachment?: PreviewAttachment;
  }): Promise<{ messageId: string }> {
    const session = this.use(input.sessionId);
    const messageId = await session.platform.send(input.chat, input.text, {
      ...(input.mention !== undefined ? { mention: input.mention } : {}),
      ...(input.attachment ? { attachment: input.attachment } : {}),
    });
    return { messageId };
  }

  async click(input: { sessionId: string; messageId: string; value: Record<string, unknown> }): Promise<{ toast?: PreviewToast }> {
    const session = this.use(input.sessionId);
    const { toast } = await session.platform.click(input.messageId, input.value);
    const read = previewToastSchema.safeParse(toast);
    return read.success ? { toast: read.data } : {};
  }

  /** Ends a preview: its agent runs are stopped and its folder removed. */
  async close(sessionId: string): Promise<{ closed: boolean }> {
    const session = this.sessions.get(sessionId);
    if (!session) return { closed: false };
    this.sessions.delete(sessionId);
    await session.runtime.stop(0).catch(() => undefined);
    await fs.rm(session.dir, { recursive: true, force: true }).catch(() => undefined);
    this.opts.onClosed(sessionId);
    return { closed: true };
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }

  /** The bot's settings without its credentials, or a bot made for the agent (Try it). */
  private async resolve(input: { botId?: string; agentId?: string; platform?: Platform }): Promise<{ bot: BotConfig; agent: AgentConfig }> {
    const { catalog } = this.opts;
    const record = input.botId ? catalog.bot(input.botId) : undefined;
    if (input.botId && !record) throw new RpcError('not_found', `There is no bot "${input.botId}".`, 'botId');
    const agentId = input.agentId ?? record?.agentId ?? PREVIEW_ECHO_AGENT;
    const agentRecord = catalog.agent(agentId);
    const agent: AgentConfig | undefined = agentRecord
      ? await catalog.agentConfig(agentRecord)
      : agentId === PREVIEW_ECHO_AGENT
        ? { id: PREVIEW_ECHO_AGENT, name: 'Echo', provider: { type: 'echo' } }
        : undefined;
    if (!agent) throw new RpcError('not_found', `There is no agent "${agentId}".`, 'agentId');
    const credentials = {
      appId: `cli_${randomBytes(8).toString('hex')}`,
      appSecret: randomBytes(24).toString('hex'),
      domain: PREVIEW_DOMAIN,
    };
    if (record) {
      const {
        managedBy: _managedBy,
        encryptKey: _e,
        verificationToken: _v,
        appSecret: _s,
        ...settings
      } = record as typeof record & {
        encryptKey?: string;
        verificationToken?: string;
        appSecret?: string;
      };
      return { bot: { ...settings, ...credentials, id: 'preview', agentId: agent.id, receive: 'long-connection', enabled: true }, agent };
    }
    return { bot: { id: 'preview', platform: input.platform ?? 'feishu', agentId: agent.id, ...credentials }, agent };
  }

  private use(sessionId: string): Session {
    const session = this.sessions.get(sessionId);
    if (!session) throw new RpcError('not_found', 'This preview has ended: open it again.', 'sessionId');
    session.usedAt = this.now();
    return session;
  }

  private leastRecent(): string | undefined {
    return [...this.sessions.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0]?.[0];
  }

  private async sweep(): Promise<void> {
    for (const [id, s] of this.sessions) if (this.now() - s.usedAt > IDLE_MS) await this.close(id);
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}
