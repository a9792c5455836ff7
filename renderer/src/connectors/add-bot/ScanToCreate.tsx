import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Platform } from '@shared/config-schema';
import type { RegistrationEvent } from '@shared/contract';
import { isAllowedExternalLink } from '@shared/external-links';
import { useClient, useEvent } from '../../api/ClientContext';
import { Banner } from '../../components/Banner';
import { CopyButton } from '../../components/CopyButton';
import { ExternalLink } from '../../components/ExternalLink';
import { Checkbox, describedBy, FieldFrame } from '../../components/Field';
import { Spinner } from '../../components/Icon';
import { cx } from '../../lib/cx';
import { errorText } from '../../lib/errors';
import { FIELD_IDS, type CredentialSource, type Draft, type FieldErrors, type ScannedApp } from './types';
import './add-bot.css';

/**
 * "Create the app by scanning a QR code" (step 1 of Add Bot). The core runs the platform's device
 * flow (`registration.start`) and reports it as `registration` events: the QR code (an SVG made by
 * the core), polling, a switch to Lark, then `done` with the App ID and the scanner's open_id. The
 * App Secret never reaches the UI: the dialog passes the registration id instead.
 */

export type ScanFailureReason = NonNullable<RegistrationEvent['reason']> | 'cancelled';

export interface ScanState {
  /** `running`: started, the QR code shown once it arrives; `done`: the app exists. */
  phase: 'idle' | 'running' | 'done' | 'failed';
  registrationId: string | null;
  qr: { url: string; svg: string; expiresAt: number } | null;
  slowDown: boolean;
  /** The scanner's organization is on Lark: the flow moved to Lark's accounts host. */
  switched: boolean;
  failure: { reason: ScanFailureReason; message: string } | null;
}

export interface ScanController {
  state: ScanState;
  /** Starts a new registration (cancelling the one before, if it still runs). */
  start: () => void;
  /** Stops following the registration and cancels it in the core if it still runs. */
  cancel: () => void;
}

const IDLE: ScanState = { phase: 'idle', registrationId: null, qr: null, slowDown: false, switched: false, failure: null };
const EARLY_EVENTS_KEPT = 50;

/**
 * The registration the dialog follows. It lives in the dialog (not in step 1), so going to step 2
 * and back keeps what was scanned; unmounting (the dialog closed) cancels a registration still running.
 */
export function useScanToCreate(platform: Platform, onDone: (app: ScannedApp) => void): ScanController {
  const { t } = useTranslation();
  const client = useClient();
  const [state, setState] = useState<ScanState>(IDLE);
  /** The registration whose events are followed, and whether it may still be running in the core. */
  const current = useRef<{ id: string; live: boolean } | null>(null);
  /** Bumped by every start and cancel: a `registration.start` answer for an older one is cancelled at once. */
  const generation = useRef(0);
  /** Events that beat the `registration.start` answer (the event socket is not the call's channel). */
  const early = useRef<RegistrationEvent[]>([]);
  const starting = useRef(false);
  const latestOnDone = useRef(onDone);
  useEffect(() => {
    latestOnDone.current = onDone;
  });

  const apply = useCallback(
    (event: RegistrationEvent) => {
      const followed = current.current;
      if (followed === null || followed.id !== event.registrationId) return;
      switch (event.status) {
        case 'qr':
          if (event.qr) {
            const qr = event.qr;
            setState((s) => (s.phase === 'running' ? { ...s, qr } : s));
          }
          return;
        case 'polling':
          setState((s) => (s.phase === 'running' && s.slowDown ? { ...s, slowDown: false } : s));
          return;
        case 'slow_down':
          setState((s) => (s.phase === 'running' ? { ...s, slowDown: true } : s));
          return;
        case 'switched':
          setState((s) => (s.phase === 'running' ? { ...s, switched: true } : s));
          return;
        case 'done': {
          if (!followed.live || event.appId === undefined) return;
          followed.live = false;
          setState((s) => ({ ...s, phase: 'done' }));
          latestOnDone.current({
            registrationId: event.registrationId,
            appId: event.appId,
            platform: event.platform ?? platform,
            ...(event.ownerOpenId !== undefined ? { ownerOpenId: event.ownerOpenId } : {}),
          });
          return;
        }
        case 'failed':
        case 'cancelled': {
          if (!followed.live) return;
          followed.live = false;
          const reason: ScanFailureReason = event.status === 'cancelled' ? 'cancelled' : (event.reason ?? 'failed');
          setState((s) => ({ ...s, phase: 'failed', failure: { reason, message: event.message ?? '' } }));
          return;
        }
      }
    },
    [platform],
  );

  useEvent('registration', (event) => {
    if (current.current?.id === event.registrationId) apply(event);
    else if (starting.current && early.current.length < EARLY_EVENTS_KEPT) early.current.push(event);
  });

  const stopFollowing = useCallback(() => {
    generation.current += 1;
    starting.current = false;
    early.current = [];
    const followed = current.current;
    current.current = null;
    if (followed?.live) {
      client.call('registration.cancel', { registrationId: followed.id }).catch(() => {
        // Already over in the core (or the core is gone): nothing left to stop.
      });
    }
  }, [client]);

  const start = useCallback(() => {
    stopFollowing();
    const gen = generation.current;
    starting.current = true;
    setState({ ...IDLE, phase: 'running' });
    client.call('registration.start', { platform }).then(
      ({ registrationId }) => {
        if (gen !== generation.current) {
          client.call('registration.cancel', { registrationId }).catch(() => {});
          return;
        }
        starting.current = false;
        current.current = { id: registrationId, live: true };
        setState((s) => ({ ...s, registrationId }));
        const seen = early.current;
        early.current = [];
        for (const event of seen) apply(event);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        starting.current = false;
        setState({ ...IDLE, phase: 'failed', failure: { reason: 'failed', message: errorText(t, err) } });
      },
    );
  }, [apply, client, platform, stopFollowing, t]);

  const cancel = useCallback(() => {
    stopFollowing();
    setState(IDLE);
  }, [stopFollowing]);

  // The dialog closed: a registration still waiting for its scan is cancelled.
  useEffect(() => stopFollowing, [stopFollowing]);

  return { state, start, cancel };
}

