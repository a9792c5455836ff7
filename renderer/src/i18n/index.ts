import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import type { Settings } from '@shared/contract';
import { en } from './en';
import { zhCN } from './zh-CN';

export type UiLanguage = 'en' | 'zh-CN';

export const resources = {
  en: { translation: en },
  'zh-CN': { translation: zhCN },
} as const;

/** The first of the user's preferred languages we have a dictionary for; English otherwise. */
export function systemLanguage(preferred: readonly string[]): UiLanguage {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'en';
}

/** What the browser says the user prefers (`navigator.languages`, else `navigator.language`). */
export function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  if (navigator.languages.length > 0) return navigator.languages;
  return navigator.language ? [navigator.language] : [];
}

export function resolveLanguage(setting: Settings['language'], preferred: readonly string[] = browserLanguages()): UiLanguage {
  return setting === 'system' ? systemLanguage(preferred) : setting;
}

/** Starts i18next with the system language; the saved setting is applied once it is loaded. */
export function initI18n(): typeof i18next {
  void i18next.use(initReactI18next).init({
    resources,
    lng: resolveLanguage('system'),
    fallbackLng: 'en',
    supportedLngs: ['en', 'zh-CN'],
    initAsync: false,
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
    showSupportNotice: false, // no promotional console output in a shipped app
  });
  document.documentElement.lang = i18next.language;
  return i18next;
}

export function applyLanguage(setting: Settings['language']): void {
  const lang = resolveLanguage(setting);
  if (i18next.language !== lang) void i18next.changeLanguage(lang);
  document.documentElement.lang = lang;
}
