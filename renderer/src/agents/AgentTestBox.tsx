import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentView, EventPayload } from '@shared/contract';
import { useClient, useEvent } from '../api/ClientContext';
import { TextField } from '../components/Field';
import { Spinner } from '../components/Icon';
import { errorText } from '../lib/errors';
import './agents.css';

type TestEvent = EventPayload<'agent.test'>;

interface Run {
  answer: string;
  done: boolean;
  error: string | null;
}

/** "Send" a message to the agent and watch the answer stream in (`agent.test` events). */
export function AgentTestBox({ agent }: { agent: AgentView }) {
  const { t } = useTranslation();
  const client = useClient();
  const [text, setText] = useState('');
  const [run, setRun] = useState<Run | null>(null);
  const [sending, setSending] = useState(false);
  /** The run we follow; events can beat the `agents.test` answer, so they wait in `early`. */
  const runId = useRef<string | null>(null);
  const awaiting = useRef(false);
  const early = useRef<TestEvent[]>([]);

  const apply = (event: TestEvent) => {
    setRun((prev) => {
      const base = prev ?? { answer: '', done: false, error: null };
      return {
        answer: event.replace ?? base.answer + (event.delta ?? ''),
        done: base.done || event.done === true || event.error !== undefined,
        error: event.error !== undefined ? t('agents.test.failed', { message: event.error }) : base.error,
      };
    });
  };

  useEvent('agent.test', (event) => {
    if (runId.current === event.runId) apply(event);
    else if (awaiting.current) early.current.push(event);
  });

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const message = text.trim();
    if (message === '' || sending) return;
    setSending(true);
    setRun({ answer: '', done: false, error: null });
    runId.current = null;
    early.current = [];
    awaiting.current = true;
    try {
      const started = await client.call('agents.test', { id: agent.id, text: message });
      runId.current = started.runId;
      for (const e of early.current) if (e.runId === started.runId) apply(e);
    } catch (err) {
      setRun({ answer: '', done: true, error: errorText(t, err) });
    } finally {
      awaiting.current = false;
      early.current = [];
      setSending(false);
    }
  };

  const running = sending || (run !== null && !run.done);

  return (
    <form className="test-box" onSubmit={(e) => void send(e)} noValidate>
      <div className="test-box__row">
        <TextField
          label={t('agents.test.label')}
          value={text}
          onChange={setText}
          placeholder={t('agents.test.placeholder', { name: agent.name })}
          className="field--grow"
        />
        <button type="submit" className="button test-box__send" aria-disabled={running || text.trim() === ''}>
          {running ? t('agents.test.sending') : t('agents.test.send')}
        </button>
      </div>
      <div className="test-box__output" aria-live="polite">
        {run !== null && (
          <>
            {run.answer !== '' && (
              <p className="test-box__answer">
                <span className="visually-hidden">{t('agents.test.answer')}: </span>
                <span>{run.answer}</span>
              </p>
            )}
            {run.answer === '' && !run.done && (
              <p className="test-box__thinking">
                <Spinner /> {t('agents.test.thinking')}
              </p>
            )}
            {run.error !== null && <p className="text-error">{run.error}</p>}
          </>
        )}
      </div>
    </form>
  );
}
