/**
 * Removes secrets from anything that leaves the process: log lines, replies to a chat, events to
 * the UI. Values are registered as they are resolved from config or saved in the app, so a secret
 * echoed back by a library (an error message, a request dump) or printed by an agent is caught too.
 * Each secret is also caught in the forms it takes inside JSON and URLs.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();
  /** Longest first, so a secret that contains another is hidden whole. */
  private ordered: string[] = [];

  /** Secrets shorter than this would hide ordinary words; no real credential is that short. */
  static readonly MIN_LENGTH = 4;

  add(value: string | undefined): void {
    if (!value || value.length < SecretRedactor.MIN_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    const forms = new Set([
      value,
      JSON.stringify(value).slice(1, -1),
      JSON.stringify(JSON.stringify(value)).slice(1, -1),
      encodeURIComponent(value),
    ]);
    this.ordered = [...new Set([...this.ordered, ...forms])].sort((a, b) => b.length - a.length);
  }

  /**
   * For text that is still growing (a streamed answer): redacted, and without a trailing start of
   * a secret, which the next chunk might complete. The held-back part shows once the text is final.
   */
  redactGrowing(text: string): string {
    const out = this.redact(text);
    let cut = out.length;
    for (const s of this.ordered) {
      for (let k = Math.min(s.length - 1, out.length); k > 0; k--) {
        if (out.endsWith(s.slice(0, k))) {
          cut = Math.min(cut, out.length - k);
          break;
        }
      }
    }
    return out.slice(0, cut);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.ordered) if (out.includes(s)) out = out.split(s).join('***');
    // Tenant/user access tokens are bearer credentials too, wherever they appear.
    return out.replace(ACCESS_TOKEN, '$1-***');
  }
}

/**
 * A tenant or user access token (`t-g1044ghJRUIJJ5ELPZ…`, `u-3Pe2h0oHR3rXZpdMX…`): `t-`/`u-` and
 * 20 or more letters and digits, at least one a digit. Ordinary words (`t-shirt-collection`,
 * `u-turn`) have hyphens, are short, or have no digit.
 */
const ACCESS_TOKEN = /\b([tu])-(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{20,}\b/g;

/** `"password": "…"`, `token=…`, `Authorization: Bearer …`: the value of anything named like a credential. */
const NAMED_SECRET =
  /((?:["']?)(?:[\w-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|authorization|cookie)[\w-]*)(?:["']?)\s*[:=]\s*)("[^"]*"|'[^']*'|(?:bearer\s+)?[^\s,;&"'}]+)/gi;
/** Credentials recognisable by their shape alone (OpenAI/Anthropic keys, GitHub and Slack tokens, AWS key ids, JWTs). */
const SHAPED_SECRET =
  /\b(?:sk-(?:ant-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/g;

/**
 * Credentials recognisable by their shape alone, each replaced by `***`, and how many there were.
 * For what a person must read whole before deciding (a tool call's arguments): nothing else is
 * hidden, so "whatever follows `token=`" stays visible.
 */
export function redactShapedCredentials(text: string): { text: string; count: number } {
  let count = 0;
  const hide = (): string => {
    count++;
    return '***';
  };
  const out = text.replace(SHAPED_SECRET, hide).replace(ACCESS_TOKEN, (_m, kind: string) => `${kind}-${hide()}`);
  return { text: out, count };
}

/**
 * For a one-line summary of what an agent is doing (a step of its progress): credentials it may
 * carry are hidden even when this app never knew them. Keeps the name, hides the value.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(NAMED_SECRET, (_m, name: string, value: string) => {
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      return `${name}${quote}***${quote}`;
    })
    .replace(SHAPED_SECRET, '***');
}
