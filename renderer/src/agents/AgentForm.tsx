import { useId, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentView, MethodInput, ProviderInput } from '../../../shared/contract';
import { useClient } from '../api/ClientContext';
import { Banner } from '../components/Banner';
import { Checkbox, SecretField, SelectField, TextField } from '../components/Field';
import { errorField, errorText } from '../lib/errors';
import { isHttpUrl, optionalText, parseTemperature } from '../lib/validation';

type ProviderType = ProviderInput['type'];
type FieldName = 'name' | 'systemPrompt' | 'baseUrl' | 'model' | 'apiKey' | 'temperature';

interface AgentFormProps {
  /** The agent to edit; absent to create one. */
  agent?: AgentView;
  onSaved: (agent: AgentView) => void;
  onCancel: () => void;
  /**
   * Inside another form (the Add Bot dialog) a nested <form> is not allowed: render a group whose
   * Enter key and Save button work the same way.
   */
  embedded?: boolean;
  heading?: ReactNode;
}

/** Maps a contract field path ("provider.model") to the form field. */
function fieldOf(path: string | undefined): FieldName | undefined {
  switch (path) {
    case 'name':
    case 'systemPrompt':
      return path;
    case 'provider.baseUrl':
      return 'baseUrl';
    case 'provider.model':
      return 'model';
    case 'provider.apiKey':
      return 'apiKey';
    case 'provider.temperature':
      return 'temperature';
    default:
      return undefined;
  }
}

export function AgentForm({ agent, onSaved, onCancel, embedded = false, heading }: AgentFormProps) {
  const { t } = useTranslation();
  const client = useClient();
  const headingId = useId();
  const saved = agent?.provider.type === 'openai' ? agent.provider : undefined;
  const [name, setName] = useState(agent?.name ?? '');
  const [systemPrompt, setSystemPrompt] = useState(agent?.systemPrompt ?? '');
  const [providerType, setProviderType] = useState<ProviderType>(agent?.provider.type ?? 'echo');
  const [baseUrl, setBaseUrl] = useState(saved?.baseUrl ?? '');
  const [model, setModel] = useState(saved?.model ?? '');
  const [apiKey, setApiKey] = useState('');
  const [clearKey, setClearKey] = useState(false);
  const [temperature, setTemperature] = useState(saved?.temperature !== undefined ? String(saved.temperature) : '');
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [banner, setBanner] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const validate = (): { input: MethodInput<'agents.create'> } | null => {
    const next: Partial<Record<FieldName, string>> = {};
    if (name.trim() === '') next.name = t('agents.form.nameRequired');
    let provider: ProviderInput = { type: 'echo' };
    if (providerType === 'openai') {
      if (baseUrl.trim() !== '' && !isHttpUrl(baseUrl)) next.baseUrl = t('agents.form.baseUrlInvalid');
      if (model.trim() === '') next.model = t('agents.form.modelRequired');
      const temp = parseTemperature(temperature);
      if (temp === null) next.temperature = t('agents.form.temperatureInvalid');
      const key = apiKey.trim();
      provider = {
        type: 'openai',
        model: model.trim(),
        ...(optionalText(baseUrl) !== undefined ? { baseUrl: baseUrl.trim() } : {}),
        ...(typeof temp === 'number' ? { temperature: temp } : {}),
        // New key replaces, null clears, absent keeps.
        ...(key !== '' ? { apiKey: key } : clearKey ? { apiKey: null } : {}),
      };
    }
    setErrors(next);
    if (Object.keys(next).length > 0) return null;
    return { input: { name: name.trim(), systemPrompt: systemPrompt.trim() === '' ? undefined : systemPrompt, provider } };
  };

  const save = async () => {
    if (busy) return;
    setBanner(null);
    const valid = validate();
    if (valid === null) return;
    setBusy(true);
    try {
      const result = agent
        ? await client.call('agents.update', { ...valid.input, id: agent.id })
        : await client.call('agents.create', valid.input);
      setBusy(false);
      onSaved(result);
    } catch (err) {
      const field = fieldOf(errorField(err));
      if (field) setErrors({ [field]: errorText(t, err) });
      else setBanner(errorText(t, err));
      setBusy(false);
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void save();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && event.target instanceof HTMLInputElement && event.target.type !== 'checkbox') {
      event.preventDefault();
      event.stopPropagation();
      void save();
    }
  };

  const fields = (
    <>
      {heading !== undefined && (
        <h3 id={headingId} className="agent-form__heading">
          {heading}
        </h3>
      )}
      <TextField label={t('agents.form.name')} value={name} onChange={setName} placeholder={t('agents.form.namePlaceholder')} error={errors.name} autoFocus required />
      <TextField
        label={t('agents.form.systemPrompt')}
        value={systemPrompt}
        onChange={setSystemPrompt}
        placeholder={t('agents.form.systemPromptPlaceholder')}
        hint={t('agents.form.systemPromptHint')}
        error={errors.systemPrompt}
        spellCheck
        multiline
        optional
      />
      <SelectField<ProviderType>
        label={t('agents.form.provider')}
        value={providerType}
        onChange={setProviderType}
        options={[
          { value: 'echo', label: t('agents.form.providerEcho') },
          { value: 'openai', label: t('agents.form.providerOpenai') },
        ]}
      />
      {providerType === 'openai' && (
        <div className="agent-form__provider">
          <TextField
            label={t('agents.form.baseUrl')}
            value={baseUrl}
            onChange={setBaseUrl}
            type="url"
            inputMode="url"
            placeholder="https://api.openai.com/v1"
            hint={t('agents.form.baseUrlHint')}
            error={errors.baseUrl}
            monospace
            optional
          />
          <TextField
            label={t('agents.form.model')}
            value={model}
            onChange={setModel}
            placeholder={t('agents.form.modelPlaceholder')}
            error={errors.model}
            monospace
            required
          />
          <SecretField
            label={t('agents.form.apiKey')}
            value={apiKey}
            onChange={(v) => {
              setApiKey(v);
              if (v !== '') setClearKey(false);
            }}
            saved={saved?.hasApiKey === true && !clearKey}
            hint={saved?.hasApiKey ? t('agents.form.apiKeyKeepHint') : t('agents.form.apiKeyHint')}
            error={errors.apiKey}
            optional
          />
          {saved?.hasApiKey && (
            <Checkbox label={t('agents.form.clearApiKey')} checked={clearKey} disabled={apiKey !== ''} onChange={setClearKey} />
          )}
          <TextField
            label={t('agents.form.temperature')}
            value={temperature}
            onChange={setTemperature}
            inputMode="decimal"
            placeholder="0.7"
            hint={t('agents.form.temperatureHint')}
            error={errors.temperature}
            className="field--short"
            optional
          />
        </div>
      )}
      {banner && <Banner tone="error">{banner}</Banner>}
      <div className="agent-form__actions">
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          {t('common.cancel')}
        </button>
        <button type={embedded ? 'button' : 'submit'} className="button button--primary" onClick={embedded ? () => void save() : undefined} disabled={busy}>
          {busy ? t('common.saving') : t('common.save')}
        </button>
      </div>
    </>
  );

  const labelledBy = heading !== undefined ? headingId : undefined;
  return embedded ? (
    <div className="agent-form agent-form--embedded" role="group" aria-labelledby={labelledBy} onKeyDown={onKeyDown}>
      {fields}
    </div>
  ) : (
    <form className="agent-form" aria-labelledby={labelledBy} onSubmit={onSubmit} noValidate>
      {fields}
    </form>
  );
}
