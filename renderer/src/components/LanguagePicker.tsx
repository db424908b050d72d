import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage, type Language } from '../i18n';

export function LanguagePicker({ compact }: { compact?: boolean }) {
  const { t, i18n } = useTranslation();
  return (
    <div className={compact ? undefined : 'field'}>
      <label htmlFor="language-picker" className={compact ? 'sr-only' : undefined}>{t('common.language')}</label>
      <select id="language-picker" value={i18n.language} onChange={(e) => setLanguage(e.target.value as Language)}>
        {LANGUAGES.map((l) => <option key={l.code} value={l.code}>{l.label}</option>)}
      </select>
    </div>
  );
}
