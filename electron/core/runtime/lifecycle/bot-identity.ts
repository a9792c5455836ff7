import type { BotInfo, LarkApi } from '../../lark/api';
import { toLarkApiError } from '../../lark/errors';
import type { Logger } from '../../log/logger';
import type { BotStatusReporter } from './bot-status';

/**
 * The bot's own open_id and name (`bot/v3/info`, lark/README.md §5.2): needed to recognise an
 * @mention of the bot and to take it out of the text. Fetched at start, and again when a message
 * needs it and it is still unknown.
 */
export class BotIdentitySource {
  private known: BotInfo | undefined;

  constructor(private readonly deps: { api: Pick<LarkApi, 'botInfo'>; log: Logger; status: BotStatusReporter }) {}

  get current(): BotInfo | undefined {
    return this.known;
  }

  /** The identity, fetched now if it is not known yet. */
  async get(): Promise<BotInfo | undefined> {
    return this.known ?? (await this.refresh());
  }

  async refresh(): Promise<BotInfo | undefined> {
    const { log } = this.deps;
    try {
      this.known = await this.deps.api.botInfo();
      this.deps.status.identity(this.known);
      log.log('info', 'bot.identity', { openId: this.known.openId, name: this.known.name });
      if (this.known.activateStatus !== 2) {
        log.log('warn', 'bot.not_activated', {
          activateStatus: this.known.activateStatus,
          hint: 'publish the app and have it approved so members can use the bot',
        });
      }
    } catch (err) {
      log.log('error', 'bot.identity_failed', {
        error: toLarkApiError(err).message,
        hint: 'enable the Bot capability under "Add Features" and publish a version; group @mentions cannot be recognised until then',
      });
    }
    return this.known;
  }
}
