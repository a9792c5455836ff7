import { afterEach, describe, expect, it } from 'vitest';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeKocoro, writeDaemonPidFile } from '@e2e/fakes/kocoro/server';
import { LoopbackHttp } from '@e2e/fakes/loopback-http';
import { KocoroProvider, kocoroHealth, listKocoroAgents } from './kocoro-provider';
import {
  AgentError,
  type AgentApproval,
  type AgentChunk,
  type AgentContext,
  type AgentProgress,
  type AgentRequest,
  applyChunk,
  isProgress,
} from './provider';

let fake: FakeKocoro | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const context: AgentContext = { platform: 'lark', botId: 'b', chatId: 'oc_1', chatType: 'p2p', senderOpenId: 'ou_1' };
const request = (text: string, extra: Partial<AgentContext> = {}, signal = new AbortController().signal): AgentRequest => ({
  turns: [
    { role: 'user', text: 'earlier' },
    { role: 'assistant', text: 'answer' },
    { role: 'user', text },
  ],
  context: { ...context, ...extra },
  signal,
});

async function run(provider: KocoroProvider, req: AgentRequest): Promise<{ chunks: AgentChunk[]; text: string }> {
  const chunks: AgentChunk[] = [];
  let text = '';
  for await (const c of provider.stream(req)) {
    chunks.push(c);
    text = applyChunk(text, c);
  }
  return { chunks, text };
}

async function failure(provider: KocoroProvider, req: AgentRequest): Promise<unknown> {
  return run(provider, req).then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
}

