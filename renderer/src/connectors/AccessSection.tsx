import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { resolveSetting } from '@shared/bot-settings';
import type { AccessView } from '@shared/contract';
import { RpcError } from '@shared/contract';
import { useClient } from '../api/ClientContext';
import { errorText } from '../lib/errors';
import './connectors.css';

export const DEFAULT_ACCESS_VIEW: AccessView = resolveSetting('access', undefined);

/** Whether two lists of ids hold the same ids (order ignored). */
export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  const key = (x: readonly string[]) => [...x].sort().join('\n');
  return key(a) === key(b);
}

/** Whether two access settings mean the same (list order ignored). */
export function sameAccess(a: AccessView, b: AccessView): boolean {
  return a.dm === b.dm && a.group === b.group && a.bots === b.bots && sameIds(a.dmAllow, b.dmAllow) && sameIds(a.groupAllow, b.groupAllow);
}

interface RadioGroupProps<V extends string> {
  legend: string;
  name: string;
  value: V;
  onChange: (value: V) => void;
  options: Array<{ value: V; label: string }>;
  hint?: string;
}

/** A labelled set of radios: arrow keys move between them (native behaviour). */
export function RadioGroup<V extends string>({ legend, name, value, onChange, options, hint }: RadioGroupProps<V>) {
  const id = useId();
  return (
    <fieldset className="radio-group" aria-describedby={hint ? `${id}-hint` : undefined}>
      <legend className="field__label">{legend}</legend>
      {options.map((o) => (
        <label key={o.value} className="radio-group__option">
          <input type="radio" name={`${id}-${name}`} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
          <span>{o.label}</span>
        </label>
      ))}
      {hint && (
        <p id={`${id}-hint`} className="field__hint">
          {hint}
        </p>
      )}
    </fieldset>
  );
}

type Item = { id: string; name: string };

/** Names of picked ids, as searches bring them: ids are stored, names shown. */
function useNames(): [Map<string, string>, (items: Item[]) => void] {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const remember = (items: Item[]) =>
    setNames((prev) => {
      const next = new Map(prev);
      for (const item of items) next.set(item.id, item.name);
      return next;
    });
  return [names, remember];
}

interface PickerProps {
  label: string;
  hint?: string;
  placeholder: string;
  ids: string[];
  names: Map<string, string>;
  onChange: (ids: string[]) => void;
  onNames: (items: Item[]) => void;
  search: (query: string) => Promise<Item[]>;
}

