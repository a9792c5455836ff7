import { redactCredentials } from '../log/redact';
import {
  ALWAYS_ALLOW_DISABLED,
  approvalEventSchema,
  cloudAgentSchema,
  cloudPlanSchema,
  cloudProgressSchema,
  doneEventSchema,
  errorEventSchema,
  eventJson,
  stepOf,
  textEventSchema,
  toolEventSchema,
  usageOf,
  usageSchema,
} from './kocoro-events';
import { proofLine, proveDaemon, refusal } from './daemon-identity';
import { AgentError, type AgentChunk, type AgentProvider, type AgentRequest, type ApprovalDecision } from './provider';
import { parseSse, type SseEvent } from './sse';
import { errorMessage } from '../log/error-message';

export const KOCORO_DEFAULT_URL = 'http://127.0.0.1:7533';
export const KOCORO_NOT_RUNNING = 'Kocoro daemon not running: start it with `shan daemon start`';

export interface KocoroProviderOptions {
  /** The daemon's base URL; default `http://127.0.0.1:7533`. */
  url?: string;
  /** The daemon's agent to talk to (`GET /agents` lists them). */
  agent: string;
  /** The daemon's state folder (its `--state-dir`), where its pid file proves who listens; default ~/.shannon. */
  stateDir?: string;
}

export interface KocoroAgentInfo {
  name: string;
  displayName?: string;
  description?: string;
}

function baseUrl(url: string | undefined): string {
  return (url || KOCORO_DEFAULT_URL).replace(/\/+$/, '');
}

function notRunning(url: string): AgentError {
  return new AgentError(`${KOCORO_NOT_RUNNING} (nothing answers at ${url})`, { key: 'kocoro.notRunning' });
}

/** Whether a failed fetch means nothing listens there (as opposed to our own abort). */
function isConnectionFailure(err: unknown): boolean {
  return (
    err instanceof TypeError ||
    (err instanceof Error &&
      /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|fetch failed/i.test(`${err.message} ${String((err as { cause?: unknown }).cause)}`))
  );
}

async function daemonFetch(url: string, path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(`${url}${path}`, init);
  } catch (err) {
    if (init.signal?.aborted) throw err;
    if (isConnectionFailure(err)) throw notRunning(url);
    throw err;
  }
}

async function failure(url: string, what: string, res: Response): Promise<AgentError> {
  const body = (await res.text().catch(() => '')).slice(0, 500);
  let detail = body;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    detail = String(parsed.error ?? parsed.message ?? body);
  } catch {
    // not JSON: keep the text
  }
  return new AgentError(`Kocoro daemon at ${url}: ${what} failed (${res.status}) ${detail}`.trim(), {
    key: 'kocoro.failed',
    params: { detail: detail || `HTTP ${res.status}` },
  });
}

/** `GET /agents` of a daemon, for the Agents page's select. */
export async function listKocoroAgents(url?: string, signal: AbortSignal = AbortSignal.timeout(5000)): Promise<KocoroAgentInfo[]> {
  const base = baseUrl(url);
  const res = await daemonFetch(base, '/agents', { signal, headers: { accept: 'application/json' } });
  if (!res.ok) throw await failure(base, 'listing agents', res);
  const body = (await res.json()) as { agents?: Array<{ name?: unknown; display_name?: unknown; description?: unknown }> };
  return (body.agents ?? [])
    .filter((a) => typeof a.name === 'string' && a.name !== '')
    .map((a) => ({
      name: a.name as string,
      ...(typeof a.display_name === 'string' && a.display_name ? { displayName: a.display_name } : {}),
      ...(typeof a.description === 'string' && a.description ? { description: a.description } : {}),
    }));
}

