import type { AgentProvider, AgentRequest } from './provider';

/** Answers with exactly the user's text: the quickest way to check a bot's connection. */
export class EchoProvider implements AgentProvider {
  readonly acceptsImages = false;

  async *stream(request: AgentRequest): AsyncIterable<string> {
    const last = [...request.turns].reverse().find((t) => t.role === 'user');
    request.signal.throwIfAborted();
    yield last?.text ?? '';
  }
}
