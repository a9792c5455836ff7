import path from 'node:path';
import type { BotConfig } from '@shared/config-schema';
import type { Logger } from '../log/logger';
import { ConversationStore } from './conversation-store';
import { DedupeStore } from './dedupe';
import { BotFileStore, filePolicy } from './file-store';
import { BotStateFile } from './bot-state';
import { DurableInbox } from './inbox';
import { describeWriteError } from './intake';

/** What one bot keeps in its folder of the data dir (`<data dir>/bots/<id>`). */
export interface BotStores {
  inbox: DurableInbox;
  dedupe: DedupeStore;
  files: BotFileStore;
  conversations: ConversationStore;
  /** The last message and the loop guard's counts, across restarts. */
  state: BotStateFile;
}

/** Opens the bot's folder; files past their retention are removed now, at every start. */
export async function openBotStores(dir: string, bot: Pick<BotConfig, 'files'>, log: Logger, now: () => number): Promise<BotStores> {
  const inbox = await DurableInbox.open(path.join(dir, 'inbox'), log);
  const dedupe = await DedupeStore.open(path.join(dir, 'dedupe.jsonl'));
  const files = new BotFileStore(path.join(dir, 'files'), filePolicy(bot), log, now);
  await files.prune().catch((err: unknown) => log.log('warn', 'attachment.prune_failed', { error: describeWriteError(err) }));
  const state = await BotStateFile.open(path.join(dir, 'state.json'), log);
  return { inbox, dedupe, files, state, conversations: new ConversationStore(path.join(dir, 'conversations'), log) };
}
