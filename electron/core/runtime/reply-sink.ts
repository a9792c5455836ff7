import type { LarkApi } from '../lark/api';
import { postContent, splitMarkdown } from '../lark/outbound-text';
import { replyUuid } from './reply-uuid';

export type ReplyOutcome = 'answered' | 'failed' | 'stopped';

/**
 * Where one answer goes while the agent writes it. The runtime calls `begin` before the agent
 * starts, `push` for every delta, then `finish` with the whole text. Implementations decide how the
 * answer shows up in Lark (one final message, a streaming card…). `finish` throws Lark errors as
 * they are; the runtime decides about retries.
 */
export interface ReplySink {
  begin(): Promise<void>;
  push(delta: string): void;
  finish(result: { text: string; outcome: ReplyOutcome }): Promise<{ replyId: string; parts: number }>;
}

export interface ReplyTarget {
  /** The user's message being answered. */
  messageId: string;
  /** Whether the user's message is inside a thread (the reply then stays in it). */
  inThread: boolean;
}

/**
 * The answer as markdown `post` replies once it is complete, split before the platform's size
 * limit. Each part carries a stable uuid, so a reply sent just before a crash is not sent twice.
 */
export class PostReplySink implements ReplySink {
  constructor(
    private readonly api: LarkApi,
    private readonly target: ReplyTarget,
  ) {}

  async begin(): Promise<void> {}

  push(): void {}

  async finish({ text }: { text: string }): Promise<{ replyId: string; parts: number }> {
    const parts = splitMarkdown(text);
    let replyId = '';
    for (const [i, part] of parts.entries()) {
      const sent = await this.api.replyMessage(this.target.messageId, {
        msgType: 'post',
        content: postContent(part),
        uuid: replyUuid(this.target.messageId, i),
        replyInThread: this.target.inThread,
      });
      replyId = sent.messageId;
    }
    return { replyId, parts: parts.length };
  }
}
