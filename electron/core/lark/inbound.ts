import { z } from 'zod';
import { formatZodError } from '@shared/config-schema';

/**
 * `im.message.receive_v1` as the SDK's EventDispatcher hands it over: header and event flattened
 * into one object (docs/lark-platform.md §3.1, §3.2). Unknown fields pass through untouched.
 */
const idSchema = z.object({ open_id: z.string().optional(), union_id: z.string().optional(), user_id: z.string().nullish() }).loose();

export const messageEventSchema = z
  .object({
    event_id: z.string().min(1),
    event_type: z.literal('im.message.receive_v1'),
    create_time: z.string().optional(),
    sender: z
      .object({
        sender_id: idSchema,
        sender_type: z.string(),
        tenant_key: z.string().optional(),
      })
      .loose(),
    message: z
      .object({
        message_id: z.string().min(1),
        root_id: z.string().optional(),
        parent_id: z.string().optional(),
        create_time: z.string().optional(),
        chat_id: z.string().min(1),
        thread_id: z.string().optional(),
        chat_type: z.enum(['p2p', 'group']),
        message_type: z.string().min(1),
        content: z.string(),
        mentions: z
          .array(
            z
              .object({
                key: z.string(),
                id: idSchema,
                name: z.string().optional(),
                tenant_key: z.string().optional(),
                mentioned_type: z.string().optional(),
              })
              .loose(),
          )
          .optional(),
      })
      .loose(),
  })
  .loose();

export type MessageEvent = z.infer<typeof messageEventSchema>;

export type ParseResult = { ok: true; event: MessageEvent } | { ok: false; error: string };

export function parseMessageEvent(data: unknown): ParseResult {
  const parsed = messageEventSchema.safeParse(data);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, error: formatZodError(parsed.error, 'im.message.receive_v1') };
}

/** Whether the bot itself is @mentioned; `@_all` is not a mention of the bot (it is not in `mentions`). */
export function mentionsBot(event: MessageEvent, botOpenId: string): boolean {
  return (event.message.mentions ?? []).some((m) => m.id.open_id === botOpenId);
}
