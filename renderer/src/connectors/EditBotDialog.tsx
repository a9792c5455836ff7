import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type LiveKey, type LiveView, maxConcurrentAnswersSchema, resolveLiveSettings } from '@shared/bot-settings';
import type { BotLanguage, ReplyMode } from '@shared/config-schema';
import type { AgentView, BotView, MethodInput, ReceiveMode } from '@shared/contract';
import { useClient } from '../api/ClientContext';
import { Banner } from '../components/Banner';
import { Checkbox, SecretField, SelectField, TextField } from '../components/Field';
import { Modal } from '../components/Modal';
import { errorField, errorText } from '../lib/errors';
import { AccessSection, PeoplePicker, RadioGroup } from './AccessSection';
import { botName } from './BotItem';
import { RequestUrl } from './RequestUrl';
import { changedSettings } from './setting-changes';
import { useWebhookContext } from './useWebhookSetup';
import './connectors.css';

type FieldName = 'agentId' | 'displayName' | 'appSecret' | 'encryptKey' | 'verificationToken' | 'receive' | 'maxConcurrentAnswers';

/** Agent, display name and replacement secrets of one bot. Secrets are never shown or pre-filled. */
export function EditBotDialog({ bot, agents, onClose }: { bot: BotView; agents: AgentView[]; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useClient();
  const [agentId, setAgentId] = useState(bot.agentId);
  const [displayName, setDisplayName] = useState(bot.displayName ?? '');
  const [appSecret, setAppSecret] = useState('');
  const [encryptKey, setEncryptKey] = useState('');
  const [clearEncryptKey, setClearEncryptKey] = useState(false);
  const [verificationToken, setVerificationToken] = useState('');
  const [receive, setReceive] = useState<ReceiveMode>(bot.receive);
  const webhook = useWebhookContext();
  // Offered where the platform can reach a request URL (a server), or kept visible on a bot already in webhook mode.
  const offerReceive = webhook.headless === true || bot.receive === 'webhook';
  // Every setting the app edits, as the bot has it now; the ones changed are sent on save.
  const [settings, setSettings] = useState<LiveView>(() => resolveLiveSettings(bot));
  const set =
    <K extends LiveKey>(key: K) =>
    (value: LiveView[K]) =>
      setSettings((s) => ({ ...s, [key]: value }));
  // Typed as text, so what is being typed can be shown as it is until save.
  const [concurrency, setConcurrency] = useState(String(bot.maxConcurrentAnswers));
  const [busy, setBusy] = useState<'checking' | 'saving' | null>(null);
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [banner, setBanner] = useState<string | null>(null);
  const platform = t(`platform.${bot.platform}`);

  const save = async () => {
    setErrors({});
    setBanner(null);
    const input: MethodInput<'bots.update'> = { id: bot.id };
    if (agentId !== bot.agentId) input.agentId = agentId;
    if (displayName.trim() !== (bot.displayName ?? '')) input.displayName = displayName.trim();
    if (appSecret.trim() !== '') input.appSecret = appSecret.trim();
    if (encryptKey.trim() !== '') input.encryptKey = encryptKey.trim();
    else if (clearEncryptKey) input.encryptKey = '';
    if (verificationToken.trim() !== '') input.verificationToken = verificationToken.trim();
    if (receive !== bot.receive) input.receive = receive;
    if (receive === 'webhook') {
      // Every request is checked with both: said here rather than by a bot that refuses everything.
      if (!(input.encryptKey ?? (bot.hasEncryptKey ? 'saved' : ''))) {
        setErrors({ encryptKey: t('webhook.encryptKeyRequired') });
        return;
      }
      if (!(input.verificationToken ?? (bot.hasVerificationToken ? 'saved' : ''))) {
        setErrors({ verificationToken: t('webhook.tokenRequired') });
        return;
      }
    }
    const parallel = Number(concurrency.trim());
    if (!/^\d+$/.test(concurrency.trim()) || !maxConcurrentAnswersSchema.safeParse(parallel).success) {
      setErrors({ maxConcurrentAnswers: t('editBot.concurrencyInvalid') });
      return;
    }
    Object.assign(input, changedSettings(bot, { ...settings, maxConcurrentAnswers: parallel }));

    try {
      if (input.appSecret !== undefined) {
        // A wrong secret would only show up later as a failed connection: say it here instead.
        setBusy('checking');
        const check = await client.call('bots.checkCredentials', {
          platform: bot.platform,
          appId: bot.appId,
          appSecret: input.appSecret,
          ...(bot.domain ? { domain: bot.domain } : {}),
        });
        if (!check.ok && (check.reason === 'credentials' || check.reason === 'unknown_app')) {
          setErrors({ appSecret: t('editBot.wrongSecret', { platform }) });
          setBusy(null);
          return;
        }
      }
      setBusy('saving');
      await client.call('bots.update', input);
      onClose();
    } catch (err) {
      const field = errorField(err);
      if (
        field === 'agentId' ||
        field === 'displayName' ||
        field === 'appSecret' ||
        field === 'encryptKey' ||
        field === 'verificationToken' ||
        field === 'receive' ||
        field === 'maxConcurrentAnswers'
      ) {
        setErrors({ [field]: errorText(t, err) });
      } else {
        setBanner(errorText(t, err));
      }
      setBusy(null);
    }
  };

  const replyOptions: Array<{ value: ReplyMode; label: string }> = [
    { value: 'card', label: t('editBot.replyCard') },
    { value: 'message', label: t('editBot.replyMessage') },
  ];
  const languageOptions: Array<{ value: BotLanguage; label: string }> = [
    { value: 'auto', label: t(`editBot.languageAuto.${bot.platform}`) },
    { value: 'en', label: 'English' },
    { value: 'zh-CN', label: '简体中文' },
  ];
  const agentOptions = agents.map((a) => ({ value: a.id, label: a.name }));
  if (!agents.some((a) => a.id === bot.agentId)) agentOptions.unshift({ value: bot.agentId, label: bot.agentId });

  return (
    <Modal
      title={t('editBot.title', { name: botName(bot) })}
      aside={<span className="mono">{bot.appId}</span>}
      size="small"
      busy={busy !== null}
      onClose={onClose}
      onSubmit={() => void save()}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy !== null}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button button--primary" disabled={busy !== null}>
            {busy === 'checking' ? t('editBot.checking') : busy === 'saving' ? t('common.saving') : t('common.save')}
          </button>
        </>
      }
    >
      <div className="stack">
        <SelectField label={t('addBot.agent.choose')} value={agentId} onChange={setAgentId} options={agentOptions} error={errors.agentId} />
        <TextField
          label={t('editBot.displayName')}
          value={displayName}
          onChange={setDisplayName}
          placeholder={bot.appId}
          hint={t('editBot.displayNameHint')}
          error={errors.displayName}
          optional
        />
        <SelectField
          label={t('editBot.replyDm')}
          value={settings.replyMode.dm}
          onChange={(dm) => setSettings((s) => ({ ...s, replyMode: { ...s.replyMode, dm } }))}
          options={replyOptions}
        />
        <SelectField
          label={t('editBot.replyGroup')}
          value={settings.replyMode.group}
          onChange={(group) => setSettings((s) => ({ ...s, replyMode: { ...s.replyMode, group } }))}
          options={replyOptions}
        />
        <SelectField
          label={t('editBot.backlog')}
          value={settings.backlog}
          onChange={set('backlog')}
          options={[
            { value: 'note', label: t('editBot.backlogNote') },
            { value: 'hold', label: t('editBot.backlogHold') },
            { value: 'answer', label: t('editBot.backlogAnswer') },
            { value: 'skip', label: t('editBot.backlogSkip') },
          ]}
          hint={t('editBot.backlogHint')}
        />
        <TextField
          label={t('editBot.concurrency')}
          value={concurrency}
          onChange={setConcurrency}
          hint={t('editBot.concurrencyHint')}
          error={errors.maxConcurrentAnswers}
        />
        <SelectField
          label={t('editBot.language')}
          value={settings.language}
          onChange={set('language')}
          options={languageOptions}
          hint={t('editBot.languageHint')}
        />
        <SecretField
          label={t('editBot.appSecret')}
          value={appSecret}
          onChange={setAppSecret}
          saved={bot.hasAppSecret}
          hint={t('editBot.appSecretHint')}
          error={errors.appSecret}
        />
        <SecretField
          label={t('editBot.encryptKey')}
          value={encryptKey}
          onChange={(v) => {
            setEncryptKey(v);
            if (v !== '') setClearEncryptKey(false);
          }}
          saved={bot.hasEncryptKey && !clearEncryptKey}
          placeholder={t('common.notSet')}
          hint={bot.hasEncryptKey ? t('editBot.encryptKeyHint') : t('addBot.encryption.note')}
          error={errors.encryptKey}
          optional={receive !== 'webhook'}
        />
        {bot.hasEncryptKey && receive !== 'webhook' && (
          <Checkbox
            label={t('editBot.clearEncryptKey')}
            checked={clearEncryptKey}
            disabled={encryptKey !== ''}
            onChange={setClearEncryptKey}
          />
        )}
        {offerReceive && (
          <RadioGroup
            legend={t('webhook.receive')}
            name="receive"
            value={receive}
            onChange={(mode) => {
              setReceive(mode);
              if (mode === 'webhook') setClearEncryptKey(false);
            }}
            hint={errors.receive ?? t('webhook.receiveHint')}
            options={[
              { value: 'long-connection', label: t('webhook.longConnection') },
              { value: 'webhook', label: t('webhook.webhook') },
            ]}
          />
        )}
        {receive === 'webhook' && (
          <>
            <SecretField
              label={t('webhook.token')}
              value={verificationToken}
              onChange={setVerificationToken}
              saved={bot.hasVerificationToken}
              placeholder={t('common.notSet')}
              hint={bot.hasVerificationToken ? t('webhook.tokenKeepHint') : t('webhook.tokenHint')}
              error={errors.verificationToken}
            />
            <RequestUrl botId={bot.id} publicUrl={webhook.publicUrl} />
          </>
        )}
        <AccessSection botId={bot.id} value={settings.access} onChange={set('access')} />
        <section className="access stack" aria-label={t('editBot.approvals.heading')}>
          <h3 className="access__heading">{t('editBot.approvals.heading')}</h3>
          <p className="field__hint">{t('editBot.approvals.intro')}</p>
          <RadioGroup
            legend={t('editBot.approvals.place')}
            name="approvals"
            value={settings.approvals}
            onChange={set('approvals')}
            hint={t('editBot.approvals.placeHint')}
            options={[
              { value: 'chat', label: t('editBot.approvals.placeChat') },
              { value: 'dm', label: t('editBot.approvals.placeDm') },
            ]}
          />
          <PeoplePicker
            botId={bot.id}
            label={t('editBot.approvals.approvers')}
            hint={t('editBot.approvals.approversHint', { platform })}
            ids={settings.approvers}
            onChange={set('approvers')}
          />
          {settings.approvers.length === 0 && <p className="field__hint">{t('editBot.approvals.noApprovers')}</p>}
          <Checkbox
            label={t('editBot.approvals.askersMayApprove')}
            hint={t('editBot.approvals.askersMayApproveHint')}
            checked={settings.askersMayApprove}
            onChange={set('askersMayApprove')}
          />
          <Checkbox
            label={t('editBot.approvals.usageFooter')}
            hint={t('editBot.approvals.usageFooterHint')}
            checked={settings.usageFooter}
            onChange={set('usageFooter')}
          />
        </section>
        {banner && <Banner tone="error">{banner}</Banner>}
      </div>
    </Modal>
  );
}
