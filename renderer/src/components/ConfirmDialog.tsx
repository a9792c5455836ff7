import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText } from '../lib/errors';
import { Banner } from './Banner';
import { Modal } from './Modal';

interface ConfirmDialogProps {
  title: ReactNode;
  children: ReactNode;
  confirmLabel: string;
  busyLabel: string;
  /** Resolves when done (the dialog closes); rejects to show the error in the dialog. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
  /** Words for a failure; defaults to the generic error text. */
  describeError?: (error: unknown) => string;
  /** Known in advance that it cannot be done (the body says why). */
  confirmDisabled?: boolean;
}

/** "Remove X?" with a destructive confirm button; the default focus is on Cancel. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  busyLabel,
  onConfirm,
  onClose,
  describeError,
  confirmDisabled = false,
}: ConfirmDialogProps) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const confirm = async () => {
    if (busy || confirmDisabled) return;
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(describeError ? describeError(err) : errorText(t, err));
      setBusy(false);
    }
  };

  return (
    <Modal
      title={title}
      size="small"
      busy={busy}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} autoFocus disabled={busy}>
            {t('common.cancel')}
          </button>
          <button type="button" className="button button--danger" onClick={() => void confirm()} aria-disabled={busy || confirmDisabled}>
            {busy ? busyLabel : confirmLabel}
          </button>
        </>
      }
    >
      <div className="stack">
        {children}
        {error && <Banner tone="error">{error}</Banner>}
      </div>
    </Modal>
  );
}