describe('KocoroProvider', () => {
  it('streams deltas and sends the newest message with the routing keys', async () => {
    fake = await FakeKocoro.start({ chunkChars: 3 });
    const provider = new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'research' });
    const { chunks, text } = await run(provider, request('hello there'));
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.filter((c) => !isProgress(c)).every((c) => typeof c === 'string')).toBe(true);
    expect(text).toBe('research says: hello there');
    expect(fake.messages).toEqual([{ text: 'hello there', agent: 'research', source: 'lark', channel: 'oc_1', sender: 'ou_1' }]);
  });

  it('keys sessions per chat and per thread', async () => {
    fake = await FakeKocoro.start();
    const provider = new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'a' });
    await run(provider, request('one', { chatId: 'oc_A' }));
    await run(provider, request('two', { chatId: 'oc_B' }));
    await run(provider, request('three', { chatId: 'oc_B', threadId: 'omt_9' }));
    expect(fake.messages.map((m) => [m.channel, m.thread_id])).toEqual([
      ['oc_A', undefined],
      ['oc_B', undefined],
      ['oc_B', 'omt_9'],
    ]);
  });

  it('takes done.reply as the final text when it differs from the deltas', async () => {
    fake = await FakeKocoro.start({ finalReply: () => 'the authoritative answer' });
    const provider = new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'a' });
    const { chunks, text } = await run(provider, request('hi'));
    expect(chunks.at(-1)).toEqual({ replace: 'the authoritative answer' });
    expect(text).toBe('the authoritative answer');
  });

  it('stops: aborts the stream and asks the daemon to cancel the run', async () => {
    fake = await FakeKocoro.start({ chunkChars: 1, chunkDelayMs: 20, reply: () => 'x'.repeat(400) });
    const provider = new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'a' });
    const controller = new AbortController();
    let received = 0;
    const running = (async () => {
      for await (const _ of provider.stream(request('go', { threadId: 'omt_1' }, controller.signal))) {
        if (++received === 5) controller.abort();
      }
    })();
    await expect(running).rejects.toThrow();
    expect(received).toBeLessThan(20);
    await expect.poll(() => fake!.cancels.length).toBe(1);
    expect(fake.cancels[0]).toEqual({ agent: 'a', source: 'lark', channel: 'oc_1', thread_id: 'omt_1' });
    await expect.poll(() => fake!.closedEarly).toBe(1);
  });

  it('says the daemon is not running when nothing listens', async () => {
    fake = await FakeKocoro.start();
    const url = fake.url;
    await fake.close();
    fake = undefined;
    const err = await failure(new KocoroProvider({ url, agent: 'a' }), request('hi'));
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).userMessage).toBe('Kocoro daemon not running: start it with `shan daemon start`');
    expect(await kocoroHealth({ url })).toMatchObject({ ok: false, message: expect.stringMatching(/not running/) });
    await expect(listKocoroAgents(url)).rejects.toThrow(/not running/);
  });

  it('turns an error event into an AgentError', async () => {
    fake = await FakeKocoro.start({ error: 'agent "nope" not found' });
    const err = await failure(new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'nope' }), request('hi'));
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).userMessage).toMatch(/agent "nope" not found/);
  });

  it('lists the agents and checks health', async () => {
    fake = await FakeKocoro.start();
    expect(await listKocoroAgents(fake.url)).toEqual([
      { name: 'default', displayName: 'Default', description: 'General assistant' },
      { name: 'research', displayName: 'Research', description: 'Finds things out' },
    ]);
    expect(await kocoroHealth({ url: fake.url, stateDir: fake.stateDir })).toMatchObject({ ok: true });
  });

  it('reports tool calls as steps (with what they do, redacted), narration and the total usage of the run', async () => {
    fake = await FakeKocoro.start({
      replyInDoneOnly: true,
      usage: { input_tokens: 1200, output_tokens: 180, total_tokens: 1380, cost_usd: 0.0123 },
      tools: [
        { tool: 'web_search', args: { query: 'weather in Paris' }, narration: 'Looking it up', runMs: 20 },
        { tool: 'http', args: { url: 'https://api.example.com/?token=abcdef123456' }, fails: true },
      ],
    });
    const provider = new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'a' });
    const { chunks, text } = await run(provider, request('weather?'));
    const progress = chunks.filter(isProgress);
    expect(progress.filter((p) => p.kind === 'narration')).toEqual([{ kind: 'narration', text: 'Looking it up' }]);
    const steps = progress.flatMap((p) => (p.kind === 'step' ? [p.step] : []));
    expect(steps.map((s) => [s.tool, s.status])).toEqual([
      ['web_search', 'running'],
      ['web_search', 'done'],
      ['http', 'running'],
      ['http', 'failed'],
    ]);
    expect(steps[0]!.detail).toBe('weather in Paris');
    expect(steps[1]!.id).toBe(steps[0]!.id);
    expect(steps[1]!.elapsedMs).toBeGreaterThanOrEqual(15);
    expect(steps[2]!.detail).toBe('https://api.example.com/?token=***');
    expect(progress.at(-1)).toEqual({
      kind: 'usage',
      usage: { inputTokens: 1200, outputTokens: 180, totalTokens: 1380, costUsd: 0.0123 },
      total: true,
    });
    expect(text).toBe('a says: weather?');
  });

  it('passes an approval request on, blocked until decided; the decision reaches POST /approval and the answer follows', async () => {
    fake = await FakeKocoro.start({
      tools: [{ tool: 'bash', args: { command: 'rm notes.txt --password=hunter2', description: 'Delete the notes file' }, approval: true }],
    });
    const provider = new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'a' });
    let approval: AgentApproval | undefined;
    let text = '';
    for await (const chunk of provider.stream(request('delete notes'))) {
      if (isProgress(chunk) && chunk.kind === 'approval') {
        approval = chunk.approval;
        expect(fake.approvals[0]!.decision).toBeUndefined();
        await approval.decide('allow');
      }
      text = applyChunk(text, chunk);
    }
    expect(approval).toMatchObject({ tool: 'bash', title: 'Delete the notes file', alwaysAllowOffered: true });
    // Passed on as the daemon sent them: whoever shows them to a person builds the view (whole, runtime/tool-call-view.ts).
    expect(JSON.parse(approval!.args)).toEqual({ command: 'rm notes.txt --password=hunter2', description: 'Delete the notes file' });
    expect(fake.approvalPosts).toEqual([{ request_id: fake.approvals[0]!.requestId, decision: 'allow' }]);
    expect(fake.approvals[0]!.decision).toBe('allow');
    expect(text).toBe('a says: delete notes');
  });

  it('offers no "always allow" when the daemon flags it, and says when the agent went on without a decision made here', async () => {
    fake = await FakeKocoro.start({
      approvalTimeoutMs: 150,
      tools: [{ tool: 'computer', args: { action: 'click' }, approval: true, flags: ['always_allow_disabled'] }],
    });
    const provider = new KocoroProvider({ url: fake.url, stateDir: fake.stateDir, agent: 'a' });
    const progress: AgentProgress[] = [];
    let text = '';
    for await (const chunk of provider.stream(request('click it'))) {
      if (isProgress(chunk)) progress.push(chunk);
      text = applyChunk(text, chunk);
    }
    const asked = progress.find((p) => p.kind === 'approval');
    expect(asked?.kind === 'approval' && asked.approval.alwaysAllowOffered).toBe(false);
    const requestId = fake.approvals[0]!.requestId;
    expect(fake.approvals[0]!.decision).toBe('timeout');
    expect(progress).toContainEqual({ kind: 'approvalEnded', requestId });
    expect(text).toBe('a says: click it (not allowed: computer)');
  });

  it('says so when the daemon added the message to a run already going instead of answering it', async () => {
    const server = await LoopbackHttp.start(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: injected\ndata: default:lark:oc_1\n\n');
    });
    // This process serves the port, as the daemon would: its pid file names this process.
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shannon-'));
    await writeDaemonPidFile(stateDir, process.pid);
    try {
      const err = await failure(new KocoroProvider({ url: server.origin, stateDir, agent: 'a' }), request('hi'));
      expect((err as AgentError).notice).toEqual({ key: 'kocoro.busy' });
    } finally {
      await server.close();
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  });
});
