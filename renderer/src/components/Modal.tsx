import { useId, useLayoutEffect, useRef, type FormEvent, type ReactNode, type RefObject } from 'react';
import { cx } from '../lib/cx';

interface ModalProps {
  title: ReactNode;
  /** Shown next to the title, e.g. "Step 1/3". */
  aside?: ReactNode;
  /** Esc, or the dialog closed by the browser. */
  onClose: () => void;
  /** When given, the body and footer are one form: Enter submits, the submit button is in the footer. */
  onSubmit?: () => void;
  footer: ReactNode;
  children: ReactNode;
  size?: 'small' | 'large';
  /** While true, Esc does nothing (a request is in flight). */
  busy?: boolean;
}

/**
 * A native modal `<dialog>` opened with showModal(): the browser traps focus, makes the page behind
 * it inert and closes it on Esc. Mount it to open it, unmount it to close it.
 */
export function Modal({ title, aside, onClose, onSubmit, footer, children, size = 'large', busy = false }: ModalProps) {
  const ref = useModalDialog();
  const titleId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit?.();
  };

  const content = (
    <>
      <header className="modal__header">
        <h2 id={titleId} className="modal__title">
          {title}
        </h2>
        {aside !== undefined && <p className="modal__aside">{aside}</p>}
      </header>
      <div className="modal__body">{children}</div>
      <footer className="modal__footer">{footer}</footer>
    </>
  );

  return (
    <dialog
      ref={ref}
      className={cx('modal', `modal--${size}`)}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
      onClose={() => {
        // Closed by the browser while React still shows it. (A late "close" from a remount, as
        // under StrictMode, finds the dialog open again and is ignored.)
        if (ref.current?.open !== true) onClose();
      }}
    >
      {onSubmit ? (
        <form className="modal__form" onSubmit={submit} noValidate>
          {content}
        </form>
      ) : (
        <div className="modal__form">{content}</div>
      )}
    </dialog>
  );
}

/** A `<dialog>` shown modal while mounted (focus trapped, the page behind inert, Esc closes), closed when unmounted. */
export function useModalDialog(): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (!dialog.open) dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
    };
  }, []);
  return ref;
}
