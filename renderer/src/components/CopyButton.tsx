import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Icon } from './Icon';

/** Copies `text` to the clipboard and says "Copied" for a moment (announced politely). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const { t } = useTranslation();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  const copy = async () => {
    clearTimeout(timer.current);
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
    timer.current = setTimeout(() => setState('idle'), 2500);
  };

  return (
    <span className="copy">
      <button type="button" className="button button--small" onClick={() => void copy()}>
        <Icon name={state === 'copied' ? 'check' : 'copy'} />
        {label}
      </button>
      <span className="copy__status" role="status">
        {state === 'copied' && t('addBot.checklist.copied')}
        {state === 'failed' && <span className="text-error">{t('addBot.checklist.copyFailed')}</span>}
      </span>
    </span>
  );
}
