/** Small inline icons (no image files: CSP and offline). Decorative: always aria-hidden. */
type IconName =
  'check' | 'cross' | 'warning' | 'info' | 'external' | 'plug' | 'bot' | 'settings' | 'copy' | 'spark' | 'circle' | 'question';

const paths: Record<IconName, string> = {
  check: 'M4 10.5l4 4 8-9',
  cross: 'M5 5l10 10M15 5L5 15',
  warning: 'M10 3l8 14H2L10 3zM10 8v4M10 14.5v.5',
  info: 'M10 2.5a7.5 7.5 0 110 15 7.5 7.5 0 010-15zM10 9v5M10 6v.5',
  external: 'M8 4H4v12h12v-4M11 3h6v6M17 3l-8 8',
  plug: 'M7 2v4M13 2v4M5 6h10v3a5 5 0 01-10 0V6zM10 14v4',
  bot: 'M4 7h12v9H4zM10 3v4M7.5 11v1M12.5 11v1M2 11v2M18 11v2',
  settings: 'M10 7a3 3 0 110 6 3 3 0 010-6zM10 1.5v3M10 15.5v3M18.5 10h-3M4.5 10h-3M16 4l-2.1 2.1M6.1 13.9L4 16M16 16l-2.1-2.1M6.1 6.1L4 4',
  copy: 'M7 7h10v10H7zM3 13V3h10',
  spark: 'M10 2l1.8 5.2L17 9l-5.2 1.8L10 16l-1.8-5.2L3 9l5.2-1.8z',
  circle: 'M10 3a7 7 0 110 14 7 7 0 010-14z',
  question: 'M7.6 7.6a2.5 2.5 0 114.1 1.9c-.9.7-1.7 1.2-1.7 2.5M10 14.5v.5',
};

export function Icon({ name, className }: { name: IconName; className?: string }) {
  return (
    <svg className={className ? `icon ${className}` : 'icon'} viewBox="0 0 20 20" aria-hidden="true" focusable="false">
      <path d={paths[name]} />
    </svg>
  );
}

export function Spinner({ className }: { className?: string }) {
  return <span className={className ? `spinner ${className}` : 'spinner'} aria-hidden="true" />;
}
