import path from 'node:path';
import type { BotConfig } from '@shared/config-schema';
import type { Logger } from '../../log/logger';
import { ConversationStore, DEFAULT_BUDGET } from './conversation-store';
import { DEFAULT_DEDUPE_TTL_MS, DedupeStore } from './dedupe';
import { BotFileStore, filePolicy } from './file-store';
import { BotStateFile } from './bot-state';
import { DurableInbox } from './inbox';
import { describeWriteError } from '../intake/intake';
import { type BotStore, LocalStopSignals } from './bot-store';

/** What one bot keeps in its folder of the data dir (`<data dir>/bots/<id>`): its state (bot-store.ts), and the files people sent. */
export interface BotStores extends BotStore {
  files: BotFileStore;
  /** Writes what is kept in memory and lets go of what the store holds for the bot (the file store: its record). */
  close?(): Promise<void>;
}

/**
 * The file implementation of the bot's store, over its folder: `inbox/` (one file per entry,
 * written atomically and fsynced), `dedupe.jsonl` (an append-only log, fsynced in group commits),
 * `conversations/` (one append-only log per conversation), `state.json` (written at most once a
 * second). Files past their retention are removed now, at every start.
 */
export async function openBotStores(dir: string, bot: Pick<BotConfig, 'files'>, log: Logger, now: () => number): Promise<BotStores> {
  const inbox = await DurableInbox.open(path.join(dir, 'inbox'), log);
  const dedupe = await DedupeStore.open(path.join(dir, 'dedupe.jsonl'), DEFAULT_DEDUPE_TTL_MS, now);
  const files = new BotFileStore(path.join(dir, 'files'), filePolicy(bot), log, now);
  await files.prune().catch((err: unknown) => log.log('warn', 'attachment.prune_failed', { error: describeWriteError(err) }));
  const state = await BotStateFile.open(path.join(dir, 'state.json'), log);
  const conversations = new ConversationStore(path.join(dir, 'conversations'), log, DEFAULT_BUDGET, now);
  return {
    inbox,
    dedupe,
    files,
    state,
    conversations,
    stops: new LocalStopSignals(),
    async accept(entry) {
      await inbox.put(entry);
      await dedupe.add(entry.messageId);
    },
  };
}
