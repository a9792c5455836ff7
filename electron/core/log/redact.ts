/**
 * Removes secrets from anything about to be logged. Values are registered as they are resolved
 * from config, so a secret echoed back by a library (an error message, a request dump) is caught too.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();

  add(value: string | undefined): void {
    // Very short values would redact ordinary words; such secrets are not worth hiding anyway.
    if (value && value.length >= 6) this.secrets.add(value);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    // Tenant/user access tokens are bearer credentials too, wherever they appear.
    return out.replace(/\b([tu])-[A-Za-z0-9._-]{8,}/g, '$1-***');
  }
}
