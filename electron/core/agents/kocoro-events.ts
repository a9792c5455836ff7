import { z } from 'zod';
import type { AgentStep, AgentUsage } from './provider';

/**
 * The events of the Kocoro daemon's `POST /message` SSE stream, as its `sseEventHandler` writes
 * them (agents/README.md has them with their sources):
 *
 * | event | data | here |
 * |---|---|---|
 * | `tool` | `{tool, tool_use_id, status: running, args}` then `{…, status: completed, elapsed (s), is_error, preview}` | a step |
 * | `approval` | `{request_id, tool, title, args (a JSON string, not redacted), flags?, agent, channel, thread_id, session_id, source}` | an approval; the agent blocks until `POST /approval` or 5 minutes |
 * | `assistant_text` | `{text}` mid-turn narration | narration |
 * | `delta` | `{text}` (in practice the text arrives in `done`) | answer text |
 * | `usage` | `{input_tokens, output_tokens, total_tokens, cost_usd, llm_calls, model}` per LLM turn | usage |
 * | `done` | `RunAgentResult`: `{reply, usage, partial?, failure_code?, …}` | the authoritative answer |
 * | `error` | `{error, code?}` | a failure |
 * | `injected` | the route key (plain text): the message joined a run already going on that route | a failure: no answer comes on this stream |
 * | `cloud_agent`, `cloud_progress`, `cloud_plan` | cloud workflow progress | narration |
 * | `session_started` | `{session_id}` | ignored: the daemon keys sessions by `source` + `channel` itself |
 * | `injected_committed` | `{message_id, text}` | ignored: only for `client_message_id`s, which Kocoro Desktop never sends |
 *
 * `question` (ask_user_question) is never sent for `source` feishu/lark: the daemon gives those
 * runs no question asker (`shouldInjectQuestionAsker`), so the agent asks in prose instead.
 */

const num = z.number().finite();

export const toolEventSchema = z
  .object({
    tool: z.string().min(1),
    tool_use_id: z.string().optional(),
    status: z.enum(['running', 'completed']),
    args: z.string().optional(),
    elapsed: num.optional(),
    is_error: z.boolean().optional(),
    preview: z.string().optional(),
  })
  .loose();

export const approvalEventSchema = z
  .object({
    request_id: z.string().min(1),
    tool: z.string().min(1),
    title: z.string().optional(),
    args: z.string().optional(),
    flags: z.array(z.string()).nullish(),
  })
  .loose();

export const usageSchema = z
  .object({
    input_tokens: num.optional(),
    output_tokens: num.optional(),
    total_tokens: num.optional(),
    cost_usd: num.optional(),
  })
  .loose();

export const doneEventSchema = z
  .object({
    reply: z.string().optional(),
    usage: usageSchema.nullish(),
    partial: z.boolean().optional(),
    failure_code: z.string().optional(),
  })
  .loose();

export const textEventSchema = z.object({ text: z.string().optional(), delta: z.string().optional() }).loose();
export const errorEventSchema = z.object({ error: z.unknown().optional(), message: z.unknown().optional() }).loose();
export const cloudAgentSchema = z
  .object({ agent_id: z.string().optional(), status: z.string().optional(), message: z.string().optional() })
  .loose();
export const cloudProgressSchema = z.object({ completed: num, total: num }).loose();
export const cloudPlanSchema = z.object({ type: z.string().optional() }).loose();

/** `always_allow_disabled`: the tool needs fresh consent every time (the daemon's `ApprovalFlagAlwaysAllowDisabled`). */
export const ALWAYS_ALLOW_DISABLED = 'always_allow_disabled';

/** An event's data as JSON, or undefined when it is not JSON (plain text). */
export function eventJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function usageOf(u: z.infer<typeof usageSchema>): AgentUsage {
  return {
    ...(u.input_tokens !== undefined ? { inputTokens: u.input_tokens } : {}),
    ...(u.output_tokens !== undefined ? { outputTokens: u.output_tokens } : {}),
    ...(u.total_tokens !== undefined ? { totalTokens: u.total_tokens } : {}),
    ...(u.cost_usd !== undefined ? { costUsd: u.cost_usd } : {}),
  };
}

export function stepOf(e: z.infer<typeof toolEventSchema>, redact: (text: string) => string): AgentStep {
  const detail = e.status === 'running' ? argsSummary(e.tool, e.args ?? '', redact) : undefined;
  return {
    id: e.tool_use_id || e.tool,
    tool: e.tool,
    ...(detail ? { detail } : {}),
    status: e.status === 'running' ? 'running' : e.is_error ? 'failed' : 'done',
    ...(e.elapsed !== undefined ? { elapsedMs: Math.round(e.elapsed * 1000) } : {}),
  };
}

/**
 * One line saying what a tool call does: its `description` (the daemon asks every tool that needs
 * approval for one), else the argument the channel guide names per tool (`command` for bash,
 * `file_path` for file_write / file_edit, `url` for http), else the JSON itself. Redacted, then
 * shortened, so a secret cut in half is never shown.
 */
export function argsSummary(tool: string, args: string, redact: (text: string) => string, max = 160): string {
  const parsed = eventJson(args);
  const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const pick = (...keys: string[]) => keys.map((k) => fields[k]).find((v): v is string => typeof v === 'string' && v.trim() !== '');
  const text = pick('description') ?? pick('command', 'file_path', 'path', 'url', 'query') ?? (tool && args.trim() ? args : '');
  return shorten(redact(text.replace(/\s+/g, ' ').trim()), max);
}

function shorten(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}
