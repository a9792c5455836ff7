import type { AgentProgress, AgentStep } from '../../agents/provider';
import type { ChatPhrases } from '../../i18n/chat-text';

/** Lines the card shows at most while the agent works: the newest ones, with a count of the others. */
const SHOWN_LINES = 12;
const LINE_CHARS = 140;
/** Characters of steps the finished card keeps (a card is at most 30 KB of JSON, most of it for the answer). */
const PANEL_CHARS = 4_000;

interface Line {
  kind: 'step' | 'narration';
  step?: AgentStep & { waiting?: 'chat' | 'dm' };
  text?: string;
}

/**
 * The agent's steps in one answer, as the streaming card shows them above the text: one line per
 * tool call (name, what it does, running / done / failed, how long) and the agent's narration.
 * Everything in it was written by the agent or its tools: the card sanitizes it like the answer.
 */
export class StepLog {
  private readonly lines: Line[] = [];
  private tools = 0;

  constructor(private readonly say: ChatPhrases) {}

  /** Takes one progress event; true when what the card shows changed. */
  apply(progress: AgentProgress): boolean {
    if (progress.kind === 'narration') {
      this.lines.push({ kind: 'narration', text: progress.text });
      return true;
    }
    if (progress.kind !== 'step') return false;
    const { step } = progress;
    const earlier = this.lines.find((l) => l.step?.id === step.id && l.step.status === 'running');
    if (earlier?.step) {
      // The end of a call keeps the detail its start had (the daemon sends args only then).
      earlier.step = { ...earlier.step, ...step, detail: step.detail ?? earlier.step.detail, waiting: undefined };
    } else {
      this.lines.push({ kind: 'step', step });
      this.tools++;
    }
    return true;
  }

  /** The running call of `tool` waits for a decision (in this chat's card, or in the asker's direct chat). */
  waiting(tool: string, where: 'chat' | 'dm' | undefined): boolean {
    const line = [...this.lines].reverse().find((l) => l.step?.tool === tool && l.step.status === 'running');
    if (!line?.step || line.step.waiting === where) return false;
    line.step = { ...line.step, waiting: where };
    return true;
  }

  get empty(): boolean {
    return this.lines.length === 0;
  }

  /** The newest lines as markdown. */
  markdown(): string {
    const shown = this.lines.slice(-SHOWN_LINES).map((l) => this.render(l));
    const hidden = this.lines.length - shown.length;
    return [...(hidden > 0 ? [`… +${hidden}`] : []), ...shown].join('\n');
  }

  /**
   * The lines for the finished card's folded panel: all of them, up to a size that leaves the
   * answer its room in the card's 30 KB (the newest kept, a count for the others).
   */
  allMarkdown(maxChars = PANEL_CHARS): string {
    const out: string[] = [];
    let size = 0;
    for (const line of [...this.lines].reverse().map((l) => this.render(l))) {
      if (size + line.length + 1 > maxChars) break;
      out.unshift(line);
      size += line.length + 1;
    }
    const hidden = this.lines.length - out.length;
    return [...(hidden > 0 ? [`… +${hidden}`] : []), ...out].join('\n');
  }

  /** "Used 3 tools · 14 s". */
  summary(totalMs: number): string {
    const time = seconds(totalMs);
    return this.tools === 1 ? this.say('steps.summaryOne', { time }) : this.say('steps.summary', { count: String(this.tools), time });
  }

  private render(line: Line): string {
    if (line.kind === 'narration') return `💬 _${clip(oneLine(line.text ?? ''))}_`;
    const step = line.step!;
    const icon = step.waiting ? '⏸️' : step.status === 'running' ? '⏳' : step.status === 'done' ? '✅' : '❌';
    const detail = step.detail ? ` · ${clip(oneLine(step.detail))}` : '';
    const state = step.waiting
      ? ` · ${this.say(step.waiting === 'dm' ? 'steps.waitingDm' : 'steps.waiting')}`
      : step.elapsedMs !== undefined
        ? ` · ${seconds(step.elapsedMs)}`
        : '';
    return `${icon} **${clip(step.tool, 40)}**${detail}${state}`;
  }
}

function oneLine(text: string): string {
  // One line, so a heading, list or code fence cannot change the card's layout; backticks would open code.
  return text.replace(/\s+/g, ' ').replace(/`/g, "'");
}

function clip(text: string, max = LINE_CHARS): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** "0.4 s", "14 s", "2 min 5 s". */
export function seconds(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
}
