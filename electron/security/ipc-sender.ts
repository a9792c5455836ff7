/**
 * Sender validation for IPC: every handler must check that the message comes from our own UI
 * (the top frame of a page on the renderer's origin), not from some other page or iframe that
 * ended up in a window.
 *
 * Compares protocol and host of the sender frame's URL. Deliberately not `URL#origin`: for
 * `app://` (and `file://`) URLs it is the string "null", which would make every such URL match.
 *
 * Pure (no Electron import): the event type is structural, so tests pass plain objects.
 */

export interface RendererOrigin {
  readonly protocol: string;
  readonly host: string;
}

/** The subset of `IpcMainEvent` / `IpcMainInvokeEvent` that is checked. */
export interface IpcSenderLike {
  readonly senderFrame: { readonly url: string; readonly parent: object | null } | null;
}

export class UntrustedSenderError extends Error {
  override readonly name = 'UntrustedSenderError';
}

/** The protocol and host of the page the main window loads (`app://kocoro/...` or the dev server). */
export function rendererOriginOf(url: string): RendererOrigin {
  const parsed = new URL(url);
  if (parsed.host === '') throw new Error(`Renderer URL has no host: ${url}`);
  return { protocol: parsed.protocol, host: parsed.host };
}

export function isSameRendererOrigin(url: string, origin: RendererOrigin): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === origin.protocol && parsed.host === origin.host;
}

export function isTrustedSender(event: IpcSenderLike, origin: RendererOrigin): boolean {
  const frame = event.senderFrame;
  if (frame === null) return false; // navigated away or destroyed before we looked
  if (frame.parent !== null) return false; // only the top frame speaks for the UI
  return isSameRendererOrigin(frame.url, origin);
}

/** Throws {@link UntrustedSenderError} (which rejects the renderer's `invoke`) unless trusted. */
export function assertTrustedSender(event: IpcSenderLike, origin: RendererOrigin): void {
  if (!isTrustedSender(event, origin)) throw new UntrustedSenderError('IPC refused: untrusted sender frame');
}
