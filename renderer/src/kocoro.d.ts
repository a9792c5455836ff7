import type { KocoroBridge } from '../../shared/bridge';

declare global {
  interface Window {
    /**
     * Exposed by electron/preload.ts inside the desktop app. Absent in a plain browser (the Vite
     * dev server, the headless UI), so always check before use.
     */
    readonly kocoro?: KocoroBridge;
  }
}

export {};
