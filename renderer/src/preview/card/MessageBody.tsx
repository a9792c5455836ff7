/**
 * The body of one message a bot sent, by its `msg_type`, from the content JSON as the platform
 * stores it: `text`, `post`, `interactive` (the resolved card JSON), `image` and `file` as
 * attachment chips, anything else as a placeholder naming the type.
 */
import { Fragment, type ReactNode } from 'react';
import { ExternalLink } from '../../components/ExternalLink';
import { cx } from '../../lib/cx';
import { type ActionHandler, CardView, Chip, isObj, Unsupported } from './CardView';
import { CodeBlock, InlineText, Markdown, Mention, type Names } from './Markdown';
import { isHttpUrl } from './markdown-parse';

/** A received message's `mentions[]`: `key` is the `@_user_N` placeholder in its text. */
export interface MessageMention {
  key: string;
  name?: string;
  id?: string | { open_id?: string; user_id?: string };
}

export interface MessageBodyProps {
  msgType: string;
  content: string;
  onAction?: ActionHandler;
  disabled?: boolean;
  names?: Record<string, string>;
  mentions?: MessageMention[];
}

type Obj = Record<string, unknown>;

export function parseContent(content: string): Obj | undefined {
  try {
    const parsed: unknown = JSON.parse(content);
    return isObj(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function MessageBody({ msgType, content, onAction, disabled, names, mentions }: MessageBodyProps) {
  if (msgType === 'interactive') return <CardView card={content} onAction={onAction} disabled={disabled} names={names} />;
  const obj = parseContent(content);
  if (!obj) return <Unsupported what="message" name={`malformed ${msgType} content`} />;
  switch (msgType) {
    case 'text':
      return <TextMessage text={str(obj.text)} names={names} mentions={mentions} />;
    case 'post':
      return <PostMessage content={obj} names={names} />;
    case 'image':
      return <Chip icon="🖼" label="Image" />;
    case 'file':
      return <Chip icon="📄" label={str(obj.file_name) || 'File'} />;
    default:
      return <Unsupported what="message type" name={msgType} />;
  }
}

const PLACEHOLDER = /(@_user_\d+|@_all)/;

/** The id and name a placeholder stands for, from the message's `mentions`. */
export function resolvePlaceholder(key: string, mentions: MessageMention[] | undefined): { id: string; name: string } {
  if (key === '@_all') return { id: 'all', name: '' };
  const found = mentions?.find((m) => m.key === key);
  if (!found) return { id: key.slice(1), name: '' };
  const id = typeof found.id === 'string' ? found.id : (found.id?.open_id ?? found.id?.user_id ?? '');
  return { id, name: found.name ?? '' };
}

function TextMessage({ text, names, mentions }: { text: string; names: Names | undefined; mentions: MessageMention[] | undefined }) {
  const parts = text.split(PLACEHOLDER);
  return (
    <div className="lk-bubble lk-text">
      {parts.map((part, k) => {
        if (k % 2 === 1) {
          const { id, name } = resolvePlaceholder(part, mentions);
          return <Mention key={k} id={id} name={name} names={names} />;
        }
        return <InlineText key={k} text={part} names={names} options={{ rich: false }} />;
      })}
    </div>
  );
}

const LOCALES = ['zh_cn', 'en_us', 'ja_jp'];

/** Received posts have no locale wrapper; sent ones do (`{zh_cn: {…}}`): the usual locales first, else any. */
export function postBody(content: Obj): Obj | undefined {
  if (Array.isArray(content.content)) return content;
  for (const locale of LOCALES) {
    const body = content[locale];
    if (isObj(body)) return body;
  }
  return Object.values(content).find(isObj);
}

function PostMessage({ content, names }: { content: Obj; names: Names | undefined }) {
  const body = postBody(content);
  if (!body) return <Unsupported what="post" name="no content" />;
  const title = str(body.title);
  const paragraphs = Array.isArray(body.content) ? body.content : [];
  return (
    <div className="lk-bubble lk-post">
      {title ? <div className="lk-post__title">{title}</div> : null}
      {paragraphs.map((p, k) => (
        <Fragment key={k}>{renderParagraph(Array.isArray(p) ? p : [p], names)}</Fragment>
      ))}
    </div>
  );
}

const BLOCK_TAGS = new Set(['md', 'code_block', 'hr']);

/** A paragraph is one line of inline items; block items (`md`, `code_block`, `hr`) break it. */
function renderParagraph(items: unknown[], names: Names | undefined): ReactNode[] {
  const out: ReactNode[] = [];
  let line: ReactNode[] = [];
  const flush = () => {
    if (line.length)
      out.push(
        <div key={`l${out.length}`} className="lk-post__line">
          {line}
        </div>,
      );
    line = [];
  };
  items.forEach((item, k) => {
    const tag = isObj(item) ? str(item.tag) : '';
    if (BLOCK_TAGS.has(tag) && isObj(item)) {
      flush();
      out.push(<Fragment key={`b${k}`}>{postBlock(item, names)}</Fragment>);
    } else line.push(<Fragment key={k}>{postInline(item, names)}</Fragment>);
  });
  flush();
  if (items.length === 0) out.push(<div key="empty" className="lk-post__line lk-post__line--empty" />);
  return out;
}

function postBlock(item: Obj, names: Names | undefined): ReactNode {
  if (item.tag === 'hr') return <hr className="lk-hr" />;
  if (item.tag === 'code_block') return <CodeBlock lang={str(item.language).toLowerCase()} text={str(item.text)} />;
  return <Markdown text={str(item.text)} names={names} />;
}

const STYLE_CLASSES: Record<string, string> = {
  bold: 'lk-b',
  italic: 'lk-i',
  underline: 'lk-u',
  lineThrough: 'lk-s',
};

function postInline(item: unknown, names: Names | undefined): ReactNode {
  if (!isObj(item)) return <span className="lk-unsupported lk-unsupported--inline">Unsupported post element</span>;
  const styles = Array.isArray(item.style) ? item.style.map((s) => STYLE_CLASSES[str(s)]) : [];
  switch (item.tag) {
    case 'text':
      return <span className={cx(...styles) || undefined}>{str(item.text)}</span>;
    case 'a': {
      const href = str(item.href);
      const text = str(item.text) || href;
      if (!isHttpUrl(href)) return <span className={cx(...styles) || undefined}>{text}</span>;
      return (
        <ExternalLink href={href} className={cx('lk-link', ...styles)}>
          {text}
        </ExternalLink>
      );
    }
    case 'at':
      return <Mention id={str(item.user_id)} name={str(item.user_name)} names={names} />;
    case 'img':
      return <Chip icon="🖼" label="Image" />;
    case 'media':
      return <Chip icon="🎬" label="Video" />;
    case 'emotion':
      return <span className="lk-emoji">{emoji(str(item.emoji_type))}</span>;
    default:
      return <span className="lk-unsupported lk-unsupported--inline">Unsupported post element: {str(item.tag) || '(no tag)'}</span>;
  }
}

/** The common Lark emoji keys; others show their key in brackets, as older clients do. */
const EMOJI: Record<string, string> = {
  SMILE: '😊',
  LAUGH: '😄',
  THUMBSUP: '👍',
  OK: '👌',
  HEART: '❤️',
  CLAP: '👏',
  FINGERHEART: '🫰',
  JIAYI: '➕1',
  DONE: '✅',
  THANKS: '🙏',
  MUSCLE: '💪',
  PARTY: '🎉',
  FIRE: '🔥',
  CRY: '😢',
  WOW: '😮',
  THINKING: '🤔',
  Typing: '⌨️',
};

export function emoji(key: string): string {
  return EMOJI[key] ?? EMOJI[key.toUpperCase()] ?? `[${key || 'emoji'}]`;
}
