import { Fragment, type ReactNode } from 'react';
import { ExternalLink } from '../../components/ExternalLink';
import { cx } from '../../lib/cx';
import { type Align, type Block, type Inline, type InlineOptions, parseInline, parseMarkdown } from './markdown-parse';

/** Who a mention names: openId (or user id) → display name. */
export type Names = Record<string, string>;

/** The colours Lark's `<font color=…>` and card colour enums know; anything else (hex included: no inline styles under the CSP) is drawn uncoloured. */
const FONT_COLORS = new Set([
  'blue',
  'wathet',
  'turquoise',
  'green',
  'lime',
  'yellow',
  'orange',
  'red',
  'carmine',
  'violet',
  'purple',
  'indigo',
  'grey',
  'gray',
]);

export function fontColorClass(color: string): string | undefined {
  // Lark also takes shades (`red-500`) and `*-light`/`*-dark` variants: the hue is what matters here.
  const base = color.toLowerCase().split(/[-_]/)[0] ?? '';
  if (!FONT_COLORS.has(base)) return undefined;
  return `lk-color--${base === 'gray' ? 'grey' : base}`;
}

/** The name a mention shows: the one in the tag, else the `names` map, else the id itself. */
export function mentionLabel(id: string, name: string, names: Names | undefined): string {
  if (id === 'all') return name || 'All';
  return names?.[id] || name || id || 'unknown';
}

export function Mention({ id, name, names }: { id: string; name: string; names: Names | undefined }) {
  return <span className="lk-at">@{mentionLabel(id, name, names)}</span>;
}

export function Markdown({ text, names, className }: { text: string; names?: Names; className?: string }) {
  return <div className={cx('lk-md', className)}>{renderBlocks(parseMarkdown(text), names)}</div>;
}

/** One line of text with only mentions and links understood (the plain `text` message). */
export function InlineText({ text, names, options }: { text: string; names?: Names; options?: InlineOptions }) {
  return <>{renderInlines(parseInline(text, 0, options), names)}</>;
}

function renderBlocks(blocks: Block[], names: Names | undefined): ReactNode[] {
  return blocks.map((block, key) => <Fragment key={key}>{renderBlock(block, names)}</Fragment>);
}

function renderBlock(block: Block, names: Names | undefined): ReactNode {
  switch (block.t) {
    case 'heading':
      return renderHeading(block.level, renderInlines(block.children, names));
    case 'paragraph':
      return <p className="lk-md__p">{renderInlines(block.children, names)}</p>;
    case 'code':
      return <CodeBlock lang={block.lang} text={block.text} />;
    case 'list':
      return renderList(block, names);
    case 'quote':
      return <blockquote className="lk-md__quote">{renderBlocks(block.blocks, names)}</blockquote>;
    case 'hr':
      return <hr className="lk-hr" />;
    case 'table':
      return renderTable(block, names);
  }
}

function renderHeading(level: number, children: ReactNode): ReactNode {
  const className = `lk-md__h lk-md__h${level}`;
  switch (level) {
    case 1:
      return <h1 className={className}>{children}</h1>;
    case 2:
      return <h2 className={className}>{children}</h2>;
    case 3:
      return <h3 className={className}>{children}</h3>;
    case 4:
      return <h4 className={className}>{children}</h4>;
    case 5:
      return <h5 className={className}>{children}</h5>;
    default:
      return <h6 className={className}>{children}</h6>;
  }
}

export function CodeBlock({ lang, text }: { lang: string; text: string }) {
  return (
    <div className="lk-code" data-lang={lang || undefined}>
      {lang ? <div className="lk-code__lang">{lang}</div> : null}
      <pre className="lk-code__pre">
        <code>{text}</code>
      </pre>
    </div>
  );
}

function renderList(block: Extract<Block, { t: 'list' }>, names: Names | undefined): ReactNode {
  const items = block.items.map((item, key) => (
    <li key={key} className="lk-md__li">
      {renderBlocks(item, names)}
    </li>
  ));
  if (!block.ordered) return <ul className="lk-md__list">{items}</ul>;
  return (
    <ol className="lk-md__list" start={block.start === 1 ? undefined : block.start}>
      {items}
    </ol>
  );
}

const alignClass = (align: Align): string | undefined => (align ? `lk-align--${align}` : undefined);

function renderTable(block: Extract<Block, { t: 'table' }>, names: Names | undefined): ReactNode {
  return (
    <div className="lk-table-wrap">
      <table className="lk-table">
        <thead>
          <tr>
            {block.head.map((cell, k) => (
              <th key={k} className={alignClass(block.align[k])}>
                {renderInlines(cell, names)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {block.rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, k) => (
                <td key={k} className={alignClass(block.align[k])}>
                  {renderInlines(cell, names)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function renderInlines(nodes: Inline[], names: Names | undefined): ReactNode[] {
  return nodes.map((node, key) => <Fragment key={key}>{renderInline(node, names)}</Fragment>);
}

function renderInline(node: Inline, names: Names | undefined): ReactNode {
  switch (node.t) {
    case 'text':
      return node.text;
    case 'br':
      return <br />;
    case 'strong':
      return <strong>{renderInlines(node.children, names)}</strong>;
    case 'em':
      return <em>{renderInlines(node.children, names)}</em>;
    case 'del':
      return <del>{renderInlines(node.children, names)}</del>;
    case 'span':
      return <span>{renderInlines(node.children, names)}</span>;
    case 'code':
      return <code className="lk-md__code">{node.text}</code>;
    case 'link':
      return (
        <ExternalLink href={node.href} className="lk-link">
          {renderInlines(node.children, names)}
        </ExternalLink>
      );
    case 'at':
      return <Mention id={node.id} name={node.name} names={names} />;
    case 'font':
      return <span className={fontColorClass(node.color)}>{renderInlines(node.children, names)}</span>;
    case 'image':
      return <span className="lk-chip lk-chip--image">🖼 {node.alt || 'Image'}</span>;
  }
}