/** Search-as-you-type picker: a combobox with a listbox of matches, and removable chips for what is chosen (ids stored, names shown). */
function Picker({ label, hint, placeholder, ids, names, onChange, onNames, search }: PickerProps) {
  const { t } = useTranslation();
  const id = useId();
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [results, setResults] = useState<Item[]>([]);
  const [active, setActive] = useState(0);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    if (!open) return;
    const mine = ++seq.current;
    setLoading(true);
    const timer = setTimeout(() => {
      search(query)
        .then((items) => {
          if (mine !== seq.current) return;
          setResults(items);
          onNames(items);
          setActive(0);
          setError(null);
        })
        .catch((err: unknown) => {
          if (mine !== seq.current) return;
          setResults([]);
          // A missing permission is explained by the core, scope and link included.
          setError(err instanceof RpcError && err.code === 'unauthorized' ? err.message : errorText(t, err));
        })
        .finally(() => {
          if (mine === seq.current) setLoading(false);
        });
    }, 250);
    return () => clearTimeout(timer);
  }, [query, open]);

  const choices = results.filter((r) => !ids.includes(r.id));
  const choose = (item: Item) => {
    onChange([...ids, item.id]);
    setQuery('');
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, Math.max(choices.length - 1, 0)));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      // Never submits the dialog from here.
      e.preventDefault();
      const item = choices[active];
      if (open && item) choose(item);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    }
  };
  const listId = `${id}-list`;
  const showList = open && (loading || choices.length > 0 || query !== '');

  return (
    <div className="field picker">
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      {ids.length > 0 && (
        <ul className="chips" aria-label={label}>
          {ids.map((chosen) => {
            const name = names.get(chosen) ?? chosen;
            return (
              <li key={chosen} className="chip">
                <span title={chosen}>{name}</span>
                <button
                  type="button"
                  className="chip__remove"
                  aria-label={t('access.remove', { name })}
                  onClick={() => onChange(ids.filter((x) => x !== chosen))}
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <input
        id={id}
        className="input"
        type="text"
        role="combobox"
        autoComplete="off"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && choices[active] ? `${listId}-${active}` : undefined}
        aria-describedby={[hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined}
        placeholder={placeholder}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKeyDown}
      />
      {showList && (
        <ul id={listId} role="listbox" className="picker__list" aria-label={label}>
          {loading && choices.length === 0 ? (
            <li className="picker__empty" role="presentation">
              {t('access.searching')}
            </li>
          ) : choices.length === 0 ? (
            <li className="picker__empty" role="presentation">
              {t('access.noMatches')}
            </li>
          ) : (
            choices.map((item, i) => (
              <li
                key={item.id}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'picker__option picker__option--active' : 'picker__option'}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => choose(item)}
              >
                {item.name}
              </li>
            ))
          )}
        </ul>
      )}
      {hint && (
        <p id={`${id}-hint`} className="field__hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field__error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** People of the bot's organization picked by name (their open_ids stored): the DM allowlist, the approvers. */
export function PeoplePicker({
  botId,
  label,
  hint,
  ids,
  onChange,
}: {
  botId: string;
  label: string;
  hint?: string;
  ids: string[];
  onChange: (ids: string[]) => void;
}) {
  const { t } = useTranslation();
  const client = useClient();
  const [names, remember] = useNames();
  const search = async (query: string): Promise<Item[]> =>
    (await client.call('bots.searchPeople', { id: botId, query })).map((p) => ({ id: p.openId, name: p.name }));

  // Names of the people already chosen: best effort, their ids show until then.
  useEffect(() => {
    if (ids.length > 0) void search('').then(remember, () => undefined);
  }, [botId]);

  return (
    <Picker
      label={label}
      hint={hint}
      placeholder={t('access.searchPeople')}
      ids={ids}
      names={names}
      onNames={remember}
      onChange={onChange}
      search={search}
    />
  );
}

/**
 * Who gets an answer: DMs, groups and other bots, with allowlists picked by name. Without
 * `botId` (a bot not saved yet) the pickers are replaced by a note: searching needs the saved bot.
 */
export function AccessSection({
  botId,
  value,
  onChange,
  heading = true,
}: {
  botId?: string;
  value: AccessView;
  onChange: (next: AccessView) => void;
  heading?: boolean;
}) {
  const { t } = useTranslation();
  const client = useClient();
  const [names, remember] = useNames();

  const searchChats = async (query: string): Promise<Item[]> =>
    botId ? (await client.call('bots.searchChats', { id: botId, query })).map((c) => ({ id: c.chatId, name: c.name })) : [];

  // Names of what is already chosen (ids are stored): best effort, ids show until then.
  useEffect(() => {
    if (botId && value.groupAllow.length > 0) void searchChats('').then(remember, () => undefined);
  }, [botId]);

  const set = (patch: Partial<AccessView>) => onChange({ ...value, ...patch });

  return (
    <section className="access stack" aria-label={t('access.heading')}>
      {heading && <h3 className="access__heading">{t('access.heading')}</h3>}
      <p className="field__hint">{t('access.intro')}</p>
      <RadioGroup
        legend={t('access.dm')}
        name="dm"
        value={value.dm}
        onChange={(dm) => set({ dm })}
        options={[
          { value: 'open', label: t('access.dmOpen') },
          { value: 'allowlist', label: t('access.dmAllowlist') },
        ]}
      />
      {value.dm === 'allowlist' &&
        (botId ? (
          <PeoplePicker
            botId={botId}
            label={t('access.dmAllow')}
            hint={value.dmAllow.length === 0 ? t('access.dmAllowEmpty') : undefined}
            ids={value.dmAllow}
            onChange={(dmAllow) => set({ dmAllow })}
          />
        ) : (
          <p className="field__hint">{t('access.saveFirst')}</p>
        ))}
      <RadioGroup
        legend={t('access.group')}
        name="group"
        value={value.group}
        onChange={(group) => set({ group })}
        options={[
          { value: 'mention', label: t('access.groupMention') },
          { value: 'all', label: t('access.groupAll') },
          { value: 'off', label: t('access.groupOff') },
        ]}
      />
      {value.group !== 'off' && botId && (
        <Picker
          label={t('access.groupAllow')}
          hint={t('access.groupAllowHint')}
          placeholder={t('access.searchChats')}
          ids={value.groupAllow}
          names={names}
          onNames={remember}
          onChange={(groupAllow) => set({ groupAllow })}
          search={searchChats}
        />
      )}
      <RadioGroup
        legend={t('access.bots')}
        name="bots"
        value={value.bots}
        onChange={(bots) => set({ bots })}
        hint={t('access.botsHint')}
        options={[
          { value: 'ignore', label: t('access.botsIgnore') },
          { value: 'mention', label: t('access.botsMention') },
        ]}
      />
    </section>
  );
}
