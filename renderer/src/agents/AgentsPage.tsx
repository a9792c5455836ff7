import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentView } from '@shared/contract';
import { useClient } from '../api/ClientContext';
import { Badge } from '../components/Badge';
import { Banner } from '../components/Banner';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Spinner } from '../components/Icon';
import { errorText, isRpcError } from '../lib/errors';
import { AgentForm } from './AgentForm';
import { AgentTestBox } from './AgentTestBox';
import { useAgents } from './useAgents';
import './agents.css';

type Editing = { kind: 'new' } | { kind: 'edit'; id: string } | null;

export function AgentsPage() {
  const { t } = useTranslation();
  const client = useClient();
  const { agents, error, reload } = useAgents();
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<AgentView | null>(null);

  return (
    <div className="page">
      <header className="page__header">
        <div>
          <h1 className="page__title" tabIndex={-1}>
            {t('agents.title')}
          </h1>
          <p className="page__lede">{t('agents.lede')}</p>
        </div>
        {editing?.kind !== 'new' && (
          <button type="button" className="button button--primary" onClick={() => setEditing({ kind: 'new' })}>
            {t('agents.create')}
          </button>
        )}
      </header>

      {editing?.kind === 'new' && (
        <div className="card card--form">
          <AgentForm heading={t('agents.form.newHeading')} onCancel={() => setEditing(null)} onSaved={() => setEditing(null)} />
        </div>
      )}

      {error !== null && agents === null && (
        <Banner tone="error" title={t('errors.loadAgents')}>
          <p>{errorText(t, error)}</p>
          <button type="button" className="button button--small" onClick={() => void reload()}>
            {t('app.retry')}
          </button>
        </Banner>
      )}
      {agents === null && error === null && (
        <p className="loading" role="status">
          <Spinner /> {t('app.loading')}
        </p>
      )}
      {agents !== null && agents.length === 0 && editing === null && <p className="empty">{t('agents.empty')}</p>}

      {agents !== null && agents.length > 0 && (
        <ul className="agent-list">
          {agents.map((agent) =>
            editing?.kind === 'edit' && editing.id === agent.id ? (
              <li key={agent.id} className="card card--form">
                <AgentForm
                  agent={agent}
                  heading={t('agents.form.editHeading', { name: agent.name })}
                  onCancel={() => setEditing(null)}
                  onSaved={() => setEditing(null)}
                />
              </li>
            ) : (
              <AgentItem
                key={agent.id}
                agent={agent}
                onEdit={() => setEditing({ kind: 'edit', id: agent.id })}
                onDelete={() => setDeleting(agent)}
              />
            ),
          )}
        </ul>
      )}

      {deleting !== null && (
        <ConfirmDialog
          title={t('agents.deleteTitle', { name: deleting.name })}
          confirmLabel={t('common.delete')}
          busyLabel={t('common.deleting')}
          onClose={() => setDeleting(null)}
          confirmDisabled={deleting.usedBy.length > 0}
          onConfirm={async () => {
            await client.call('agents.remove', { id: deleting.id });
          }}
          describeError={(err) =>
            isRpcError(err, 'in_use')
              ? t('agents.inUse', { name: deleting.name, count: Math.max(1, deleting.usedBy.length) })
              : errorText(t, err)
          }
        >
          <p>{t('agents.deleteBody', { name: deleting.name })}</p>
          {deleting.usedBy.length > 0 && (
            <Banner tone="warning">{t('agents.inUse', { name: deleting.name, count: deleting.usedBy.length })}</Banner>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}

function AgentItem({ agent, onEdit, onDelete }: { agent: AgentView; onEdit: () => void; onDelete: () => void }) {
  const { t } = useTranslation();
  const titleId = useId();
  const readOnly = agent.managedBy === 'config';
  const p = agent.provider;
  const provider =
    p.type === 'echo'
      ? t('agents.providerEcho')
      : p.type === 'openai'
        ? t('agents.providerOpenai', { model: p.model })
        : p.type === 'anthropic'
          ? t('agents.providerAnthropic', { model: p.model })
          : p.type === 'kocoro'
            ? t('agents.providerKocoro', { agent: p.agent })
            : t('agents.providerCommand', { command: p.command });
  return (
    <li>
      <article className="card agent" aria-labelledby={titleId}>
        <div className="agent__header">
          <div className="agent__summary">
            <div className="agent__title-row">
              <h2 id={titleId} className="agent__name">
                {agent.name}
              </h2>
              {readOnly && <Badge>{t('common.managedByConfig')}</Badge>}
            </div>
            <p className="agent__meta">
              <span>{provider}</span>
              <span>{agent.usedBy.length === 0 ? t('agents.unused') : t('agents.usedBy', { count: agent.usedBy.length })}</span>
            </p>
            {agent.systemPrompt && <p className="agent__prompt">{agent.systemPrompt}</p>}
          </div>
          {readOnly && <p className="agent__managed">{t('common.managedByConfigHint')}</p>}
          {!readOnly && (
            <div className="agent__actions">
              <button type="button" className="button button--small" onClick={onEdit}>
                {t('common.edit')}
              </button>
              <button type="button" className="button button--small button--danger-ghost" onClick={onDelete}>
                {t('common.delete')}
              </button>
            </div>
          )}
        </div>
        <AgentHealth agent={agent} />
        <AgentTestBox agent={agent} />
      </article>
    </li>
  );
}

/** "Check": whether the agent's backend answers right now (daemon running, key accepted, program found). */
function AgentHealth({ agent }: { agent: AgentView }) {
  const { t } = useTranslation();
  const client = useClient();
  const [checking, setChecking] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const check = async () => {
    setChecking(true);
    try {
      setResult(await client.call('agents.health', { id: agent.id }));
    } catch (err) {
      setResult({ ok: false, message: errorText(t, err) });
    } finally {
      setChecking(false);
    }
  };
  return (
    <div className="agent__health">
      <button type="button" className="button button--small" onClick={() => void check()} disabled={checking}>
        {checking ? t('agents.health.checking') : t('agents.health.check')}
      </button>
      {result && (
        <span role="status" className={result.ok ? 'agent__health-ok' : 'agent__health-failed'}>
          {result.ok ? t('agents.health.ok', { message: result.message }) : t('agents.health.failed', { message: result.message })}
        </span>
      )}
    </div>
  );
}
