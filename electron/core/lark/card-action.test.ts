import { describe, expect, it } from 'vitest';
import { chatPhrases } from '../i18n/chat-text';
import { parseCardAction, toast } from './card-action';

const stop = { kocoro: 'stop', messageId: 'om_1' };
const approval = { kocoro: 'approval', requestId: 'apr_1', decision: 'deny' };

describe('parseCardAction', () => {
  it("reads the button's value and who pressed it from the callback as the SDK hands it over", () => {
    const data = {
      event_id: 'e1',
      token: 'c-1',
      operator: { open_id: 'ou_1', union_id: 'on_1' },
      action: { value: approval, tag: 'button' },
      context: { open_message_id: 'om_card', open_chat_id: 'oc_1' },
    };
    expect(parseCardAction(data)).toEqual({ ok: true, action: { value: approval, operatorOpenId: 'ou_1' } });
    expect(parseCardAction({ action: { value: stop } })).toEqual({ ok: true, action: { value: stop, operatorOpenId: '' } });
  });

  it('names the field of a callback that is malformed or not one of the bot’s buttons', () => {
    const error = (data: unknown) => {
      const parsed = parseCardAction(data);
      return parsed.ok ? undefined : parsed.error;
    };
    expect(error(null)).toMatch(/^card\.action\.trigger: /);
    expect(error({})).toMatch(/^card\.action\.trigger\.action: /);
    expect(error({ action: { value: { kocoro: 'other' } } })).toMatch(/^card\.action\.trigger\.action\.value\.kocoro: /);
    expect(error({ action: { value: { kocoro: 'stop' } } })).toMatch(/^card\.action\.trigger\.action\.value\.messageId: /);
    expect(error({ action: { value: { ...approval, decision: 'maybe' } } })).toMatch(/^card\.action\.trigger\.action\.value\.decision: /);
    expect(error({ operator: 'ou_1', action: { value: stop } })).toMatch(/^card\.action\.trigger\.operator: /);
  });
});

describe('toast', () => {
  it("says it in the bot's language and carries both", () => {
    expect(toast('info', 'stop.toastStopped', chatPhrases('zh-CN'))).toEqual({
      toast: { type: 'info', content: '已停止', i18n: { en_us: 'Stopped', zh_cn: '已停止' } },
    });
  });
});
