/**
 * An interactive card (Card JSON 2.0, and the 1.0 / simplified shapes where cheap) drawn the way
 * the Lark client draws it. The card is whatever a bot sent: every field is checked before use,
 * and a part that is unknown or malformed is shown as a placeholder naming it, never dropped.
 */
import { Component, Fragment, type ReactNode, useState } from 'react';
import { cx } from '../../lib/cx';
import './card.css';
import { Markdown, Mention, type Names } from './Markdown';

export type ActionHandler = (value: Record<string, unknown>) => void;

export interface CardViewProps {
  card: unknown;
  onAction?: ActionHandler;
  disabled?: boolean;
  names?: Record<string, string>;
}

type Obj = Record<string, unknown>;

interface Ctx {
  onAction: ActionHandler | undefined;
  disabled: boolean;
  names: Names | undefined;
  depth: number;
}

/** Deeper than any real card; stops a hostile one from exhausting the stack. */
const MAX_DEPTH = 16;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A text field as cards write it: a string, or `{tag:'plain_text'|'lark_md', content}` (1.0 also `text`). */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (!isObj(v)) return '';
  return str(v.content) ?? str(v.text) ?? '';
}

/**
 * The value a button's click hands back to the bot: the object of its first `callback`
 * behaviour (Card JSON 2.0). Undefined when it has none: such a button does nothing here.
 */
export function callbackValue(button: unknown): Record<string, unknown> | undefined {
  if (!isObj(button)) return undefined;
  for (const behaviour of list(button.behaviors)) {
    if (isObj(behaviour) && behaviour.type === 'callback' && isObj(behaviour.value)) return behaviour.value;
  }
  return undefined;
}

