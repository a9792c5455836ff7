import type { Handlers } from '@shared/contract';
import type { ServiceContext } from './service-context';

type PreviewHandlers = Pick<Handlers, 'preview.start' | 'preview.send' | 'preview.click' | 'preview.close'>;

/** The preview chat (README "Try it and Preview", preview/preview-sessions.ts). */
export function previewHandlers(ctx: ServiceContext): PreviewHandlers {
  return {
    'preview.start': (input) => ctx.previews.start(input),
    'preview.send': (input) => ctx.previews.send(input),
    'preview.click': (input) => ctx.previews.click(input),
    'preview.close': ({ sessionId }) => ctx.previews.close(sessionId),
  };
}
