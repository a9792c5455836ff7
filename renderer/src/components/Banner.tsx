import type { ReactNode } from 'react';
import { cx } from '../lib/cx';
import { Icon } from './Icon';

type Tone = 'info' | 'warning' | 'error' | 'success';

const icons = { info: 'info', warning: 'warning', error: 'warning', success: 'check' } as const;

interface BannerProps {
  tone: Tone;
  title?: ReactNode;
  children?: ReactNode;
  className?: string;
  /** Appears in reaction to something the person did: announce it politely (errors always are). */
  announce?: boolean;
}

/** A message block. Errors are announced at once (role=alert); others only when `announce`. */
export function Banner({ tone, title, children, className, announce = false }: BannerProps) {
  const role = tone === 'error' ? 'alert' : announce ? 'status' : undefined;
  return (
    <div className={cx('banner', `banner--${tone}`, className)} role={role}>
      <Icon name={icons[tone]} className="banner__icon" />
      <div className="banner__text">
        {title && <p className="banner__title">{title}</p>}
        {children}
      </div>
    </div>
  );
}
