// Shows any error as the owner's sentence and next step; the kernel's own text waits in a fold.
import { useTranslation } from 'react-i18next';
import { explainError, type ErrorContext } from '../api/errors';
import { Button } from './Button';

export function ErrorNotice({ error, context, onRetry }: { error: unknown; context?: ErrorContext; onRetry?: () => void }) {
  const { t } = useTranslation();
  const e = explainError(error, context);
  return (
    <div className="notice notice-bad" role="alert" data-error-code={e.code}>
      <strong>{t(e.what, e.values)}</strong>
      <p>{t(e.next, e.values)}</p>
      {e.retry && onRetry && <Button onClick={onRetry}>{t('common.retry')}</Button>}
      {e.detail && (
        <details>
          <summary>{t('common.details')}</summary>
          <pre>{e.detail}</pre>
        </details>
      )}
    </div>
  );
}
