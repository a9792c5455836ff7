import type { KocoroBridge } from '@shared/bridge';

declare global {
  interface Window {
    /**
     * Exposed by electron/preload.ts inside the desktop app. Absent in a plain browser (the Vite
     * dev server, the headless UI): use `createClient()` (renderer/src/api/client.ts), which
     * picks the bridge or HTTP + WebSocket.
     */
    readonly kocoro?: KocoroBridge;
  }
}

export {};
