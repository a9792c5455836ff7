import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { AgentForm } from '../../agents/AgentForm';
import { useAgents } from '../../agents/useAgents';
import { Banner } from '../../components/Banner';
import { SelectField, TextField } from '../../components/Field';
import { Spinner } from '../../components/Icon';
import { errorText } from '../../lib/errors';
import { AccessSection } from '../AccessSection';
import { FIELD_IDS, type Draft, type FieldErrors, type StepBanner } from './types';
import './add-bot.css';

interface AgentStepProps {
  draft: Draft;
  update: (patch: Partial<Draft>) => void;
  errors: FieldErrors;
  banner: StepBanner | null;
  creatingAgent: boolean;
  setCreatingAgent: (creating: boolean) => void;
  onBackToStep1: () => void;
}

/** Step 3 (guide step 8): the agent that answers, an optional display name, then "Register Bot". */
export function AgentStep({ draft, update, errors, banner, creatingAgent, setCreatingAgent, onBackToStep1 }: AgentStepProps) {
  const { t } = useTranslation();
  const { agents, error, reload } = useAgents();

  // Pre-select the first agent so the common case is one click.
  const firstAgentId = agents?.[0]?.id;
  const selectedExists = agents?.some((a) => a.id === draft.agentId) ?? false;
  useEffect(() => {
    if (firstAgentId !== undefined && !selectedExists && !creatingAgent) update({ agentId: firstAgentId });
  }, [firstAgentId, selectedExists, creatingAgent, update]);

  if (creatingAgent) {
    return (
      <div className="step">
        <AgentForm
          embedded
          heading={t('addBot.agent.createHeading')}
          onCancel={() => setCreatingAgent(false)}
          onSaved={(agent) => {
            void reload().then(() => {
              update({ agentId: agent.id });
              setCreatingAgent(false);
            });
          }}
        />
      </div>
    );
  }

  return (
    <div className="step">
      <h3 className="visually-hidden">{t('addBot.agent.heading')}</h3>
      <p>{t('addBot.agent.intro')}</p>
      {agents === null && error === null && (
        <p className="loading" role="status">
          <Spinner /> {t('app.loading')}
        </p>
      )}
      {error !== null && agents === null && (
        <Banner tone="error" title={t('errors.loadAgents')}>
          {errorText(t, error)}
        </Banner>
      )}
      {agents !== null && agents.length === 0 && (
        <div className="callout">
          <p>{t('addBot.agent.none')}</p>
          <button type="button" className="button button--primary" onClick={() => setCreatingAgent(true)} autoFocus>
            {t('addBot.agent.create')}
          </button>
          {errors.agentId && (
            <p className="field__error" role="alert">
              {errors.agentId}
            </p>
          )}
        </div>
      )}
      {agents !== null && agents.length > 0 && (
        <div className="field-row">
          <SelectField
            id={FIELD_IDS.agentId}
            label={t('addBot.agent.choose')}
            value={draft.agentId}
            onChange={(agentId) => update({ agentId })}
            placeholder={t('addBot.agent.choosePlaceholder')}
            options={agents.map((a) => ({ value: a.id, label: a.name }))}
            error={errors.agentId}
            className="field--grow"
            autoFocus
          />
          <button type="button" className="button field-row__action" onClick={() => setCreatingAgent(true)}>
            {t('addBot.agent.createAnother')}
          </button>
        </div>
      )}
      <TextField
        id={FIELD_IDS.displayName}
        label={t('addBot.agent.displayName')}
        value={draft.displayName}
        onChange={(displayName) => update({ displayName })}
        placeholder={draft.appId.trim()}
        hint={t('addBot.agent.displayNameHint')}
        error={errors.displayName}
      />
      <details className="access-details">
        <summary>{t('access.heading')}</summary>
        <AccessSection value={draft.access} onChange={(access) => update({ access })} heading={false} />
      </details>
      {banner && (
        <Banner tone={banner.tone}>
          <p>{banner.text}</p>
          {banner.detail && <p className="banner__detail">{t('common.details', { message: banner.detail })}</p>}
          {banner.backToStep1 && (
            <button type="button" className="button button--small" onClick={onBackToStep1}>
              {t('addBot.agent.fixInStep1')}
            </button>
          )}
        </Banner>
      )}
    </div>
  );
}
