/**
 * Placeholder bridge between the renderer and the main process: what the preload exposes as
 * `window.kocoro`. The real, schema-backed contract replaces this in a later task.
 *
 * Pure: no Electron, no Node APIs.
 */

export const IPC_CHANNELS = {
  getVersion: 'app:getVersion',
} as const;

export interface KocoroBridge {
  /** The application version (package.json `version`). */
  getVersion(): Promise<string>;
}
