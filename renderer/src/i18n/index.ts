// i18next + react-i18next: the standard pair (plurals, interpolation, a `t` that React re-renders on a
// language change) at about 20 KB gzipped. Both languages are bundled (small), so a switch is instant
// and works offline. The choice is remembered in localStorage; the first visit follows the browser.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { zh } from './zh';

export const LANGUAGES = [
  { code: 'en', label: 'English' },
  { code: 'zh', label: '中文' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];

const STORAGE_KEY = 'buckyos.language';

export function initialLanguage(stored: string | null, browser: readonly string[]): Language {
  if (stored === 'en' || stored === 'zh') return stored;
  return browser.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh' : 'en';
}

function readStored(): string | null {
  try { return globalThis.localStorage?.getItem(STORAGE_KEY) ?? null; } catch { return null; }
}

export function setLanguage(lang: Language): void {
  try { globalThis.localStorage?.setItem(STORAGE_KEY, lang); } catch { /* private mode: not remembered */ }
  void i18n.changeLanguage(lang);
}

export function startI18n(): typeof i18n {
  const lang = initialLanguage(readStored(), globalThis.navigator?.languages ?? []);
  void i18n.use(initReactI18next).init({
    resources: { en: { translation: en }, zh: { translation: zh } },
    lng: lang,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  i18n.on('languageChanged', (l) => { document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en'; });
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  return i18n;
}

export { i18n };
