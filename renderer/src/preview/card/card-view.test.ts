import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ClientProvider } from '../../api/ClientContext';
import type { AppClient } from '../../api/client';
import { callbackValue, CardView, type CardViewProps } from './CardView';
import { Markdown } from './Markdown';
import { MessageBody, type MessageBodyProps } from './MessageBody';

// Links go through ExternalLink, which needs a client; nothing is called while rendering.
const client = {} as unknown as AppClient;
const html = (el: ReactElement): string => renderToStaticMarkup(createElement(ClientProvider, { client, children: el }));
const card = (props: CardViewProps): string => html(createElement(CardView, props));
const body = (props: MessageBodyProps): string => html(createElement(MessageBody, props));
const md = (text: string, names?: Record<string, string>): string => html(createElement(Markdown, { text, names }));

const v2 = (elements: unknown[], extra: Record<string, unknown> = {}) => ({ schema: '2.0', body: { elements }, ...extra });

describe('Markdown', () => {
  it('keeps every line of a fenced code block and shows its language', () => {
    const out = md('```go\nline one\nline two\n\nline four\n```');
    expect(out).toContain('data-lang="go"');
    expect(out).toContain('line one\nline two\n\nline four');
    expect(out).toMatch(/<pre[^>]*><code>/);
  });

  it('nests a nested list in the markup', () => {
    const out = md('- a\n  - b\n- c');
    expect(out).toMatch(/<ul[^>]*><li[^>]*><p[^>]*>a<\/p><ul[^>]*><li[^>]*><p[^>]*>b<\/p><\/li><\/ul><\/li><li/);
  });

  it('escapes <script> in text instead of emitting it', () => {
    const out = md('hello <script>alert(1)</script> <img src=x onerror=alert(1)>');
    expect(out).not.toContain('<script>');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('draws http links as links and leaves javascript: targets unlinked', () => {
    const out = md('[ok](https://example.com) [bad](javascript:alert(1))');
    expect(out).toContain('href="https://example.com"');
    expect(out).not.toContain('javascript:');
    expect(out).toContain('bad');
  });

  it('shows a mention as an @Name chip from the names map, falling back to the id', () => {
    const out = md('<at id=ou_1></at> and <at id=ou_2></at>', { ou_1: 'Alice' });
    expect(out).toContain('<span class="lk-at">@Alice</span>');
    expect(out).toContain('<span class="lk-at">@ou_2</span>');
  });

  it('colours <font color=red> through a class, never an inline style', () => {
    const out = md("<font color='red'>stop</font>");
    expect(out).toContain('class="lk-color--red"');
    expect(out).not.toContain('style=');
  });
});

describe('CardView', () => {
  it('shows an unknown element as a placeholder naming its tag', () => {
    const out = card({
      card: v2([
        { tag: 'table', rows: [] },
        { tag: 'markdown', content: 'after' },
      ]),
    });
    expect(out).toContain('Unsupported card element: table');
    expect(out).toContain('after');
  });

  it('shows malformed parts as placeholders and never throws', () => {
    expect(card({ card: 'not json' })).toContain('Unsupported card: malformed card JSON');
    const out = card({ card: v2([null, 7, { content: 'no tag' }, { tag: 'column_set', columns: 'x' }]) });
    expect(out.match(/lk-unsupported/g)).toHaveLength(3);
  });

  it('draws the header title, subtitle and template colour', () => {
    const out = card({
      card: v2([], { header: { template: 'orange', title: { tag: 'plain_text', content: 'Approve?' }, subtitle: { content: 'sub' } } }),
    });
    expect(out).toContain('lk-header--orange');
    expect(out).toContain('Approve?');
    expect(out).toContain('sub');
    expect(card({ card: v2([], { header: { template: 'nope', title: { content: 'x' } } }) })).toContain('lk-header--default');
  });

  it('draws a notation markdown element in small print', () => {
    const out = card({ card: v2([{ tag: 'markdown', text_size: 'notation', content: '1.2k tokens' }]) });
    expect(out).toMatch(/class="lk-md lk-size--notation"[^>]*><p[^>]*>1.2k tokens/);
  });

  it('starts a collapsible panel closed unless expanded, with its title always shown', () => {
    const panel = (expanded: boolean) => ({
      tag: 'collapsible_panel',
      expanded,
      header: { title: { tag: 'plain_text', content: 'Used 3 tools' } },
      elements: [{ tag: 'markdown', content: 'inside the panel' }],
    });
    const closed = card({ card: v2([panel(false)]) });
    expect(closed).toContain('Used 3 tools');
    expect(closed).toContain('aria-expanded="false"');
    expect(closed).not.toContain('inside the panel');
    const open = card({ card: v2([panel(true)]) });
    expect(open).toContain('aria-expanded="true"');
    expect(open).toContain('inside the panel');
  });

  it('shows a typing indicator only while streaming', () => {
    const el = [{ tag: 'markdown', element_id: 'stream_md', content: 'Thinking...' }];
    expect(card({ card: v2(el, { config: { streaming_mode: true } }) })).toContain('lk-typing');
    expect(card({ card: v2(el, { config: { streaming_mode: false } }) })).not.toContain('lk-typing');
  });

  it('lays out weighted columns and draws their buttons by type, disabled when the card is', () => {
    const button = {
      tag: 'button',
      text: { tag: 'plain_text', content: 'Deny' },
      type: 'danger',
      behaviors: [{ type: 'callback', value: {} }],
    };
    const set = {
      tag: 'column_set',
      columns: [{ tag: 'column', width: 'weighted', weight: 2, vertical_align: 'center', elements: [button] }],
    };
    const out = card({ card: v2([set]) });
    expect(out).toContain('lk-col lk-col--w2 lk-col--center');
    expect(out).toMatch(/<button type="button" class="lk-btn lk-btn--danger">Deny<\/button>/);
    expect(card({ card: v2([set]), disabled: true })).toMatch(/<button[^>]*disabled=""[^>]*>Deny/);
  });

  it('draws the div, plain_text and hr elements', () => {
    const out = card({ card: v2([{ tag: 'div', text: { tag: 'plain_text', content: 'a <b>' } }, { tag: 'hr' }]) });
    expect(out).toContain('a &lt;b&gt;');
    expect(out).toContain('<hr class="lk-hr"/>');
  });
});

describe('callbackValue', () => {
  it('returns the value of the callback behaviour', () => {
    const value = { kocoro: 'approval', requestId: 'r1', decision: 'allow' };
    expect(
      callbackValue({
        tag: 'button',
        behaviors: [
          { type: 'open_url', default_url: 'https://x' },
          { type: 'callback', value },
        ],
      }),
    ).toBe(value);
  });

  it('returns nothing for a button without a callback behaviour or with a malformed one', () => {
    expect(callbackValue({ tag: 'button', behaviors: [{ type: 'open_url' }] })).toBeUndefined();
    expect(callbackValue({ tag: 'button', behaviors: [{ type: 'callback', value: 'str' }] })).toBeUndefined();
    expect(callbackValue({ tag: 'button' })).toBeUndefined();
    expect(callbackValue(null)).toBeUndefined();
  });
});

describe('MessageBody', () => {
  it('resolves @_user_N placeholders of a text message through mentions', () => {
    const out = body({
      msgType: 'text',
      content: JSON.stringify({ text: '@_user_1 hi <b>' }),
      mentions: [{ key: '@_user_1', name: 'Tom', id: { open_id: 'ou_t' } }],
    });
    expect(out).toContain('<span class="lk-at">@Tom</span>');
    expect(out).toContain('hi &lt;b&gt;');
  });

  it('draws a post in its locale with styles, links, mentions, code and md', () => {
    const content = JSON.stringify({
      en_us: {
        title: 'Report',
        content: [
          [
            { tag: 'text', text: 'bold', style: ['bold'] },
            { tag: 'a', text: 'site', href: 'https://example.com' },
            { tag: 'at', user_id: 'ou_1' },
          ],
          [{ tag: 'code_block', language: 'GO', text: 'a\nb' }],
          [{ tag: 'md', text: '- one\n- two' }],
          [{ tag: 'video_chat' }],
        ],
      },
    });
    const out = body({ msgType: 'post', content, names: { ou_1: 'Ann' } });
    expect(out).toContain('Report');
    expect(out).toContain('<span class="lk-b">bold</span>');
    expect(out).toContain('href="https://example.com"');
    expect(out).toContain('@Ann');
    expect(out).toContain('data-lang="go"');
    expect(out).toContain('a\nb');
    expect(out).toMatch(/<ul[^>]*><li/);
    expect(out).toContain('Unsupported post element: video_chat');
  });

  it('draws interactive content as a card, files as chips and other types as a placeholder', () => {
    expect(body({ msgType: 'interactive', content: JSON.stringify(v2([{ tag: 'markdown', content: '**hi**' }])) })).toContain(
      '<strong>hi</strong>',
    );
    expect(body({ msgType: 'file', content: JSON.stringify({ file_key: 'f', file_name: 'report.pdf' }) })).toContain('report.pdf');
    expect(body({ msgType: 'sticker', content: '{}' })).toContain('Unsupported message type: sticker');
  });
});
