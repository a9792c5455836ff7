import { useTranslation } from 'react-i18next';
import type { BotView } from '@shared/contract';
import { Modal } from '../../components/Modal';
import { botName } from '../BotItem';
import { CheckBar, SetupItemRow } from './SetupItems';
import { useSetupReport } from './useSetupReport';
import './setup.css';

/**
 * "Setup check" for one bot: every item the core checked, with what to click in the console, and
 * "Check setup". While it is open it keeps itself fresh (`bot.setup` events, and a look every
 * 30 s), so items turn green as the console is fixed.
 */
export function SetupDialog({ bot, onClose }: { bot: BotView; onClose: () => void }) {
  const { t } = useTranslation();
  const setup = useSetupReport(bot.id);
  const { report } = setup;
  return (
    <Modal
      title={t('setup.title', { name: botName(bot) })}
      onClose={onClose}
      footer={
        <button type="button" className="button" onClick={onClose}>
          {t('common.close')}
        </button>
      }
    >
      <div className="stack">
        <p>{t('setup.intro', { platform: t(`platform.${bot.platform}`) })}</p>
        <CheckBar report={report} checking={setup.checking} error={setup.error} onCheck={setup.check} pending={t('setup.pending')} />
        {report !== null && (
          <ul className="live" aria-label={t('setup.listLabel')} aria-busy={setup.checking}>
            {report.items.map((item) => (
              <SetupItemRow key={item.id} item={item} bot={bot} botName={bot.status.botName} />
            ))}
          </ul>
        )}
      </div>
    </Modal>
  );
}
