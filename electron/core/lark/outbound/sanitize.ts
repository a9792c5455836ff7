/**
 * What an agent writes is not trusted. Before it is sent, platform markup that acts rather than
 * shows is made inert: `<at id=all>`, `<at user_id="all">` (which would ping the whole group),
 * mentions of anyone, and `<person>` tags, in cards and posts alike (lark/README.md §5.3, §5.11).
 * A zero-width space after `<` keeps the text readable and the tag dead. The bot itself never
 * mentions anyone yet; a feature that does will add its mention after this step.
 */
const ACTIVE_TAG = /<(\/?)(at|person)(?=[\s>/])/gi;

export function neutraliseMarkup(text: string): string {
  return text.replace(ACTIVE_TAG, '<\u200B$1$2');
}

/** How outgoing text is made safe: secrets hidden (all of it, or a growing text without a secret's start), markup made inert. */
export type Sanitize = (text: string, final: boolean) => string;

export function outboundSanitizer(
  redactor: { add(secret: string | undefined): void; redact(t: string): string; redactGrowing(t: string): string } | undefined,
  /** Secrets to hide besides those the redactor knows (the bot's own). */
  own: Array<string | undefined> = [],
): Sanitize {
  for (const secret of own) redactor?.add(secret);
  return (text, final) => neutraliseMarkup(redactor ? (final ? redactor.redact(text) : redactor.redactGrowing(text)) : text);
}
