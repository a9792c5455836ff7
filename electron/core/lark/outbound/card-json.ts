/**
 * Card JSON 2.0 for the streaming reply (lark/README.md §5.11): one markdown element the
 * answer is streamed into, and while streaming a "Stop" button whose callback names the run.
 */

export const STREAM_ELEMENT_ID = 'stream_md';
/** The agent's steps above the answer (tool calls, narration) while it works. */
export const STEPS_ELEMENT_ID = 'steps_md';
export const STOP_BUTTON_ID = 'stop_btn';
/** `action.value.kocoro` of the Stop button's callback (lark/README.md §3.5). */
export const STOP_ACTION = 'stop';

/** The platform refuses cards over 30 KB of JSON (200860 / 230025); stay well under it. */
export const CARD_JSON_BUDGET_BYTES = 24 * 1024;

export interface StopValue {
  kocoro: typeof STOP_ACTION;
  /** The user's message the run answers. */
  messageId: string;
}

/** The card while the answer streams: its steps so far (when the agent reports any), placeholder or text so far, and the Stop button. */
export function streamingCard(
  text: string,
  stop: { messageId: string; label: string } | undefined,
  summary = 'Generating…',
  steps?: string,
): object {
  const elements: object[] = [];
  if (steps !== undefined) elements.push(stepsMarkdown(steps));
  elements.push(markdown(text));
  if (stop) {
    elements.push({
      tag: 'button',
      element_id: STOP_BUTTON_ID,
      text: { tag: 'plain_text', content: stop.label },
      type: 'default',
      size: 'small',
      behaviors: [{ type: 'callback', value: { kocoro: STOP_ACTION, messageId: stop.messageId } satisfies StopValue }],
    });
  }
  return {
    schema: '2.0',
    config: {
      streaming_mode: true,
      update_multi: true,
      summary: { content: summary },
      streaming_config: { print_frequency_ms: { default: 30 }, print_step: { default: 2 }, print_strategy: 'fast' },
    },
    body: { elements },
  };
}

/** What a finished answer shows around its text: the agent's steps folded into one line, and a footer (token use). */
export interface CardExtras {
  steps?: { summary: string; lines: string };
  footer?: string;
}

/**
 * The finished card: the steps as a collapsed panel ("Used 3 tools · 14 s", opened with a click),
 * the final text, the footer in small print; no button, streaming off.
 */
export function finalCard(text: string, extras: CardExtras = {}): object {
  const elements: object[] = [];
  if (extras.steps) {
    elements.push({
      tag: 'collapsible_panel',
      element_id: 'steps_panel',
      expanded: false,
      header: {
        title: { tag: 'plain_text', content: extras.steps.summary },
        icon: { tag: 'standard_icon', token: 'down-small-ccm_outlined' },
        icon_position: 'right',
        icon_expanded_angle: -180,
      },
      elements: [stepsMarkdown(extras.steps.lines)],
    });
  }
  elements.push(markdown(text));
  if (extras.footer) elements.push({ tag: 'markdown', element_id: 'footer_md', text_size: 'notation', content: extras.footer });
  return {
    schema: '2.0',
    config: { streaming_mode: false, update_multi: true, summary: { content: cardSummary(text) } },
    body: { elements },
  };
}

/** What the chat list shows for the card (the SDK truncates to 50 characters too). */
export function cardSummary(text: string): string {
  const flat = text
    .replace(/```[^\n]*\n?/g, '')
    .replace(/[#*_`>[\]]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...flat];
  return chars.length > 50 ? `${chars.slice(0, 49).join('')}…` : flat || '…';
}

/** Bytes of the card as the platform measures it: its JSON, UTF-8. */
export function cardBytes(card: object): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

function markdown(text: string): object {
  return { tag: 'markdown', element_id: STREAM_ELEMENT_ID, content: text };
}

function stepsMarkdown(steps: string): object {
  return { tag: 'markdown', element_id: STEPS_ELEMENT_ID, text_size: 'notation', content: steps || '…' };
}
