import { promises as fs } from 'node:fs';
import path from 'node:path';
import { editSettings, liveSettingsChanged, liveSettingsOf, settingOf, startSettings } from '@shared/bot-settings';
import { PLATFORM_DOMAIN } from '@shared/platform';
import { type Handlers, type ReceiveMode, RpcError } from '@shared/contract';
import type { Platform } from '@shared/config-schema';
import { BotDirectory } from './bot-directory';
import type { AppBot } from '../store/app-store';
import { type BotRecord, secretKeys } from './catalog';
import { checkCredentials, openPlatformBase } from './check-credentials';
import { configFileName } from './config-file-name';
import { botIdFor } from './ids';
import type { ServiceContext } from './service-context';

type BotHandlers = Pick<
  Handlers,
  | 'bots.list'
  | 'bots.checkCredentials'
  | 'bots.create'
  | 'bots.update'
  | 'bots.setEnabled'
  | 'bots.remove'
  | 'bots.activity'
  | 'bots.searchPeople'
  | 'bots.searchChats'
  | 'bots.held'
  | 'bots.resolveHeld'
  | 'bots.figures'
>;

export function botHandlers(ctx: ServiceContext): BotHandlers {
  const { catalog, store, vault, views, launcher, events, redactor } = ctx;
  const directory = new BotDirectory({ catalog, logger: ctx.logger });

  /** The app's own bot with this id; config bots are read-only and unknown ids say so. */
  const editable = (id: string): BotRecord & { managedBy: 'app' } => {
    const record = catalog.bot(id);
    if (!record) throw new RpcError('not_found', `There is no bot "${id}".`, 'id');
    if (record.managedBy === 'config') {
      throw new RpcError(
        'read_only',
        `Bot "${id}" comes from ${configFileName(ctx.configFile)}: change it there; the app does not edit that file.`,
        'id',
      );
    }
    return record as BotRecord & { managedBy: 'app' };
  };

  const requireAgent = (agentId: string) => {
    if (!catalog.agent(agentId))
      throw new RpcError('not_found', `There is no agent "${agentId}": choose one of the listed agents, or create one first.`, 'agentId');
  };

  const viewOf = async (id: string) => {
    const record = catalog.bot(id);
    if (!record) throw new RpcError('not_found', `There is no bot "${id}".`, 'id');
    return views.bot(record);
  };

  /**
   * The App Secret typed in (with the Open Platform URL typed in, if any), or the one a scan created
   * (kept in the core, named by its registration) with the Open Platform of that registration. A
   * scan's secret goes only there: a registration id with another platform or with any URL beside
   * it is refused, so no caller can have the core send that secret to a host of their choosing.
   */
  const credentialsOf = (input: {
    platform: Platform;
    appId: string;
    appSecret?: string;
    registrationId?: string;
    domain?: string;
  }): { appSecret: string; domain?: string } => {
    if (input.appSecret) return { appSecret: input.appSecret, ...(input.domain ? { domain: input.domain } : {}) };
    const created = input.registrationId ? ctx.registrations.credentials(input.registrationId) : undefined;
    if (created && input.domain)
      throw new RpcError(
        'invalid_input',
        'domain: an app created by scanning is used on its own Open Platform, not a URL given here',
        'domain',
      );
    if (created && created.appId === input.appId && created.platform === input.platform)
      return { appSecret: created.appSecret, ...(created.domain ? { domain: created.domain } : {}) };
    throw new RpcError(
      'invalid_input',
      input.registrationId
        ? 'appSecret: the scan that created this app is no longer known: paste the App Secret'
        : 'appSecret: App Secret must not be empty',
      'appSecret',
    );
  };

  const saveSecret = async (key: string, value: string | undefined) => {
    if (value) {
      redactor.add(value);
      await vault.set(key, value);
    } else {
      await vault.delete(key);
    }
  };

  /**
   * A webhook bot checks every request with its Encrypt Key and Verification Token, so it cannot be
   * saved without them; and only a server (headless) has a URL the platform can reach.
   */
  const requireWebhookSecrets = (receive: ReceiveMode, has: { encryptKey: boolean; verificationToken: boolean }, changed: boolean) => {
    if (receive !== 'webhook') return;
    if (changed && ctx.mode === 'desktop')
      throw new RpcError(
        'invalid_input',
        'receive: webhook mode needs a server the platform can reach: run Kocoro headless (npm run headless -- --webhook PORT)',
        'receive',
      );
    if (!has.encryptKey)
      throw new RpcError(
        'invalid_input',
        'encryptKey: webhook mode needs the Encrypt Key (Events & Callbacks → Encryption Strategy)',
        'encryptKey',
      );
    if (!has.verificationToken)
      throw new RpcError(
        'invalid_input',
        'verificationToken: webhook mode needs the Verification Token (Events & Callbacks → Encryption Strategy)',
        'verificationToken',
      );
  };

  return {
    'bots.list': async () => Promise.all(catalog.bots().map((b) => views.bot(b))),

    'bots.checkCredentials': async (input) => {
      const { appSecret, domain } = credentialsOf(input);
      redactor.add(appSecret);
      return checkCredentials(
        { platform: input.platform, appId: input.appId, appSecret, ...(domain ? { domain } : {}) },
        { logger: ctx.logger.child({ op: 'bots.checkCredentials', appId: input.appId }) },
      );
    },

    'bots.create': (input) =>
      ctx.exclusive(async () => {
        requireAgent(input.agentId);
        const twin = catalog.botWithAppId(input.appId) ?? store.bots().find((b) => b.appId.toLowerCase() === input.appId.toLowerCase());
        if (twin) {
          throw new RpcError(
            'conflict',
            `This app is already registered as bot ${describe(twin)}. One app can serve only one bot: the platform would split its messages between two connections.`,
            'appId',
          );
        }
        const receive = input.receive ?? startSettings.receive.default;
        requireWebhookSecrets(
          receive,
          { encryptKey: Boolean(input.encryptKey), verificationToken: Boolean(input.verificationToken) },
          true,
        );
        const id = botIdFor(input.platform, input.appId, (candidate) => catalog.botIdTaken(candidate));
        const credentials = credentialsOf(input);
        const domain = customDomain(input.platform, credentials.domain);
        const displayName = input.displayName || undefined;
        const identity: AppBot = {
          id,
          platform: input.platform,
          appId: input.appId,
          agentId: input.agentId,
          ...(displayName ? { displayName } : {}),
          ...(domain ? { domain } : {}),
        };
        const record = withReceive(editSettings(identity, input), input.receive);
        await saveSecret(secretKeys.appSecret(id), credentials.appSecret);
        await saveSecret(secretKeys.encryptKey(id), input.encryptKey);
        await saveSecret(secretKeys.verificationToken(id), input.verificationToken);
        try {
          store.putBot(record);
        } catch (err) {
          // Not saved, so nothing may be left behind under its id.
          await vault.delete(secretKeys.appSecret(id)).catch(() => undefined);
          await vault.delete(secretKeys.encryptKey(id)).catch(() => undefined);
          await vault.delete(secretKeys.verificationToken(id)).catch(() => undefined);
          throw err;
        }
        // The scan's secret now lives in the vault; the registration is done with it.
        if (input.registrationId) ctx.registrations.cancel(input.registrationId);
        ctx.logger.log('info', 'bot.created', { bot: id, platform: input.platform, appId: input.appId });
        await launcher.launch(id);
        events.emit('bots.changed', {});
        return viewOf(id);
      }),

    'bots.update': (input) =>
      ctx.exclusive(async () => {
        const current = editable(input.id);
        if (input.agentId !== undefined) requireAgent(input.agentId);
        const { managedBy: _managedBy, ...saved } = current;
        const displayName = input.displayName === undefined ? saved.displayName : input.displayName || undefined;
        const next: AppBot = withReceive(editSettings({ ...saved, agentId: input.agentId ?? saved.agentId }, input), input.receive);
        delete next.displayName;
        if (displayName) next.displayName = displayName;
        const receiveChanged = settingOf(next, 'receive') !== settingOf(saved, 'receive');
        const had = await catalog.botSecrets(current);
        requireWebhookSecrets(
          settingOf(next, 'receive'),
          {
            encryptKey: input.encryptKey !== undefined ? input.encryptKey !== '' : had.encryptKey !== undefined,
            verificationToken: input.verificationToken !== undefined ? input.verificationToken !== '' : had.verificationToken !== undefined,
          },
          receiveChanged,
        );

        if (input.appSecret !== undefined) await saveSecret(secretKeys.appSecret(input.id), input.appSecret);
        if (input.encryptKey !== undefined) await saveSecret(secretKeys.encryptKey(input.id), input.encryptKey);
        if (input.verificationToken !== undefined) await saveSecret(secretKeys.verificationToken(input.id), input.verificationToken);
        store.putBot(next);
        // A new name needs nothing; the live settings apply to the running bot's next message; a
        // new agent, secret or way of receiving needs a new start.
        const restart =
          next.agentId !== saved.agentId ||
          input.appSecret !== undefined ||
          input.encryptKey !== undefined ||
          input.verificationToken !== undefined ||
          receiveChanged;
        if (next.enabled !== false) {
          if (restart) await launcher.launch(input.id);
          else if (liveSettingsChanged(saved, next)) ctx.manager.applyLive(input.id, liveSettingsOf(next));
        }
        events.emit('bots.changed', {});
        return viewOf(input.id);
      }),

    'bots.setEnabled': (input) =>
      ctx.exclusive(async () => {
        const { managedBy: _managedBy, ...saved } = editable(input.id);
        const next: AppBot = { ...saved };
        delete next.enabled;
        if (!input.enabled) next.enabled = false;
        store.putBot(next);
        if (!input.enabled) {
          await launcher.stop(input.id);
        } else {
          const state = ctx.manager.status(input.id).state;
          // Resuming a bot that is running is a no-op; resuming a failed one is a retry.
          if (!ctx.manager.isRunning(input.id) || state === 'failed' || state === 'stopped') await launcher.launch(input.id);
        }
        events.emit('bots.changed', {});
        return viewOf(input.id);
      }),

    'bots.remove': (input) =>
      ctx.exclusive(async () => {
        editable(input.id);
        await launcher.stop(input.id);
        store.removeBot(input.id);
        await vault.delete(secretKeys.appSecret(input.id));
        await vault.delete(secretKeys.encryptKey(input.id));
        await vault.delete(secretKeys.verificationToken(input.id));
        // A runtime replaced just before may still be closing its files there: rm retries ENOTEMPTY.
        await fs.rm(path.join(ctx.dataDir, 'bots', input.id), { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
        ctx.manager.forget(input.id);
        ctx.activity.forget(input.id);
        ctx.logger.log('info', 'bot.removed', { bot: input.id });
        events.emit('bots.changed', {});
        return { removed: true as const };
      }),

    'bots.activity': async (input) => {
      if (!catalog.bot(input.id)) throw new RpcError('not_found', `There is no bot "${input.id}".`, 'id');
      return ctx.activity.list(input.id);
    },

    'bots.held': async (input) => {
      if (!catalog.bot(input.id)) throw new RpcError('not_found', `There is no bot "${input.id}".`, 'id');
      return (await ctx.manager.held(input.id)?.list()) ?? [];
    },

    'bots.resolveHeld': async (input) => {
      if (!catalog.bot(input.id)) throw new RpcError('not_found', `There is no bot "${input.id}".`, 'id');
      const held = ctx.manager.held(input.id);
      if (!held) throw new RpcError('invalid_input', 'The bot is not running: resume it first, then answer or skip its messages.', 'id');
      return { resolved: await held.resolve(input.messageIds, input.action) };
    },

    'bots.figures': async () => catalog.bots().map((b) => ctx.manager.figures(b.id)),

    'bots.searchPeople': (input) => directory.searchPeople(input.id, input.query),
    'bots.searchChats': (input) => directory.searchChats(input.id, input.query),
  };
}

/** `record` with the receive mode given (not written down when it is the default); unchanged when none is given. */
function withReceive(record: AppBot, receive: ReceiveMode | undefined): AppBot {
  if (receive === undefined) return record;
  const next: AppBot = { ...record };
  delete next.receive;
  if (receive !== startSettings.receive.default) next.receive = receive;
  return next;
}

function describe(bot: { id: string; displayName?: string }): string {
  return bot.displayName ? `"${bot.displayName}" (${bot.id})` : bot.id;
}

/** Only a URL that differs from the platform's own is worth remembering. */
function customDomain(platform: keyof typeof PLATFORM_DOMAIN, domain: string | undefined): string | undefined {
  if (!domain) return undefined;
  const base = openPlatformBase(platform, domain);
  return base === PLATFORM_DOMAIN[platform] ? undefined : base;
}
