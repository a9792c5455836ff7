import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BotView, EventPayload, MethodInput } from '@shared/contract';
import type { Platform } from '@shared/config-schema';
import { useClient, useEvent } from '../../api/ClientContext';
import { Modal } from '../../components/Modal';
import { errorField, errorText, isRpcError } from '../../lib/errors';
import { isHttpUrl, isValidAppId, optionalText } from '../../lib/validation';
import { DEFAULT_ACCESS_VIEW, sameAccess } from '../AccessSection';
import { AgentStep } from './AgentStep';
import { CredentialsStep } from './CredentialsStep';
import { EncryptionStep } from './EncryptionStep';
import { RequestUrl } from '../RequestUrl';
import { useWebhookContext } from '../useWebhookSetup';
import { LiveChecklist } from './LiveChecklist';
import { useScanToCreate } from './ScanToCreate';
import { FIELD_IDS, type CredentialSource, type Draft, type FieldErrors, type ScannedApp, type StepBanner } from './types';
import './add-bot.css';

const TOTAL_STEPS = 3;

const emptyDraft: Draft = {
  appId: '',
  appSecret: '',
  domain: '',
  encryptKey: '',
  receive: 'long-connection',
  verificationToken: '',
  botAdded: false,
  scopesAdded: false,
  agentId: '',
  displayName: '',
  access: DEFAULT_ACCESS_VIEW,
  credentialSource: 'paste',
  scanned: null,
  ownerApprover: true,
};

/** The app a scan made, while scanning is the chosen way (switching to paste drops it). */
const scannedApp = (d: Draft): ScannedApp | null => (d.credentialSource === 'scan' ? d.scanned : null);

/**
 * Moves the caret to the field to fix, right after React has rendered its error (a layout effect,
 * in the same task as the answer that said so). A later frame would be too late: by then the person
 * may already be typing in another field, and the rest of their typing would land in this one.
 */
function useFieldFocus(): (id: string) => void {
  const [target, setTarget] = useState<{ id: string } | null>(null);
  useLayoutEffect(() => {
    if (target) document.getElementById(target.id)?.focus();
  }, [target]);
  return useCallback((id: string) => setTarget({ id }), []);
}

/**
 * The guide's "Add Bot" dialog: 1 credentials, 2 Encrypt Key + console checklist, 3 agent and
 * register, then a live checklist until the first message is answered. Everything typed is kept
 * in one draft, across Back/Next and failed checks.
 */
interface AddBotDialogProps {
  platform: Platform;
  /** App IDs Kocoro already has a bot for: caught in step 1 instead of at "Register Bot". */
  registeredAppIds: readonly string[];
  /** The agent chosen beforehand (Try it's "Add this agent to your Lark / Feishu"). */
  initialAgentId?: string;
  onClose: () => void;
}