/** The card object: given parsed, or as the JSON string the platform stores. Undefined when neither. */
export function cardObject(card: unknown): Obj | undefined {
  if (isObj(card)) return card;
  if (typeof card !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(card);
    return isObj(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The top-level elements: 2.0 `body.elements`, 1.0 `elements`, or the first locale of `i18n_elements`. */
export function cardElements(card: Obj): unknown[] {
  if (isObj(card.body) && Array.isArray(card.body.elements)) return card.body.elements;
  if (Array.isArray(card.elements)) return card.elements;
  if (isObj(card.i18n_elements)) return list(Object.values(card.i18n_elements)[0]);
  return [];
}

export function CardView({ card, onAction, disabled = false, names }: CardViewProps) {
  const obj = cardObject(card);
  if (!obj) return <Unsupported what="card" name="malformed card JSON" />;
  const config = isObj(obj.config) ? obj.config : {};
  const ctx: Ctx = { onAction, disabled, names, depth: 0 };
  return (
    <div className={cx('lk-card', config.width_mode === 'fill' && 'lk-card--fill')}>
      <Guard>
        <CardHeader header={cardHeader(obj)} />
        <div className="lk-card__body">
          {renderElements(cardElements(obj), ctx)}
          {config.streaming_mode === true ? <Typing /> : null}
        </div>
      </Guard>
    </div>
  );
}

/** 2.0 `header`, the simplified card's `title`, or the first locale of `i18n_header`. */
function cardHeader(card: Obj): Obj | undefined {
  if (isObj(card.header)) return card.header;
  if (isObj(card.i18n_header)) {
    const first = Object.values(card.i18n_header)[0];
    if (isObj(first)) return first;
  }
  if (typeof card.title === 'string' && card.title) return { title: card.title };
  return undefined;
}

const TEMPLATES = new Set([
  'blue',
  'wathet',
  'turquoise',
  'green',
  'yellow',
  'orange',
  'red',
  'carmine',
  'violet',
  'purple',
  'indigo',
  'grey',
]);

export function templateClass(template: unknown): string {
  const name = typeof template === 'string' ? template.toLowerCase() : '';
  return `lk-header--${TEMPLATES.has(name) ? name : 'default'}`;
}

function CardHeader({ header }: { header: Obj | undefined }) {
  if (!header) return null;
  const title = textOf(header.title);
  const subtitle = textOf(header.subtitle);
  const tags = list(header.text_tag_list).filter(isObj);
  if (!title && !subtitle) return null;
  return (
    <div className={cx('lk-header', templateClass(header.template))}>
      <div className="lk-header__title-row">
        <span className="lk-header__title">{title}</span>
        {tags.map((tag, k) => (
          <span key={k} className={cx('lk-tag', `lk-tag--${str(tag.color) ?? 'neutral'}`)}>
            {textOf(tag.text)}
          </span>
        ))}
      </div>
      {subtitle ? <div className="lk-header__subtitle">{subtitle}</div> : null}
    </div>
  );
}

function Typing() {
  return (
    <div className="lk-typing" role="status" aria-label="Generating">
      <span />
      <span />
      <span />
    </div>
  );
}

function renderElements(elements: unknown, ctx: Ctx): ReactNode[] {
  return list(elements).map((el, key) => <Fragment key={key}>{renderElement(el, ctx)}</Fragment>);
}

function renderElement(el: unknown, ctx: Ctx): ReactNode {
  if (ctx.depth >= MAX_DEPTH) return <Unsupported name="nested too deep" />;
  const inner = { ...ctx, depth: ctx.depth + 1 };
  // The simplified card (received `interactive` content) lists rows of elements.
  if (Array.isArray(el)) return <div className="lk-row">{renderElements(el, inner)}</div>;
  if (!isObj(el)) return <Unsupported name="malformed element" />;
  const tag = str(el.tag);
  if (!tag) return <Unsupported name="element without a tag" />;
  const draw = ELEMENTS[tag];
  return draw ? draw(el, inner) : <Unsupported name={tag} />;
}

type Draw = (el: Obj, ctx: Ctx) => ReactNode;

const ELEMENTS: Record<string, Draw> = {
  markdown: (el, ctx) => <MarkdownElement el={el} ctx={ctx} />,
  lark_md: (el, ctx) => <MarkdownElement el={el} ctx={ctx} />,
  plain_text: (el) => <PlainText el={el} />,
  text: (el) => <PlainText el={el} />,
  div: (el, ctx) => <DivElement el={el} ctx={ctx} />,
  hr: () => <hr className="lk-hr" />,
  note: (el, ctx) => <div className="lk-note">{renderElements(el.elements, ctx)}</div>,
  collapsible_panel: (el, ctx) => <Panel el={el} ctx={ctx} />,
  column_set: (el, ctx) => <ColumnSet el={el} ctx={ctx} />,
  column: (el, ctx) => <Column el={el} ctx={ctx} />,
  button: (el, ctx) => <Button el={el} ctx={ctx} />,
  action: (el, ctx) => <div className="lk-actions">{renderElements(el.actions, ctx)}</div>,
  form: (el, ctx) => <div className="lk-form">{renderElements(el.elements, ctx)}</div>,
  interactive_container: (el, ctx) => <div className="lk-container">{renderElements(el.elements, ctx)}</div>,
  img: (el) => <Chip icon="🖼" label={textOf(el.alt) || 'Image'} />,
  image: (el) => <Chip icon="🖼" label={textOf(el.alt) || 'Image'} />,
  person: (el, ctx) => <Mention id={str(el.user_id) ?? ''} name="" names={ctx.names} />,
  person_list: (el, ctx) => (
    <div className="lk-row">
      {list(el.persons).map((p, k) => (
        <Mention key={k} id={isObj(p) ? (str(p.id) ?? '') : ''} name="" names={ctx.names} />
      ))}
    </div>
  ),
};

/** `text_size` in the few steps that look different in a chat; the many heading sizes collapse to one. */
export function sizeClass(size: unknown): string | undefined {
  if (typeof size !== 'string') return undefined;
  if (size === 'notation' || size.endsWith('small')) return 'lk-size--notation';
  if (size.startsWith('heading') || size.endsWith('large')) return 'lk-size--heading';
  return undefined;
}

function alignClass(align: unknown): string | undefined {
  return align === 'center' || align === 'right' ? `lk-align--${align}` : undefined;
}

function MarkdownElement({ el, ctx }: { el: Obj; ctx: Ctx }) {
  return <Markdown text={textOf(el)} names={ctx.names} className={cx(sizeClass(el.text_size), alignClass(el.text_align))} />;
}

function PlainText({ el }: { el: Obj }) {
  return <div className={cx('lk-plain', sizeClass(el.text_size), alignClass(el.text_align), fontColor(el.text_color))}>{textOf(el)}</div>;
}

function fontColor(color: unknown): string | undefined {
  return typeof color === 'string' && TEMPLATES.has(color) ? `lk-color--${color}` : undefined;
}

/** A text field that may be plain or markdown (`div.text`, `fields[].text`). */
function RichText({ text, ctx }: { text: unknown; ctx: Ctx }) {
  if (!isObj(text)) return <div className="lk-plain">{textOf(text)}</div>;
  if (text.tag === 'lark_md' || text.tag === 'markdown') return <MarkdownElement el={text} ctx={ctx} />;
  return <PlainText el={text} />;
}

function DivElement({ el, ctx }: { el: Obj; ctx: Ctx }) {
  const fields = list(el.fields).filter(isObj);
  return (
    <div className="lk-div">
      {el.text !== undefined ? <RichText text={el.text} ctx={ctx} /> : null}
      {fields.length > 0 ? (
        <div className="lk-fields">
          {fields.map((field, k) => (
            <div key={k} className={cx('lk-field', field.is_short === true && 'lk-field--short')}>
              <RichText text={field.text} ctx={ctx} />
            </div>
          ))}
        </div>
      ) : null}
      {el.extra !== undefined ? renderElement(el.extra, ctx) : null}
    </div>
  );
}

function Panel({ el, ctx }: { el: Obj; ctx: Ctx }) {
  const [open, setOpen] = useState(el.expanded === true);
  const header = isObj(el.header) ? el.header : {};
  const iconLeft = header.icon_position === 'left';
  return (
    <div className={cx('lk-panel', open && 'lk-panel--open', el.border !== undefined && 'lk-panel--border')}>
      <button type="button" className="lk-panel__header" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {iconLeft ? <span className="lk-panel__chevron" aria-hidden="true" /> : null}
        <span className="lk-panel__title">
          <RichText text={header.title} ctx={ctx} />
        </span>
        {iconLeft ? null : <span className="lk-panel__chevron" aria-hidden="true" />}
      </button>
      {open ? <div className="lk-panel__body">{renderElements(el.elements, ctx)}</div> : null}
    </div>
  );
}

function ColumnSet({ el, ctx }: { el: Obj; ctx: Ctx }) {
  const flex = str(el.flex_mode);
  return (
    <div
      className={cx(
        'lk-columns',
        (flex === 'flow' || flex === 'bisect' || flex === 'trisect') && 'lk-columns--flow',
        el.background_style === 'grey' && 'lk-columns--grey',
        el.horizontal_spacing === 'small' && 'lk-columns--tight',
      )}
    >
      {list(el.columns).map((col, k) => (
        <Fragment key={k}>{isObj(col) && col.tag === 'column' ? <Column el={col} ctx={ctx} /> : renderElement(col, ctx)}</Fragment>
      ))}
    </div>
  );
}

/** Lark weights run 1–5; pixel widths cannot be set without inline styles (CSP), so they size to content. */
export function columnClass(col: Obj): string {
  const weight = typeof col.weight === 'number' ? Math.min(5, Math.max(1, Math.round(col.weight))) : 1;
  const width = col.width === 'weighted' ? `lk-col--w${weight}` : 'lk-col--auto';
  const valign = col.vertical_align === 'center' || col.vertical_align === 'bottom' ? `lk-col--${col.vertical_align}` : undefined;
  return cx('lk-col', width, valign);
}

function Column({ el, ctx }: { el: Obj; ctx: Ctx }) {
  return <div className={columnClass(el)}>{renderElements(el.elements, ctx)}</div>;
}

const BUTTON_TYPES = new Set([
  'default',
  'primary',
  'danger',
  'text',
  'primary_text',
  'danger_text',
  'primary_filled',
  'danger_filled',
  'laser',
]);

export function buttonClass(el: Obj): string {
  const type = str(el.type) ?? 'default';
  return cx(
    'lk-btn',
    `lk-btn--${BUTTON_TYPES.has(type) ? type : 'default'}`,
    (el.size === 'tiny' || el.size === 'small') && 'lk-btn--small',
    el.size === 'large' && 'lk-btn--large',
    el.width === 'fill' && 'lk-btn--fill',
  );
}

function Button({ el, ctx }: { el: Obj; ctx: Ctx }) {
  const value = callbackValue(el);
  const onAction = ctx.onAction;
  const disabled = ctx.disabled || el.disabled === true;
  const onClick = value && onAction && !disabled ? () => onAction(value) : undefined;
  return (
    <button type="button" className={buttonClass(el)} disabled={disabled} onClick={onClick}>
      {textOf(el.text) || 'Button'}
    </button>
  );
}

export function Chip({ icon, label }: { icon: string; label: string }) {
  return (
    <span className="lk-chip">
      <span className="lk-chip__icon" aria-hidden="true">
        {icon}
      </span>
      <span className="lk-chip__label">{label}</span>
    </span>
  );
}

/** What the Lark client does not draw here either: a visible box naming the part, so nothing is lost without a trace. */
export function Unsupported({ what = 'card element', name }: { what?: string; name: string }) {
  return (
    <div className="lk-unsupported" role="note">
      Unsupported {what}: {name}
    </div>
  );
}

/** A render error in one card stays inside it (the chat around it keeps working). */
class Guard extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render(): ReactNode {
    return this.state.failed ? <Unsupported what="card" name="could not be drawn" /> : this.props.children;
  }
}
