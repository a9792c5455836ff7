import { useTranslation } from 'react-i18next';
import type { BotView } from '@shared/contract';
import { RelativeTime } from '../components/RelativeTime';

type Replica = NonNullable<BotView['status']['replicas']>[number];

/**
 * "Replicas: 2": the processes running this bot on a shared state store (`--state`), each with
 * its host, pid and start, the one this page talks to marked. Folded: an app may have up to 50.
 */
export function BotReplicas({ replicas }: { replicas: readonly Replica[] }) {
  const { t } = useTranslation();
  return (
    <details className="bot__replicas">
      <summary>{t('connectors.replicas', { count: replicas.length })}</summary>
      <ul aria-label={t('connectors.replicasLabel')}>
        {replicas.map((r) => (
          <li key={r.id}>
            <ReplicaLine replica={r} />
            {r.self && <span className="bot__replica-self">{t('connectors.replicaSelf')}</span>}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** "host · pid 123 · since 5 min ago", the time as a <time> element. */
function ReplicaLine({ replica }: { replica: Replica }) {
  const { t } = useTranslation();
  const marker = '\u0000';
  const [before = '', after = ''] = t('connectors.replica', { host: replica.host, pid: replica.pid, time: marker }).split(marker);
  return (
    <span className="mono">
      {before}
      <RelativeTime at={replica.since} />
      {after}
    </span>
  );
}
