/** What the desktop shell lends the service (links, login items); absent in headless. */
export interface HostHooks {
  openExternal?(url: string): Promise<boolean>;
  getStartAtLogin?(): boolean;
  setStartAtLogin?(on: boolean): void;
}
