import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppInfo, SecretProtection, Settings } from '@shared/contract';
import { useClient } from '../api/ClientContext';
import { Banner } from '../components/Banner';
import { Checkbox, SelectField } from '../components/Field';
import { Spinner } from '../components/Icon';
import { systemLanguage, browserLanguages } from '../i18n';
import { errorText } from '../lib/errors';
import { useReconnectEpoch } from '../shell/connection';
import { PublicUrlSection } from './PublicUrlSection';
import { SignInLinkSection } from './SignInLinkSection';
import './settings.css';

type Language = Settings['language'];

interface SettingsPageProps {
  settings: Settings | null;
  settingsError: unknown;
  /** Saves a change; the shell applies it (language at once). */
  onChange: (patch: Partial<Settings>) => Promise<void>;
}

export function SettingsPage({ settings, settingsError, onChange }: SettingsPageProps) {
  const { t } = useTranslation();
  const client = useClient();
  const epoch = useReconnectEpoch();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [infoError, setInfoError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    client.call('app.info', {}).then(
      (value) => {
        if (!cancelled) setInfo(value);
      },
      (err: unknown) => {
        if (!cancelled) setInfoError(err);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, epoch]);

  const change = (patch: Partial<Settings>) => {
    setSaveError(null);
    onChange(patch).catch((err: unknown) => setSaveError(errorText(t, err)));
  };

  const systemName = systemLanguage(browserLanguages()) === 'zh-CN' ? t('settings.language.zhCN') : t('settings.language.en');

  return (
    <div className="page page--narrow">
      <header className="page__header">
        <h1 className="page__title" tabIndex={-1}>
          {t('settings.title')}
        </h1>
      </header>

      {settingsError !== null && settings === null && (
        <Banner tone="error" title={t('errors.loadSettings')}>
          {errorText(t, settingsError)}
        </Banner>
      )}
      {saveError && <Banner tone="error">{saveError}</Banner>}

      <section className="card settings-card" aria-labelledby="settings-language">
        <h2 id="settings-language" className="card__title">
          {t('settings.language.heading')}
        </h2>
        <SelectField<Language>
          label={t('settings.language.label')}
          value={settings?.language ?? 'system'}
          disabled={settings === null}
          onChange={(language) => change({ language })}
          options={[
            { value: 'system', label: t('settings.language.system', { language: systemName }) },
            { value: 'en', label: 'English' },
            { value: 'zh-CN', label: '简体中文' },
          ]}
          className="field--short"
        />
        {settings?.startAtLogin !== undefined && (
          <Checkbox
            label={t('settings.startup.startAtLogin')}
            hint={t('settings.startup.startAtLoginHint')}
            checked={settings.startAtLogin}
            onChange={(startAtLogin) => change({ startAtLogin })}
          />
        )}
      </section>

      <section className="card settings-card" aria-labelledby="settings-secrets">
        <h2 id="settings-secrets" className="card__title">
          {t('settings.secrets.heading')}
        </h2>
        {info === null && infoError === null && (
          <p className="loading" role="status">
            <Spinner /> {t('app.loading')}
          </p>
        )}
        {infoError !== null && info === null && <Banner tone="error">{errorText(t, infoError)}</Banner>}
        {info !== null && <SecretsPanel protection={info.secretProtection} />}
        <p className="muted small">{t('settings.secrets.never')}</p>
      </section>

      {client.transport === 'http' && <SignInLinkSection />}

      {info?.mode === 'headless' && settings !== null && <PublicUrlSection value={settings.publicUrl} onChange={onChange} />}

      {info !== null && (
        <section className="card settings-card" aria-labelledby="settings-about">
          <h2 id="settings-about" className="card__title">
            {t('settings.about.heading')}
          </h2>
          <dl className="facts">
            <div>
              <dt>{t('settings.about.version')}</dt>
              <dd>{info.version}</dd>
            </div>
            <div>
              <dt>{t('settings.about.mode')}</dt>
              <dd>{info.mode === 'desktop' ? t('settings.about.modeDesktop') : t('settings.about.modeHeadless')}</dd>
            </div>
            <div>
              <dt>{t('settings.about.dataDir')}</dt>
              <dd className="mono selectable">{info.dataDir}</dd>
            </div>
            {info.configFile && (
              <div>
                <dt>{t('settings.about.configFile')}</dt>
                <dd className="mono selectable">{info.configFile}</dd>
              </div>
            )}
          </dl>
        </section>
      )}
    </div>
  );
}

/**
 * How saved secrets are protected, in our words, with the core's own sentence (where the file is,
 * which keyring) under it. For a weak keyring the fix matters most, so it leads.
 */
function SecretsPanel({ protection }: { protection: SecretProtection }) {
  const { t } = useTranslation();
  const detail = protection.detail ? <p className="banner__detail selectable">{protection.detail}</p> : null;
  switch (protection.kind) {
    case 'keychain':
      return (
        <Banner tone="success">
          <p>{t('settings.secrets.keychain')}</p>
          {detail}
        </Banner>
      );
    case 'weak-keyring':
      return (
        <Banner tone="warning" title={t('settings.secrets.weakTitle')}>
          <p>{t('settings.secrets.weak')}</p>
          {protection.detail && (
            <details className="disclosure">
              <summary>{t('settings.secrets.detail')}</summary>
              <p className="disclosure__body selectable">{protection.detail}</p>
            </details>
          )}
        </Banner>
      );
    default:
      return (
        <Banner tone="info">
          <p>{t('settings.secrets.file')}</p>
          {detail}
        </Banner>
      );
  }
}
