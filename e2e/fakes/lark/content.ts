import { hex } from './ids.js';
import { isObject } from './http-util.js';

/**
 * Receive-side `message.content` per `message_type` (lark/README.md §3.3), for `pushMessage({messageType, content})`.
 * The keys are the ones `addResource` / `resources` take, so a pushed image can be downloaded (lark/README.md §5.8).
 */
export const newImageKey = (): string => `img_v3_${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}g`;
export const newFileKey = (): string => `file_v3_${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}g`;

type PostNode = Record<string, unknown>;

export const messageContent = {
  image: (imageKey: string) => ({ image_key: imageKey }),
  file: (fileKey: string, fileName: string) => ({ file_key: fileKey, file_name: fileName }),
  audio: (fileKey: string, durationMs: number) => ({ file_key: fileKey, duration: durationMs }),
  media: (fileKey: string, imageKey: string, fileName: string, durationMs: number) => ({
    file_key: fileKey,
    image_key: imageKey,
    file_name: fileName,
    duration: durationMs,
  }),
  sticker: (fileKey: string) => ({ file_key: fileKey }),
  /** Received posts have no locale wrapper (lark/README.md §3.3); each inner array is a paragraph. */
  post: (title: string, paragraphs: PostNode[][]) => ({ title, content: paragraphs }),
  /** Cards come back simplified: `{title, elements:[[…]]}` (lark/README.md §3.3). */
  interactive: (title: string, elements: PostNode[][]) => ({ title, elements }),
  /** lark/README.md §3.3 gives no shape; this is the placeholder text clients show for a merged-forward bundle [UNCONFIRMED]. */
  mergeForward: () => ({ content: 'Merged and Forwarded Message' }),
};

/** What reading a JSON 2.0 card back returns instead of the card (lark/README.md §3.3: "not returned"); the text is the fake's choice. */
const CARD_V2_PLACEHOLDER = { title: '', elements: [[{ tag: 'text', text: '请升级至最新版本客户端，以查看内容' }]] };

/**
 * `body.content` of a bot-sent message when read back (lark/README.md §3.3): cards are simplified, JSON 2.0 cards and
 * card entities replaced by a placeholder; everything else is returned as sent.
 */
export function readBackContent(msgType: string, content: string): string {
  if (msgType !== 'interactive') return content;
  let card: unknown;
  try {
    card = JSON.parse(content);
  } catch {
    return content;
  }
  if (!isObject(card) || card.type === 'card' || card.type === 'template' || card.schema === '2.0')
    return JSON.stringify(CARD_V2_PLACEHOLDER);
  const header = isObject(card.header) && isObject(card.header.title) ? card.header.title.content : undefined;
  const rows = (Array.isArray(card.elements) ? card.elements : []).flatMap((el): PostNode[][] => {
    if (!isObject(el)) return [];
    if (el.tag === 'markdown' && typeof el.content === 'string') return [[{ tag: 'text', text: el.content }]];
    if (el.tag === 'div' && isObject(el.text) && typeof el.text.content === 'string') return [[{ tag: 'text', text: el.text.content }]];
    if (el.tag === 'action' && Array.isArray(el.actions)) {
      return [
        el.actions
          .filter(isObject)
          .map((a) => ({ tag: 'button', text: isObject(a.text) ? a.text.content : '', type: a.type ?? 'default' })),
      ];
    }
    return [];
  });
  return JSON.stringify({ title: typeof header === 'string' ? header : '', elements: rows });
}
