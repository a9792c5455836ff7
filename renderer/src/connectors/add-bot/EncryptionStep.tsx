import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Platform } from '@shared/config-schema';
import { consoleLinks, REQUIRED_SCOPES } from '@shared/lark-console';
import { Banner } from '../../components/Banner';
import { CopyButton } from '../../components/CopyButton';
import { ExternalLink } from '../../components/ExternalLink';
import { Checkbox, SecretField } from '../../components/Field';
import { RadioGroup } from '../AccessSection';
import { FIELD_IDS, type Draft, type FieldErrors } from './types';
import './add-bot.css';

interface EncryptionStepProps {
  platform: Platform;
  draft: Draft;
  update: (patch: Partial<Draft>) => void;
  errors: FieldErrors;
  /** Kocoro is a server (headless): the platform can reach a request URL, so webhook mode is offered. */
  offerReceive: boolean;
  showReminder: boolean;
}

/**
 * Step 2 (guide steps 5–7): Encrypt Key (and, on a server, how events reach Kocoro: the long
 * connection or a request URL, with the Verification Token), then Bot capability and the 10 scopes.
 */
export function EncryptionStep({ platform, draft, update, errors, offerReceive, showReminder }: EncryptionStepProps) {
  const { t } = useTranslation();
  const links = consoleLinks(platform, draft.appId.trim());
  const reminderRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (showReminder) reminderRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [showReminder]);
  const webhook = draft.receive === 'webhook';
  return (
    <div className="step">
      <h3 className="step__heading">{t('addBot.encryption.heading')}</h3>
      <p>{t('addBot.encryption.instructions')}</p>
      <p className="step__links">
        <ExternalLink href={links.encryption}>{t('addBot.encryption.openEncryption')}</ExternalLink>
      </p>
      {offerReceive && (
        <RadioGroup
          legend={t('webhook.receive')}
          name="receive"
          value={draft.receive}
          onChange={(receive) => update({ receive })}
          hint={t('webhook.receiveHint')}
          options={[
            { value: 'long-connection', label: t('webhook.longConnection') },
            { value: 'webhook', label: t('webhook.webhook') },
          ]}
        />
      )}
      <SecretField
        id={FIELD_IDS.encryptKey}
        label={t('addBot.encryption.label')}
        value={draft.encryptKey}
        onChange={(encryptKey) => update({ encryptKey })}
        hint={webhook ? t('webhook.encryptKeyHint') : t('addBot.encryption.note')}
        error={errors.encryptKey}
        autoFocus
        optional={!webhook}
      />
      {webhook && (
        <>
          <SecretField
            id={FIELD_IDS.verificationToken}
            label={t('webhook.token')}
            value={draft.verificationToken}
            onChange={(verificationToken) => update({ verificationToken })}
            hint={t('webhook.tokenHint')}
            error={errors.verificationToken}
          />
          <p className="muted">{t('webhook.urlAfterRegister')}</p>
        </>
      )}

      <h3 className="step__heading step__heading--spaced">{t('addBot.checklist.heading')}</h3>
      <p className="muted">{t('addBot.checklist.intro')}</p>
      <ol className="tasks">
        <li className="task">
          <span className="task__number" aria-hidden="true">
            1
          </span>
          <div className="task__body">
            <h4 className="task__title">{t('addBot.checklist.botTitle')}</h4>
            <p>{t('addBot.checklist.botBody')}</p>
            <p className="step__links">
              <ExternalLink href={links.botCapability}>{t('addBot.checklist.openBot')}</ExternalLink>
            </p>
            <Checkbox label={t('addBot.checklist.botDone')} checked={draft.botAdded} onChange={(botAdded) => update({ botAdded })} />
          </div>
        </li>
        <li className="task">
          <span className="task__number" aria-hidden="true">
            2
          </span>
          <div className="task__body">
            <h4 className="task__title">{t('addBot.checklist.scopesTitle')}</h4>
            <p>{t('addBot.checklist.scopesBody')}</p>
            <div className="step__links">
              <ExternalLink href={links.permissions}>{t('addBot.checklist.openPermissions')}</ExternalLink>
              <CopyButton text={REQUIRED_SCOPES.join(',')} label={t('addBot.checklist.copyScopes')} />
            </div>
            <figure className="code-figure">
              <figcaption className="code-figure__caption">{t('addBot.checklist.scopesLabel')}</figcaption>
              <pre className="code">
                <code>{REQUIRED_SCOPES.join('\n')}</code>
              </pre>
            </figure>
            <Checkbox
              label={t('addBot.checklist.scopesDone')}
              checked={draft.scopesAdded}
              onChange={(scopesAdded) => update({ scopesAdded })}
            />
          </div>
        </li>
      </ol>
      <div ref={reminderRef}>
        {showReminder && (
          <Banner tone="warning" announce>
            {t('addBot.checklist.reminder')}
          </Banner>
        )}
      </div>
    </div>
  );
}
