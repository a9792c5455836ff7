import { useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { cx } from '../lib/cx';

export interface FieldFrameProps {
  id: string;
  label: ReactNode;
  optional?: boolean;
  hint?: ReactNode;
  hintId: string;
  error?: ReactNode;
  errorId: string;
  children: ReactNode;
  className?: string;
}

/** Label above, control, hint and error below; the error replaces nothing (both stay readable). */
export function FieldFrame({ id, label, optional, hint, hintId, error, errorId, children, className }: FieldFrameProps) {
  const { t } = useTranslation();
  return (
    <div className={cx('field', error ? 'field--invalid' : false, className)}>
      <div className="field__label-row">
        <label className="field__label" htmlFor={id}>
          {label}
        </label>
        {/* Outside the label: the field's name stays exactly its label; this is in its description. */}
        {optional && (
          <span id={`${id}-optional`} className="field__optional">
            ({t('common.optional')})
          </span>
        )}
      </div>
      {children}
      {hint && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="field__error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function describedBy(...ids: Array<string | false | undefined>): string | undefined {
  const list = ids.filter(Boolean).join(' ');
  return list === '' ? undefined : list;
}

interface TextFieldProps {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  error?: ReactNode;
  /** Mark invalid without an own message (the message sits on a sibling field). */
  invalid?: boolean;
  /** Ids of other elements describing this field (e.g. a sibling's error). */
  extraDescribedBy?: string;
  optional?: boolean;
  placeholder?: string;
  type?: 'text' | 'url' | 'number';
  inputMode?: 'text' | 'decimal' | 'url';
  autoComplete?: string;
  autoFocus?: boolean;
  required?: boolean;
  disabled?: boolean;
  multiline?: boolean;
  spellCheck?: boolean;
  monospace?: boolean;
  className?: string;
  /** Fixed id of the input (its error is `${id}-error`), when another field must point at it. */
  id?: string;
}

export function TextField(props: TextFieldProps) {
  const generatedId = useId();
  const id = props.id ?? generatedId;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const common = {
    id,
    value: props.value,
    placeholder: props.placeholder,
    autoComplete: props.autoComplete ?? 'off',
    autoFocus: props.autoFocus,
    required: props.required,
    disabled: props.disabled,
    spellCheck: props.spellCheck ?? false,
    className: cx('input', props.monospace && 'input--mono'),
    'aria-invalid': props.error || props.invalid ? true : undefined,
    'aria-describedby': describedBy(
      props.optional === true && `${id}-optional`,
      props.hint !== undefined && hintId,
      props.error !== undefined && errorId,
      props.extraDescribedBy,
    ),
  } as const;
  return (
    <FieldFrame
      id={id}
      label={props.label}
      optional={props.optional}
      hint={props.hint}
      hintId={hintId}
      error={props.error}
      errorId={errorId}
      className={props.className}
    >
      {props.multiline ? (
        <textarea {...common} rows={4} onChange={(e) => props.onChange(e.target.value)} />
      ) : (
        <input {...common} type={props.type ?? 'text'} inputMode={props.inputMode} onChange={(e) => props.onChange(e.target.value)} />
      )}
    </FieldFrame>
  );
}

interface SecretFieldProps {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  error?: ReactNode;
  invalid?: boolean;
  extraDescribedBy?: string;
  /** A saved secret exists: the placeholder says so, the field itself stays empty. */
  saved?: boolean;
  placeholder?: string;
  optional?: boolean;
  disabled?: boolean;
  autoFocus?: boolean;
  /** Fixed id of the input (its error is `${id}-error`), when another field must point at it. */
  id?: string;
}

/** A password input with a Show/Hide toggle. Never pre-filled with a saved secret. */
export function SecretField(props: SecretFieldProps) {
  const { t } = useTranslation();
  const generatedId = useId();
  const id = props.id ?? generatedId;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const [visible, setVisible] = useState(false);
  return (
    <FieldFrame
      id={id}
      label={props.label}
      optional={props.optional}
      hint={props.hint}
      hintId={hintId}
      error={props.error}
      errorId={errorId}
    >
      <div className="secret">
        <input
          id={id}
          className="input input--mono secret__input"
          type={visible ? 'text' : 'password'}
          value={props.value}
          placeholder={props.saved ? t('common.savedSecret') : props.placeholder}
          autoComplete="new-password"
          autoFocus={props.autoFocus}
          spellCheck={false}
          disabled={props.disabled}
          aria-invalid={props.error || props.invalid ? true : undefined}
          aria-describedby={describedBy(
            props.optional === true && `${id}-optional`,
            props.hint !== undefined && hintId,
            props.error !== undefined && errorId,
            props.extraDescribedBy,
          )}
          onChange={(e) => props.onChange(e.target.value)}
        />
        <button
          type="button"
          className="button button--ghost secret__toggle"
          aria-pressed={visible}
          aria-controls={id}
          onClick={() => setVisible((v) => !v)}
        >
          {visible ? t('common.hide') : t('common.show')}
        </button>
      </div>
    </FieldFrame>
  );
}

interface SelectFieldProps<V extends string> {
  label: ReactNode;
  value: V | '';
  onChange: (value: V) => void;
  options: ReadonlyArray<{ value: V; label: string }>;
  placeholder?: string;
  hint?: ReactNode;
  error?: ReactNode;
  disabled?: boolean;
  className?: string;
  id?: string;
  autoFocus?: boolean;
}

export function SelectField<V extends string>(props: SelectFieldProps<V>) {
  const generatedId = useId();
  const id = props.id ?? generatedId;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <FieldFrame
      id={id}
      label={props.label}
      hint={props.hint}
      hintId={hintId}
      error={props.error}
      errorId={errorId}
      className={props.className}
    >
      <select
        id={id}
        className="input select"
        value={props.value}
        disabled={props.disabled}
        autoFocus={props.autoFocus}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy(props.hint !== undefined && hintId, props.error !== undefined && errorId)}
        onChange={(e) => props.onChange(e.target.value as V)}
      >
        {props.placeholder !== undefined && (
          <option value="" disabled>
            {props.placeholder}
          </option>
        )}
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

interface CheckboxProps {
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  disabled?: boolean;
}

export function Checkbox({ label, checked, onChange, hint, disabled }: CheckboxProps) {
  const id = useId();
  return (
    <div className="checkbox">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        disabled={disabled}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => onChange(e.target.checked)}
      />
      <div>
        <label htmlFor={id}>{label}</label>
        {hint && (
          <p id={`${id}-hint`} className="field__hint">
            {hint}
          </p>
        )}
      </div>
    </div>
  );
}