/** Who answers at the daemon's URL (daemon-identity.ts), then its `GET /health`. */
export async function kocoroHealth(
  target: { url?: string; stateDir?: string } = {},
  signal: AbortSignal = AbortSignal.timeout(5000),
): Promise<{ ok: boolean; message: string }> {
  const base = baseUrl(target.url);
  const proof = await proveDaemon({ url: base, stateDir: target.stateDir });
  if (proof.state === 'nothing') return { ok: false, message: notRunning(base).message };
  const who = proofLine(proof, base);
  if (proof.state !== 'proven' && proof.state !== 'remote') return { ok: false, message: who };
  try {
    const res = await daemonFetch(base, '/health', { signal });
    if (!res.ok) return { ok: false, message: `${who}; it answered HTTP ${res.status}` };
    const body = (await res.json().catch(() => ({}))) as { status?: unknown; version?: unknown };
    const version = typeof body.version === 'string' && body.version ? `, version ${body.version.slice(0, 40)}` : '';
    return body.status === 'ok'
      ? {
          ok: true,
          message: proof.state === 'proven' ? `${who}, running at ${base}${version}` : `${who}. A daemon answers there${version}`,
        }
      : { ok: false, message: `${who}; it reports status ${JSON.stringify(body.status ?? null)}` };
  } catch (err) {
    return { ok: false, message: `${who}; ${errorMessage(err)}` };
  }
}

/**
 * A local Kocoro daemon (`shan daemon start`). The daemon keeps the conversation itself, one
 * session per `source` + `channel` (+ `thread_id`), so only the newest user message is sent.
 * Stop aborts the request and asks the daemon to cancel the run with `POST /cancel`
 * `{agent, source, channel, thread_id}` (the same routing keys as the message).
 */
export class KocoroProvider implements AgentProvider {
  readonly acceptsImages = false;
  // The daemon runs on this computer: the paths of saved files are readable by its tools.
  readonly readsLocalFiles = true;
  private readonly url: string;

  constructor(private readonly opts: KocoroProviderOptions) {
    this.url = baseUrl(opts.url);
  }