export function AddBotDialog({ platform, registeredAppIds, initialAgentId, onClose }: AddBotDialogProps) {
  const { t } = useTranslation();
  const client = useClient();
  const [step, setStep] = useState(1);
  const [draft, setDraft] = useState<Draft>(() => (initialAgentId ? { ...emptyDraft, agentId: initialAgentId } : emptyDraft));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [banner, setBanner] = useState<StepBanner | null>(null);
  const [busy, setBusy] = useState<'checking' | 'registering' | null>(null);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [reminderShown, setReminderShown] = useState(false);
  const [creatingAgent, setCreatingAgent] = useState(false);
  const [created, setCreated] = useState<BotView | null>(null);
  /** The credentials last accepted by the platform: going back and forth does not re-check them. */
  const [verified, setVerified] = useState<string | null>(null);
  /** Status events seen while registering: one may beat the `bots.create` answer. */
  const earlyStatus = useRef(new Map<string, EventPayload<'bot.status'>>());

  useEvent('bot.status', (status) => {
    earlyStatus.current.set(status.botId, status);
  });

  // A scanned app's secret waits in the core until the bot is created with it; a dialog closed
  // before that (or a scan set aside for pasted credentials) has the core forget it.
  const unusedScan = useRef<string | null>(null);
  useEffect(() => {
    unusedScan.current = created === null ? (draft.scanned?.registrationId ?? null) : null;
  });
  const forgetScan = useCallback(
    (registrationId: string | null) => {
      if (registrationId) client.call('registration.cancel', { registrationId }).catch(() => undefined);
    },
    [client],
  );
  useEffect(() => () => forgetScan(unusedScan.current), [forgetScan]);

  const platformName = t(`platform.${platform}`);
  const focusField = useFieldFocus();
  const webhook = useWebhookContext();
  const offerReceive = webhook.headless === true;

  const update = useCallback((patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    // Editing a field clears what was said about it (never the value itself).
    setErrors((e) => {
      const next = { ...e };
      for (const key of Object.keys(patch) as Array<keyof Draft>) {
        if (key in next) delete next[key as keyof FieldErrors];
        if (key === 'appId' || key === 'appSecret') next.credentials = undefined;
      }
      return next;
    });
  }, []);

  const credentialsKey = (d: Draft = draft) =>
    JSON.stringify([d.appId.trim(), scannedApp(d)?.registrationId ?? d.appSecret.trim(), d.domain.trim()]);
  /** The platform the bot is made on: a scan by a Lark organization made a Lark app. */
  const botPlatform = (d: Draft = draft): Platform => scannedApp(d)?.platform ?? platform;

  /** `advance`: go on to step 2 once accepted (Next); a scan's own check stays on step 1 to show the result. */
  const checkCredentials = async (d: Draft = draft, advance = true) => {
    const next: FieldErrors = {};
    const appId = d.appId.trim();
    const scanned = scannedApp(d);
    if (d.credentialSource === 'scan' && scanned === null) {
      setBanner({ tone: 'warning', text: t('addBot.scan.notYet') });
      return;
    }
    if (appId === '') next.appId = t('addBot.errors.appIdRequired');
    else if (!isValidAppId(appId)) next.appId = t('addBot.errors.appIdFormat');
    else if (registeredAppIds.some((id) => id.toLowerCase() === appId.toLowerCase())) next.appId = t('addBot.errors.conflict');
    if (scanned === null && d.appSecret.trim() === '') next.appSecret = t('addBot.errors.appSecretRequired');
    if (d.domain.trim() !== '' && !isHttpUrl(d.domain)) {
      next.domain = t('addBot.errors.domain');
      setAdvancedOpen(true);
    }
    setErrors(next);
    setBanner(null);
    const first = (['appId', 'appSecret', 'domain'] as const).find((f) => next[f]);
    if (first) {
      focusField(FIELD_IDS[first]);
      return;
    }
    if (verified === credentialsKey(d)) {
      if (advance) setStep(2);
      return;
    }

    setBusy('checking');
    try {
      const result = await client.call('bots.checkCredentials', {
        platform: botPlatform(d),
        appId,
        // A scanned app is checked on its registration's own Open Platform: no URL goes with it.
        ...(scanned
          ? { registrationId: scanned.registrationId }
          : { appSecret: d.appSecret.trim(), ...(optionalText(d.domain) !== undefined ? { domain: d.domain.trim() } : {}) }),
      });
      if (result.ok) {
        setVerified(credentialsKey(d));
        if (advance) setStep(2);
      } else if (result.reason === 'unknown_app') {
        setErrors({ appId: t('addBot.errors.unknownApp', { platform: platformName }), credentials: true });
        focusField(FIELD_IDS.appId);
      } else if (result.reason === 'credentials') {
        setErrors({ appSecret: t('addBot.errors.credentials', { platform: platformName }), credentials: true });
        focusField(FIELD_IDS.appSecret);
      } else if (result.reason === 'network') {
        setBanner({ tone: 'error', text: t('addBot.errors.network', { platform: platformName }), detail: result.message });
        if (d.domain.trim() !== '') setAdvancedOpen(true);
      } else {
        setBanner({ tone: 'error', text: t('addBot.errors.platform'), detail: result.message });
      }
    } catch (err) {
      const field = errorField(err);
      if (field === 'appId' || field === 'appSecret' || field === 'domain') {
        setErrors({ [field]: errorText(t, err) });
        if (field === 'domain') setAdvancedOpen(true);
        focusField(FIELD_IDS[field]);
      } else {
        setBanner({ tone: 'error', text: errorText(t, err) });
      }
    } finally {
      setBusy(null);
    }
  };

  /** A scan created the app: fill in its App ID and check it like typed credentials. */
  const onScanned = (app: ScannedApp) => {
    const patch: Partial<Draft> = { appId: app.appId, appSecret: '', scanned: app, ownerApprover: true };
    update(patch);
    setBanner(null);
    void checkCredentials({ ...draft, ...patch }, false);
  };
  const scan = useScanToCreate(platform, onScanned);

  const chooseSource = (credentialSource: CredentialSource) => {
    if (credentialSource === draft.credentialSource) return;
    setBanner(null);
    if (credentialSource === 'paste') {
      scan.cancel();
      forgetScan(draft.scanned?.registrationId ?? null);
      // The App ID of an app the scan made stays (its secret can be pasted from the console).
      update({ credentialSource, scanned: null, appSecret: '' });
    } else {
      update({ credentialSource, scanned: null });
      scan.start();
    }
  };

  const continueFromChecklist = () => {
    if (draft.receive === 'webhook') {
      // A webhook bot checks every request with both: asked for here, where they are pasted.
      const next: FieldErrors = {};
      if (draft.encryptKey.trim() === '') next.encryptKey = t('webhook.encryptKeyRequired');
      if (draft.verificationToken.trim() === '') next.verificationToken = t('webhook.tokenRequired');
      setErrors(next);
      const first = (['encryptKey', 'verificationToken'] as const).find((f) => next[f]);
      if (first) {
        focusField(FIELD_IDS[first]);
        return;
      }
    }
    if ((!draft.botAdded || !draft.scopesAdded) && !reminderShown) {
      setReminderShown(true);
      return;
    }
    setStep(3);
  };

  const register = async () => {
    const next: FieldErrors = {};
    if (draft.agentId === '') next.agentId = t('addBot.errors.agentRequired');
    setErrors(next);
    setBanner(null);
    if (next.agentId) {
      focusField(FIELD_IDS.agentId);
      return;
    }
    const scanned = scannedApp(draft);
    // The scanner, offered as the bot's owner: an approver, and allowed to DM it even under an allowlist.
    const owner =
      scanned?.ownerOpenId !== undefined && draft.ownerApprover && /^ou_[A-Za-z0-9_-]+$/.test(scanned.ownerOpenId)
        ? scanned.ownerOpenId
        : null;
    const access =
      owner !== null && !draft.access.dmAllow.includes(owner)
        ? { ...draft.access, dmAllow: [...draft.access.dmAllow, owner] }
        : draft.access;
    const input: MethodInput<'bots.create'> = {
      platform: botPlatform(),
      appId: draft.appId.trim(),
      ...(scanned
        ? { registrationId: scanned.registrationId }
        : { appSecret: draft.appSecret.trim(), ...(optionalText(draft.domain) !== undefined ? { domain: draft.domain.trim() } : {}) }),
      agentId: draft.agentId,
      ...(optionalText(draft.encryptKey) !== undefined ? { encryptKey: draft.encryptKey.trim() } : {}),
      ...(draft.receive === 'webhook' ? { receive: 'webhook' as const, verificationToken: draft.verificationToken.trim() } : {}),
      ...(optionalText(draft.displayName) !== undefined ? { displayName: draft.displayName.trim() } : {}),
      ...(sameAccess(draft.access, DEFAULT_ACCESS_VIEW) ? {} : { access }),
      ...(owner !== null ? { approvers: [owner] } : {}),
    };
    earlyStatus.current.clear();
    setBusy('registering');
    try {
      const bot = await client.call('bots.create', input);
      const early = earlyStatus.current.get(bot.id);
      setCreated(early && early.since >= bot.status.since ? { ...bot, status: early } : bot);
    } catch (err) {
      const field = errorField(err);
      if (isRpcError(err, 'conflict')) {
        setErrors({ appId: t('addBot.errors.conflict') });
        setBanner({ tone: 'error', text: t('addBot.errors.conflict'), backToStep1: true });
      } else if (field === 'appId' || field === 'appSecret' || field === 'domain') {
        setErrors({ [field]: errorText(t, err) });
        setBanner({ tone: 'error', text: errorText(t, err), backToStep1: true });
      } else if (field === 'encryptKey' || field === 'verificationToken') {
        // Typed in step 2: shown there.
        setErrors({ [field]: errorText(t, err) });
        setStep(2);
      } else if (field === 'agentId' || field === 'displayName') {
        setErrors({ [field]: errorText(t, err) });
      } else {
        setBanner({ tone: 'error', text: errorText(t, err) });
      }
    } finally {
      setBusy(null);
    }
  };

  const submit = () => {
    if (busy !== null) return;
    if (created !== null) onClose();
    else if (step === 1) void checkCredentials();
    else if (step === 2) continueFromChecklist();
    else if (!creatingAgent) void register();
  };

  const back = () => {
    setBanner(null);
    setErrors((e) => (step === 3 ? e : {}));
    setStep((s) => Math.max(1, s - 1));
  };

  const footer =
    created !== null ? (
      <button key="done" type="submit" className="button button--primary">
        {t('common.done')}
      </button>
    ) : (
      <>
        <button key="cancel" type="button" className="button button--ghost modal__footer-start" onClick={onClose} disabled={busy !== null}>
          {t('common.cancel')}
        </button>
        {step > 1 && (
          <button key="back" type="button" className="button" onClick={back} disabled={busy !== null}>
            {t('common.back')}
          </button>
        )}
        {step < 3 ? (
          <button key="next" type="submit" className="button button--primary" aria-disabled={busy !== null} aria-busy={busy === 'checking'}>
            {busy === 'checking' ? t('addBot.credentials.checking') : t('common.next')}
          </button>
        ) : (
          <button
            key="register"
            type="submit"
            className="button button--primary"
            aria-disabled={busy !== null || creatingAgent}
            aria-busy={busy === 'registering'}
          >
            {busy === 'registering' ? t('addBot.agent.registering') : t('addBot.agent.register')}
          </button>
        )}
      </>
    );

  const stepNames = [t('addBot.stepNames.credentials'), t('addBot.stepNames.console'), t('addBot.stepNames.agent')];

  return (
    <Modal
      title={t(`addBot.title.${platform}`)}
      aside={t('addBot.step', { current: step, total: TOTAL_STEPS })}
      onClose={onClose}
      onSubmit={submit}
      busy={busy !== null}
      footer={footer}
    >
      <ol className="stepper" aria-hidden="true">
        {stepNames.map((name, index) => (
          <li
            key={name}
            className={
              index + 1 === step
                ? 'stepper__step stepper__step--current'
                : index + 1 < step
                  ? 'stepper__step stepper__step--done'
                  : 'stepper__step'
            }
          >
            <span className="stepper__bar" />
            <span className="stepper__name">{name}</span>
          </li>
        ))}
      </ol>
      {step === 1 && (
        <CredentialsStep
          platform={platform}
          draft={draft}
          update={update}
          errors={errors}
          banner={banner}
          advancedOpen={advancedOpen}
          onAdvancedToggle={setAdvancedOpen}
          onSourceChange={chooseSource}
          scan={scan}
          checking={busy === 'checking'}
          verified={verified !== null && verified === credentialsKey()}
        />
      )}
      {step === 2 && (
        <EncryptionStep
          platform={botPlatform()}
          draft={draft}
          update={update}
          errors={errors}
          offerReceive={offerReceive}
          showReminder={reminderShown && (!draft.botAdded || !draft.scopesAdded)}
        />
      )}
      {step === 3 && created === null && (
        <AgentStep
          draft={draft}
          update={update}
          errors={errors}
          banner={banner}
          creatingAgent={creatingAgent}
          setCreatingAgent={setCreatingAgent}
          onBackToStep1={() => {
            setBanner(null);
            setStep(1);
          }}
        />
      )}
      {created !== null && created.receive === 'webhook' && <RequestUrl botId={created.id} publicUrl={webhook.publicUrl} />}
      {created !== null && <LiveChecklist bot={created} />}
    </Modal>
  );
}
