import { useTranslation } from 'react-i18next';
import type { Platform } from '@shared/config-schema';
import { consoleLinks } from '@shared/lark-console';
import { PLATFORM_DOMAIN } from '@shared/platform';
import { Banner } from '../../components/Banner';
import { ExternalLink } from '../../components/ExternalLink';
import { SecretField, TextField } from '../../components/Field';
import { CredentialSourceChoice, ScannedCredentials, ScanPanel, type ScanController } from './ScanToCreate';
import { FIELD_IDS, type CredentialSource, type Draft, type FieldErrors, type StepBanner } from './types';
import './add-bot.css';

interface CredentialsStepProps {
  platform: Platform;
  draft: Draft;
  update: (patch: Partial<Draft>) => void;
  errors: FieldErrors;
  banner: StepBanner | null;
  advancedOpen: boolean;
  onAdvancedToggle: (open: boolean) => void;
  /** Paste (the default) or scan: the dialog starts or cancels the registration. */
  onSourceChange: (source: CredentialSource) => void;
  scan: ScanController;
  /** The credentials are being checked, and whether the ones shown were accepted. */
  checking: boolean;
  verified: boolean;
}

/** Step 1 (guide steps 3–4): App ID and App Secret from "Credentials & Basic Info", or a new app made by scanning a QR code. */
export function CredentialsStep({
  platform,
  draft,
  update,
  errors,
  banner,
  advancedOpen,
  onAdvancedToggle,
  onSourceChange,
  scan,
  checking,
  verified,
}: CredentialsStepProps) {
  const { t } = useTranslation();
  const name = t(`platform.${platform}`);
  const secretErrorId = `${FIELD_IDS.appSecret}-error`;
  const pasting = draft.credentialSource === 'paste';
  return (
    <div className="step">
      <h3 className="visually-hidden">{t('addBot.credentials.heading')}</h3>
      <CredentialSourceChoice value={draft.credentialSource} onChange={onSourceChange} />

      {pasting ? (
        <>
          <p>{t('addBot.credentials.intro', { platform: name })}</p>
          <p className="step__links">
            <ExternalLink href={consoleLinks(platform).appList}>{t('addBot.credentials.openConsole', { platform: name })}</ExternalLink>
          </p>

          <div className="step__fields">
            <TextField
              id={FIELD_IDS.appId}
              label={t('addBot.credentials.appId')}
              value={draft.appId}
              onChange={(appId) => update({ appId })}
              placeholder={t('addBot.credentials.appIdPlaceholder')}
              error={errors.appId}
              invalid={errors.credentials}
              extraDescribedBy={errors.credentials ? secretErrorId : undefined}
              autoFocus
              monospace
              required
            />
            <SecretField
              id={FIELD_IDS.appSecret}
              label={t('addBot.credentials.appSecret')}
              value={draft.appSecret}
              onChange={(appSecret) => update({ appSecret })}
              hint={t('addBot.credentials.appSecretHint')}
              error={errors.appSecret}
            />
          </div>
        </>
      ) : draft.scanned !== null ? (
        <ScannedCredentials
          dialogPlatform={platform}
          draft={draft}
          update={update}
          errors={errors}
          checking={checking}
          verified={verified}
        />
      ) : (
        <ScanPanel platform={platform} scan={scan} onPasteInstead={() => onSourceChange('paste')} />
      )}

      {/* A scanned app lives on its registration's own Open Platform: no other URL is taken for it. */}
      {pasting && (
        <details className="advanced" open={advancedOpen} onToggle={(e) => onAdvancedToggle(e.currentTarget.open)}>
          <summary>{t('addBot.credentials.advanced')}</summary>
          <TextField
            id={FIELD_IDS.domain}
            label={t('addBot.credentials.domain')}
            value={draft.domain}
            onChange={(domain) => update({ domain })}
            type="url"
            inputMode="url"
            placeholder={PLATFORM_DOMAIN[platform]}
            hint={t('addBot.credentials.domainHint', { domain: PLATFORM_DOMAIN[platform] })}
            error={errors.domain}
            monospace
            optional
          />
        </details>
      )}

      {banner && (
        <Banner tone={banner.tone}>
          <p>{banner.text}</p>
          {banner.detail && <p className="banner__detail">{t('common.details', { message: banner.detail })}</p>}
        </Banner>
      )}

      {pasting && <p className="muted small">{t('addBot.credentials.noApp')}</p>}
    </div>
  );
}