  async *stream(request: AgentRequest): AsyncIterable<AgentChunk> {
    const { context, signal } = request;
    const last = [...request.turns].reverse().find((t) => t.role === 'user');
    const routing = {
      agent: this.opts.agent,
      source: context.platform,
      channel: context.chatId,
      ...(context.threadId ? { thread_id: context.threadId } : {}),
    };
    const body = { text: last?.text ?? '', ...routing, sender: context.senderOpenId };
    signal.throwIfAborted();
    // Nothing is sent until the program on the daemon's port is shown to be the daemon.
    const proof = await proveDaemon({ url: this.url, stateDir: this.opts.stateDir });
    if (proof.state === 'nothing') throw notRunning(this.url);
    const refused = refusal(proof, this.url);
    if (refused) throw refused;
    signal.throwIfAborted();

    const onAbort = () => void this.cancel(routing);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await daemonFetch(this.url, '/message', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify(body),
        signal,
      });
      if (!res.ok) throw await failure(this.url, 'message', res);
      if (!res.body) throw new AgentError(`Kocoro daemon at ${this.url} sent no body`, { key: 'kocoro.noAnswer' });
      // An older daemon may answer with plain JSON.
      if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
        const json = (await res.json()) as { reply?: unknown; error?: unknown };
        if (typeof json.reply !== 'string')
          throw new AgentError(`Kocoro daemon: no reply (${String(json.error ?? 'unknown')})`, { key: 'kocoro.failedToAnswer' });
        yield json.reply;
        return;
      }
      yield* this.events(parseSse(res.body), signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Best effort: the request itself is aborted anyway. */
  private async cancel(routing: object): Promise<void> {
    try {
      await fetch(`${this.url}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(routing),
        signal: AbortSignal.timeout(3000),
      });
    } catch {
      // The daemon is gone or slow: nothing more to do.
    }
  }

  /**
   * The stream's events in order (kocoro-events.ts lists them all). While an approval is open the
   * agent is blocked, so any event after it means the agent went on: a request not decided here
   * ended some other way (the daemon's timeout, or a decision in Kocoro itself).
   */
  private async *events(stream: AsyncIterable<SseEvent>, signal: AbortSignal): AsyncIterable<AgentChunk> {
    let streamed = '';
    const open = new Set<string>();
    const decidedHere = new Set<string>();
    for await (const event of stream) {
      const json = eventJson(event.data);
      for (const requestId of open) if (!decidedHere.has(requestId)) yield { kind: 'approvalEnded', requestId };
      open.clear();
      switch (event.event) {
        case 'delta': {
          const parsed = textEventSchema.safeParse(json);
          const text = parsed.success ? (parsed.data.text ?? parsed.data.delta ?? '') : typeof json === 'string' ? json : event.data;
          if (text) {
            streamed += text;
            yield text;
          }
          break;
        }
        case 'tool': {
          const parsed = toolEventSchema.safeParse(json);
          if (parsed.success) yield { kind: 'step', step: stepOf(parsed.data, redactCredentials) };
          break;
        }
        case 'assistant_text': {
          const text = textEventSchema.safeParse(json).data?.text?.trim();
          if (text) yield { kind: 'narration', text };
          break;
        }
        case 'cloud_agent': {
          const text = cloudAgentSchema.safeParse(json).data?.message?.trim();
          if (text) yield { kind: 'narration', text };
          break;
        }
        case 'cloud_progress': {
          const p = cloudProgressSchema.safeParse(json).data;
          if (p) yield { kind: 'narration', text: `${p.completed}/${p.total}` };
          break;
        }
        case 'cloud_plan': {
          const type = cloudPlanSchema.safeParse(json).data?.type;
          if (type) yield { kind: 'narration', text: type };
          break;
        }
        case 'usage': {
          const parsed = usageSchema.safeParse(json);
          if (parsed.success) yield { kind: 'usage', usage: usageOf(parsed.data), total: false };
          break;
        }
        case 'approval': {
          const parsed = approvalEventSchema.safeParse(json);
          if (!parsed.success) {
            // Unreadable: nobody could decide it, and the agent would wait 5 minutes for nothing.
            throw new AgentError(`Kocoro daemon sent an unreadable approval request: ${event.data.slice(0, 200)}`, {
              key: 'kocoro.failed',
              params: { detail: 'unreadable approval request' },
            });
          }
          const a = parsed.data;
          open.add(a.request_id);
          yield {
            kind: 'approval',
            approval: {
              requestId: a.request_id,
              tool: a.tool,
              title: (a.title || a.tool).slice(0, 200),
              args: a.args ?? '',
              alwaysAllowOffered: !(a.flags ?? []).includes(ALWAYS_ALLOW_DISABLED),
              decide: async (decision) => {
                // Marked first: the agent may go on (and send its next event) before the answer to the POST arrives.
                decidedHere.add(a.request_id);
                try {
                  await this.decide(a.request_id, decision);
                } catch (err) {
                  decidedHere.delete(a.request_id);
                  throw err;
                }
              },
            },
          };
          break;
        }
        case 'error': {
          const e = errorEventSchema.safeParse(json).data;
          const message = String(e?.error ?? e?.message ?? event.data);
          throw new AgentError(`Kocoro agent "${this.opts.agent}" failed: ${message}`, {
            key: 'kocoro.failed',
            params: { detail: message },
          });
        }
        case 'injected':
          // Another run was still going on this conversation (one being stopped, or one started in
          // Kocoro itself): the message went into it, and its answer never comes on this stream.
          throw new AgentError(`Kocoro daemon added the message to a run already going on route ${event.data}`, { key: 'kocoro.busy' });
        case 'done': {
          const parsed = doneEventSchema.safeParse(json);
          const done = parsed.success ? parsed.data : {};
          if (done.usage) yield { kind: 'usage', usage: usageOf(done.usage), total: true };
          if (done.reply !== undefined && done.reply !== streamed) yield { replace: done.reply };
          if (done.partial) yield { kind: 'partial', reason: done.failure_code ?? 'unknown' };
          return;
        }
        // session_started, injected_committed and anything newer carry nothing the chat shows.
      }
    }
    signal.throwIfAborted();
    throw new AgentError(`Kocoro daemon at ${this.url} ended the stream without "done"`, { key: 'kocoro.incomplete' });
  }

  /** `POST /approval {request_id, decision}`; the daemon answers `{ok:true}` whether or not the request still waited. */
  async decide(requestId: string, decision: ApprovalDecision): Promise<void> {
    const res = await daemonFetch(this.url, '/approval', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: requestId, decision }),
      signal: AbortSignal.timeout(2_500),
    });
    if (!res.ok) throw await failure(this.url, 'approval', res);
  }
}
