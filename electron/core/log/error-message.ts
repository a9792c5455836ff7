/** What went wrong, in words, for a log line or a person: an Error's message, or the thrown value itself. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