/** Paste the credentials of an existing app (the default) or create one by scanning. */
export function CredentialSourceChoice({ value, onChange }: { value: CredentialSource; onChange: (source: CredentialSource) => void }) {
  const { t } = useTranslation();
  const name = useId();
  const options: Array<{ value: CredentialSource; label: string }> = [
    { value: 'paste', label: t('addBot.scan.choosePaste') },
    { value: 'scan', label: t('addBot.scan.chooseScan') },
  ];
  return (
    <fieldset className="source-choice">
      <legend className="visually-hidden">{t('addBot.scan.chooseLegend')}</legend>
      {options.map((o) => (
        <label key={o.value} className={cx('source-choice__option', value === o.value && 'source-choice__option--checked')}>
          <input type="radio" name={name} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
          <span>{o.label}</span>
        </label>
      ))}
    </fieldset>
  );
}

/** The SVG as a data: image (the CSP allows `img-src data:`): markup from the core is never put into the page. */
function svgImageSource(svg: string): string | null {
  if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg)) return null;
  let binary = '';
  for (const byte of new TextEncoder().encode(svg)) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

/** mm:ss (minutes may pass 59: a code lives 10 minutes). */
export function countdown(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

interface ScanPanelProps {
  platform: Platform;
  scan: ScanController;
  onPasteInstead: () => void;
}

/** The QR code with its countdown and link, the status line, and what went wrong with a way on. */
export function ScanPanel({ platform, scan, onPasteInstead }: ScanPanelProps) {
  const { t } = useTranslation();
  const { state } = scan;
  const panel = useRef<HTMLDivElement>(null);
  const now = useNow(state.phase === 'running' && state.qr !== null);
  // After a switch the scanner's organization is on Lark, whatever the dialog was opened for.
  const shownPlatform = state.switched ? 'lark' : platform;
  const name = t(`platform.${shownPlatform}`);

  const tryAgain = () => {
    scan.start();
    panel.current?.focus();
  };

  if (state.phase === 'failed' && state.failure) {
    const { reason, message } = state.failure;
    return (
      <div className="scan" ref={panel} tabIndex={-1}>
        <Banner tone="error" title={t(`addBot.scan.failed.${reason}`, { platform: name })}>
          <p>{reason === 'cancelled' ? t('addBot.scan.failed.cancelledBody') : message}</p>
        </Banner>
        <div className="scan__actions">
          <button type="button" className="button button--primary" onClick={tryAgain}>
            {t('addBot.scan.tryAgain')}
          </button>
          <button type="button" className="button" onClick={onPasteInstead}>
            {t('addBot.scan.pasteInstead')}
          </button>
        </div>
      </div>
    );
  }

  const qr = state.qr;
  const image = qr ? svgImageSource(qr.svg) : null;
  const left = qr ? qr.expiresAt - now : 0;
  const status =
    qr === null
      ? t('addBot.scan.status.starting')
      : left <= 0
        ? t('addBot.scan.status.expiring')
        : state.slowDown
          ? t('addBot.scan.status.slowDown', { platform: name })
          : state.switched
            ? t('addBot.scan.status.switched')
            : t('addBot.scan.status.waiting');

  return (
    <div className="scan" ref={panel} tabIndex={-1}>
      <p>{t('addBot.scan.intro', { platform: t(`platform.${platform}`) })}</p>
      <div className="scan__body">
        <div className="scan__code">
          {image ? (
            <img className="scan__image" src={image} alt={t('addBot.scan.qrAlt', { platform: name })} width={216} height={216} />
          ) : (
            <span className="scan__placeholder" aria-hidden="true">
              <Spinner />
            </span>
          )}
          {qr && (
            <p className={cx('scan__countdown', left <= 60_000 && 'scan__countdown--soon')}>
              {left > 0 ? (
                <>
                  {t('addBot.scan.expiresIn')} <span role="timer">{countdown(left)}</span>
                </>
              ) : (
                t('addBot.scan.expired')
              )}
            </p>
          )}
        </div>
        <div className="scan__side">
          <p className="scan__status" role="status">
            <Spinner /> {status}
          </p>
          {qr && (
            <>
              <p className="scan__link-label">{t('addBot.scan.link')}</p>
              <code className="scan__url selectable" title={qr.url}>
                {qr.url}
              </code>
              <div className="step__links">
                <CopyButton text={qr.url} label={t('addBot.scan.copyLink')} />
                {isAllowedExternalLink(qr.url) && <ExternalLink href={qr.url}>{t('addBot.scan.openHere')}</ExternalLink>}
              </div>
            </>
          )}
        </div>
      </div>
    </div>
  );
}

interface ScannedCredentialsProps {
  dialogPlatform: Platform;
  draft: Draft;
  update: (patch: Partial<Draft>) => void;
  errors: FieldErrors;
  checking: boolean;
  verified: boolean;
}

/** After the scan: the new App ID, the secret kept by the core, the check, and the scanner as owner. */
export function ScannedCredentials({ dialogPlatform, draft, update, errors, checking, verified }: ScannedCredentialsProps) {
  const { t } = useTranslation();
  const scanned = draft.scanned;
  if (scanned === null) return null;
  const owner = scanned.ownerOpenId !== undefined && /^ou_[A-Za-z0-9_-]+$/.test(scanned.ownerOpenId) ? scanned.ownerOpenId : null;
  return (
    <div className="step__fields">
      <Banner tone="success" announce title={t('addBot.scan.created', { appId: scanned.appId })}>
        {checking && (
          <p>
            <Spinner /> {t('addBot.scan.checking')}
          </p>
        )}
        {!checking && verified && <p>{t('addBot.scan.checked')}</p>}
        {scanned.platform !== dialogPlatform && <p>{t('addBot.scan.otherPlatform', { platform: t(`platform.${scanned.platform}`) })}</p>}
      </Banner>
      <ReadOnlyField
        id={FIELD_IDS.appId}
        label={t('addBot.credentials.appId')}
        value={draft.appId}
        error={errors.appId}
        invalid={errors.credentials}
        monospace
      />
      <ReadOnlyField
        id={FIELD_IDS.appSecret}
        label={t('addBot.credentials.appSecret')}
        value={t('addBot.scan.fromScan')}
        hint={t('addBot.scan.secretHint')}
        error={errors.appSecret}
      />
      {owner !== null && (
        <Checkbox
          label={t('addBot.scan.owner', { openId: owner })}
          hint={t('addBot.scan.ownerHint')}
          checked={draft.ownerApprover}
          onChange={(ownerApprover) => update({ ownerApprover })}
        />
      )}
    </div>
  );
}

interface ReadOnlyFieldProps {
  id: string;
  label: string;
  value: string;
  hint?: string;
  error?: string;
  invalid?: boolean;
  monospace?: boolean;
}

/** A field that shows what the scan gave: readable and focusable (errors can point at it), not editable. */
function ReadOnlyField({ id, label, value, hint, error, invalid, monospace }: ReadOnlyFieldProps) {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <FieldFrame id={id} label={label} hint={hint} hintId={hintId} error={error} errorId={errorId}>
      <input
        id={id}
        className={cx('input', 'input--readonly', monospace && 'input--mono')}
        value={value}
        readOnly
        aria-invalid={error || invalid ? true : undefined}
        aria-describedby={describedBy(hint && hintId, error && errorId)}
      />
    </FieldFrame>
  );
}
