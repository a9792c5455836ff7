import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Settings } from '@shared/contract';
import { publicUrlSchema } from '@shared/webhook';
import { TextField } from '../components/Field';
import { errorText } from '../lib/errors';

/**
 * Settings → "Public URL of this server" (headless): the base of every webhook bot's request URL,
 * `<public URL>/webhook/<bot id>` (shared/webhook.ts). Checked here as the core checks it; empty
 * and saved removes it.
 */
export function PublicUrlSection({
  value,
  onChange,
}: {
  value: string | undefined;
  onChange: (patch: Partial<Settings>) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(value ?? '');
  const [error, setError] = useState<string | null>(null);
  const [state, setState] = useState<'idle' | 'saving' | 'saved'>('idle');
  useEffect(() => setText(value ?? ''), [value]);

  const save = async () => {
    setError(null);
    const trimmed = text.trim();
    const parsed = trimmed === '' ? { success: true as const, data: '' } : publicUrlSchema.safeParse(trimmed);
    if (!parsed.success) {
      setError(t('settings.publicUrl.invalid'));
      return;
    }
    setState('saving');
    try {
      await onChange({ publicUrl: parsed.data });
      setText(parsed.data);
      setState('saved');
    } catch (err) {
      setError(errorText(t, err));
      setState('idle');
    }
  };

  return (
    <section className="card settings-card" aria-labelledby="settings-public-url">
      <h2 id="settings-public-url" className="card__title">
        {t('settings.publicUrl.heading')}
      </h2>
      <p>{t('settings.publicUrl.body')}</p>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <TextField
          label={t('settings.publicUrl.label')}
          value={text}
          onChange={(v) => {
            setText(v);
            setState('idle');
          }}
          type="url"
          inputMode="url"
          placeholder={t('settings.publicUrl.placeholder')}
          hint={t('settings.publicUrl.hint')}
          error={error ?? undefined}
          monospace
          optional
        />
        <p>
          <button type="submit" className="button" disabled={state === 'saving'} aria-busy={state === 'saving' || undefined}>
            {t('settings.publicUrl.save')}
          </button>{' '}
          <span role="status" className="muted small">
            {state === 'saved' ? t('settings.publicUrl.saved') : ''}
          </span>
        </p>
      </form>
    </section>
  );
}
