import { type Handlers, RpcError, type Settings } from '@shared/contract';
import { parseExternalLink } from '@shared/external-links';
import type { ServiceContext } from './service-context';

type AppHandlers = Pick<Handlers, 'app.info' | 'app.signInLink' | 'settings.get' | 'settings.update' | 'links.open'>;

export function appHandlers(ctx: ServiceContext): AppHandlers {
  const settings = (): Settings => {
    const startAtLogin = ctx.host?.getStartAtLogin?.();
    const { language, publicUrl } = ctx.store.settings();
    return { language, ...(startAtLogin !== undefined ? { startAtLogin } : {}), ...(publicUrl ? { publicUrl } : {}) };
  };

  return {
    'app.info': async () => ({
      version: ctx.version,
      mode: ctx.mode,
      secretProtection: ctx.vault.protection,
      ...(ctx.configFile ? { configFile: ctx.configFile } : {}),
      dataDir: ctx.dataDir,
    }),

    // Links sign a browser in to the headless UI, whose server answers this itself; the desktop app has none.
    'app.signInLink': async () => {
      throw new RpcError('not_found', 'Sign-in links are for Kocoro in a browser (npm run headless -- --ui PORT).');
    },

    'settings.get': async () => settings(),

    'settings.update': (input) =>
      ctx.exclusive(async () => {
        if (input.startAtLogin !== undefined && !ctx.host?.setStartAtLogin) {
          throw new RpcError('invalid_input', 'Starting at login is only available in the desktop app.', 'startAtLogin');
        }
        if (input.language !== undefined) ctx.store.updateSettings({ language: input.language });
        // Already validated (shared/webhook.ts `publicUrlSchema`); '' clears it.
        if (input.publicUrl !== undefined) ctx.store.updateSettings({ publicUrl: input.publicUrl || undefined });
        if (input.startAtLogin !== undefined) ctx.host?.setStartAtLogin?.(input.startAtLogin);
        const next = settings();
        ctx.events.emit('settings.changed', next);
        return next;
      }),

    'links.open': async (input) => {
      const url = parseExternalLink(input.url);
      if (!url) throw new RpcError('invalid_input', 'Only https links to the Lark and Feishu consoles and docs can be opened.', 'url');
      // The normalised URL that was checked, never the raw input.
      if (!ctx.host?.openExternal) return { opened: false };
      return { opened: await ctx.host.openExternal(url.href) };
    },
  };
}
