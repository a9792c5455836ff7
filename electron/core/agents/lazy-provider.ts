import type { AgentProvider, AgentRequest, AgentChunk } from './provider';

/**
 * A provider whose module (and the model SDK it imports) is loaded on its first answer, not at
 * start-up: a server running ten bots on one kind of agent never loads the other SDKs (README
 * "Performance"). What the runtime asks before that (images, local files) is given up front.
 */
export class LazyProvider implements AgentProvider {
  private loaded: Promise<AgentProvider> | undefined;

  constructor(
    private readonly load: () => Promise<AgentProvider>,
    readonly acceptsImages: boolean,
    readonly readsLocalFiles = false,
  ) {}

  async *stream(request: AgentRequest): AsyncIterable<AgentChunk> {
    yield* (await this.provider()).stream(request);
  }

  provider(): Promise<AgentProvider> {
    this.loaded ??= this.load();
    // A failed load (a broken install) is tried again on the next message, not remembered for ever.
    this.loaded.catch(() => (this.loaded = undefined));
    return this.loaded;
  }
}
