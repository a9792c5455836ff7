import { sameKeyHolder } from '@shared/provider-endpoint';
import { useCallback, useEffect, useId, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentView, MethodInput, ProviderInput } from '@shared/contract';
import { useClient } from '../api/ClientContext';
import { Banner } from '../components/Banner';
import { Checkbox, SecretField, SelectField, TextField } from '../components/Field';
import { errorField, errorText } from '../lib/errors';
import { isHttpUrl, optionalText, parseTemperature } from '../lib/validation';
import './agents.css';

type ProviderType = ProviderInput['type'];
type FieldName =
  'name' | 'systemPrompt' | 'baseUrl' | 'model' | 'apiKey' | 'temperature' | 'url' | 'agent' | 'command' | 'args' | 'cwd' | 'timeoutSec';
type KocoroAgent = { name: string; displayName?: string; description?: string };

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
    case 'provider.url':
    case 'url':
      return 'url';
    case 'provider.agent':
      return 'agent';
    case 'provider.command':
      return 'command';
    case 'provider.args':
      return 'args';
    case 'provider.cwd':
      return 'cwd';
    case 'provider.timeoutSec':
      return 'timeoutSec';
    default:
      return undefined;
  }
}

export function AgentForm({ agent, onSaved, onCancel, embedded = false, heading }: AgentFormProps) {
  const { t } = useTranslation();
  const client = useClient();
  const headingId = useId();
  const p = agent?.provider;
  const saved = p?.type === 'openai' || p?.type === 'anthropic' ? p : undefined;
  const savedKocoro = p?.type === 'kocoro' ? p : undefined;
  const savedCommand = p?.type === 'command' ? p : undefined;
  const [name, setName] = useState(agent?.name ?? '');
  const [systemPrompt, setSystemPrompt] = useState(agent?.systemPrompt ?? '');
  const [providerType, setProviderType] = useState<ProviderType>(agent?.provider.type ?? 'echo');
  const [baseUrl, setBaseUrl] = useState(saved?.baseUrl ?? '');
  // The saved key stays only for the same provider at the same origin (shared/provider-endpoint.ts).
  const keyStays =
    Boolean(saved?.hasApiKey) && saved !== undefined && sameKeyHolder(saved, { type: providerType, baseUrl: baseUrl.trim() });
  const [model, setModel] = useState(saved?.model ?? '');
  const [apiKey, setApiKey] = useState('');
  const [clearKey, setClearKey] = useState(false);
  const [temperature, setTemperature] = useState(
    saved?.type === 'openai' && saved.temperature !== undefined ? String(saved.temperature) : '',
  );
  const [kocoroUrl, setKocoroUrl] = useState(savedKocoro?.url ?? '');
  const [kocoroAgent, setKocoroAgent] = useState(savedKocoro?.agent ?? '');
  const [kocoroAgents, setKocoroAgents] = useState<KocoroAgent[] | null>(null);
  const [kocoroLoading, setKocoroLoading] = useState(false);
  const [command, setCommand] = useState(savedCommand?.command ?? '');
  const [args, setArgs] = useState((savedCommand?.args ?? []).join('\n'));
  const [inputMode, setInputMode] = useState<'stdin' | 'arg'>(savedCommand?.input ?? 'stdin');
  const [cwd, setCwd] = useState(savedCommand?.cwd ?? '');
  const [timeoutSec, setTimeoutSec] = useState(savedCommand?.timeoutSec !== undefined ? String(savedCommand.timeoutSec) : '');
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [banner, setBanner] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** Lists the daemon's agents for the select; an unreachable daemon shows under the URL field. */
  const loadKocoroAgents = useCallback(async () => {
    const url = kocoroUrl.trim();
    if (url !== '' && !isHttpUrl(url)) {
      setErrors((e) => ({ ...e, url: t('agents.form.baseUrlInvalid') }));
      return;
    }
    setKocoroLoading(true);
    try {
      const result = await client.call('agents.kocoroAgents', url === '' ? {} : { url });
      setKocoroAgents(result.agents);
      setErrors((e) => ({ ...e, url: undefined }));
    } catch (err) {
      setKocoroAgents(null);
      setErrors((e) => ({ ...e, url: errorText(t, err) }));
    } finally {
      setKocoroLoading(false);
    }
  }, [client, kocoroUrl, t]);

  // First time the Kocoro provider is shown: fill the select.
  useEffect(() => {
    if (providerType === 'kocoro' && kocoroAgents === null && !kocoroLoading) void loadKocoroAgents();
  }, [providerType]);

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
    if (providerType === 'anthropic') {
      if (baseUrl.trim() !== '' && !isHttpUrl(baseUrl)) next.baseUrl = t('agents.form.baseUrlInvalid');
      if (model.trim() === '') next.model = t('agents.form.modelRequired');
      const key = apiKey.trim();
      provider = {
        type: 'anthropic',
        model: model.trim(),
        ...(optionalText(baseUrl) !== undefined ? { baseUrl: baseUrl.trim() } : {}),
        ...(key !== '' ? { apiKey: key } : clearKey ? { apiKey: null } : {}),
      };
    }
    if (providerType === 'kocoro') {
      if (kocoroUrl.trim() !== '' && !isHttpUrl(kocoroUrl)) next.url = t('agents.form.baseUrlInvalid');
      if (kocoroAgent.trim() === '') next.agent = t('agents.form.kocoroAgentRequired');
      provider = { type: 'kocoro', agent: kocoroAgent.trim(), ...(kocoroUrl.trim() !== '' ? { url: kocoroUrl.trim() } : {}) };
    }
    if (providerType === 'command') {
      if (command.trim() === '') next.command = t('agents.form.commandRequired');
      const limit = timeoutSec.trim() === '' ? undefined : Number(timeoutSec.trim());
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 86_400))
        next.timeoutSec = t('agents.form.timeoutInvalid');
      const argList = args.split(/\r?\n/).filter((a) => a.trim() !== '');
      provider = {
        type: 'command',
        command: command.trim(),
        ...(argList.length > 0 ? { args: argList } : {}),
        input: inputMode,
        ...(cwd.trim() !== '' ? { cwd: cwd.trim() } : {}),
        ...(limit !== undefined ? { timeoutSec: limit } : {}),
      };
    }
    setErrors(next);
    if (Object.values(next).some((v) => v !== undefined)) return null;
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
      <TextField
        label={t('agents.form.name')}
        value={name}
        onChange={setName}
        placeholder={t('agents.form.namePlaceholder')}
        error={errors.name}
        autoFocus
        required
      />
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
          { value: 'anthropic', label: t('agents.form.providerAnthropic') },
          { value: 'kocoro', label: t('agents.form.providerKocoro') },
          { value: 'command', label: t('agents.form.providerCommand') },
        ]}
      />
      {providerType === 'kocoro' && (
        <div className="agent-form__provider">
          <TextField
            label={t('agents.form.kocoroUrl')}
            value={kocoroUrl}
            onChange={setKocoroUrl}
            type="url"
            inputMode="url"
            placeholder="http://127.0.0.1:7533"
            hint={t('agents.form.kocoroUrlHint')}
            error={errors.url}
            monospace
            optional
          />
          <SelectField<string>
            label={t('agents.form.kocoroAgent')}
            value={kocoroAgent}
            onChange={setKocoroAgent}
            placeholder={
              kocoroLoading
                ? t('agents.form.kocoroLoading')
                : kocoroAgents?.length === 0
                  ? t('agents.form.kocoroNone')
                  : t('agents.form.kocoroAgentPlaceholder')
            }
            options={[
              ...(kocoroAgent !== '' && !(kocoroAgents ?? []).some((a) => a.name === kocoroAgent)
                ? [{ value: kocoroAgent, label: kocoroAgent }]
                : []),
              ...(kocoroAgents ?? []).map((a) => ({
                value: a.name,
                label: `${a.displayName ?? a.name}${a.description ? ` — ${a.description}` : ''}`,
              })),
            ]}
            error={errors.agent}
          />
          <button type="button" className="button button--small" onClick={() => void loadKocoroAgents()} disabled={kocoroLoading}>
            {kocoroLoading ? t('agents.form.kocoroLoading') : t('agents.form.kocoroRefresh')}
          </button>
        </div>
      )}
      {providerType === 'command' && (
        <div className="agent-form__provider">
          <TextField
            label={t('agents.form.command')}
            value={command}
            onChange={setCommand}
            placeholder={t('agents.form.commandPlaceholder')}
            hint={t('agents.form.commandHint')}
            error={errors.command}
            monospace
            required
          />
          <TextField
            label={t('agents.form.args')}
            value={args}
            onChange={setArgs}
            placeholder={'--print\n{message}'}
            hint={t('agents.form.argsHint')}
            error={errors.args}
            monospace
            multiline
            optional
          />
          <SelectField<'stdin' | 'arg'>
            label={t('agents.form.input')}
            value={inputMode}
            onChange={setInputMode}
            options={[
              { value: 'stdin', label: t('agents.form.inputStdin') },
              { value: 'arg', label: t('agents.form.inputArg') },
            ]}
          />
          <TextField
            label={t('agents.form.cwd')}
            value={cwd}
            onChange={setCwd}
            placeholder="~/work"
            hint={t('agents.form.cwdHint')}
            error={errors.cwd}
            monospace
            optional
          />
          <TextField
            label={t('agents.form.timeoutSec')}
            value={timeoutSec}
            onChange={setTimeoutSec}
            inputMode="decimal"
            placeholder="600"
            hint={t('agents.form.timeoutHint')}
            error={errors.timeoutSec}
            className="field--short"
            optional
          />
        </div>
      )}
      {(providerType === 'openai' || providerType === 'anthropic') && (
        <div className="agent-form__provider">
          <TextField
            label={t('agents.form.baseUrl')}
            value={baseUrl}
            onChange={setBaseUrl}
            type="url"
            inputMode="url"
            placeholder={providerType === 'anthropic' ? 'https://api.anthropic.com' : 'https://api.openai.com/v1'}
            hint={providerType === 'anthropic' ? t('agents.form.anthropicBaseUrlHint') : t('agents.form.baseUrlHint')}
            error={errors.baseUrl}
            monospace
            optional
          />
          <TextField
            label={t('agents.form.model')}
            value={model}
            onChange={setModel}
            placeholder={providerType === 'anthropic' ? t('agents.form.anthropicModelPlaceholder') : t('agents.form.modelPlaceholder')}
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
            saved={keyStays && !clearKey}
            hint={
              keyStays
                ? t('agents.form.apiKeyKeepHint')
                : saved?.hasApiKey
                  ? t('agents.form.apiKeyNewEndpoint')
                  : t('agents.form.apiKeyHint')
            }
            error={errors.apiKey}
            optional
          />
          {keyStays && <Checkbox label={t('agents.form.clearApiKey')} checked={clearKey} disabled={apiKey !== ''} onChange={setClearKey} />}
          {providerType === 'openai' && (
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
          )}
        </div>
      )}
      {banner && <Banner tone="error">{banner}</Banner>}
      <div className="agent-form__actions">
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          {t('common.cancel')}
        </button>
        <button
          type={embedded ? 'button' : 'submit'}
          className="button button--primary"
          onClick={embedded ? () => void save() : undefined}
          disabled={busy}
        >
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
