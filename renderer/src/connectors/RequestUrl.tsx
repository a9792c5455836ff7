import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { webhookUrl } from '@shared/webhook';
import { CopyButton } from '../components/CopyButton';
import { routeHref } from '../shell/route';

/**
 * A webhook bot's request URL, `<public URL>/webhook/<bot id>`, to paste in the console as the
 * Request URL of both Event configuration and Callback configuration, with a copy button; or, with
 * no public URL set, where to set it.
 */
export function RequestUrl({ botId, publicUrl }: { botId: string; publicUrl: string | undefined }) {
  const { t } = useTranslation();
  const labelId = useId();
  if (!publicUrl) {
    return (
      <p className="request-url request-url--missing">
        {t('webhook.noPublicUrl', { path: `/webhook/${botId}` })} <a href={routeHref('settings')}>{t('webhook.openSettings')}</a>
      </p>
    );
  }
  const url = webhookUrl(publicUrl, botId);
  return (
    <div className="request-url">
      <span className="request-url__label" id={labelId}>
        {t('webhook.requestUrl')}
      </span>{' '}
      <code className="mono selectable request-url__value" aria-labelledby={labelId}>
        {url}
      </code>{' '}
      <CopyButton text={url} label={t('webhook.copy')} />
      <p className="field__hint">{t('webhook.requestUrlHint')}</p>
    </div>
  );
}
