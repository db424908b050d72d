// Turns a Sentence (reasons.ts) into text: values that are themselves i18n keys are translated first.
import type { TFunction } from 'i18next';
import type { Sentence } from './reasons';

export function say(t: TFunction, s: Sentence): string {
  const values: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(s.values ?? {})) values[k] = typeof v === 'string' && /^(scheduler|permissions)\./.test(v) ? t(v) : v;
  return t(s.key, values);
}

/** `notes@alice` → `notes (alice)`; a kernel service keeps its name. */
export function appLabel(specId: string): string {
  const at = specId.lastIndexOf('@');
  return at > 0 ? `${specId.slice(0, at)} (${specId.slice(at + 1)})` : specId;
}

export const timeLabel = (unixS: number, lang: string) => (unixS > 0 ? new Date(unixS * 1000).toLocaleString(lang) : '—');
