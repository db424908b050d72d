// "Why is it on that device?" in the owner's words: the scheduler's reason code for an instance's
// placement (kernel/scheduler/placement.ts) as one sentence; the scheduler's own detail stays in a fold.
import type { Reason } from '../../../../kernel/api/scheduler';

const SENTENCES: Record<string, string> = {
  'filter:only-candidate': 'onlyOne',
  'score:most-free-memory': 'mostMemory',
  'score:spread': 'fewestApps',
  'score:tie-by-name': 'tie',
  'keep:existing-placement': 'stays',
};

export interface PlacementWhy {
  /** i18n key under appsOps.why */
  key: string;
  values: { device: string };
  detail: string;
}

/** An app installed on a chosen device is pinned there: the scheduler filtered out the others for it. */
export function placementWhy(node: string, reason: Reason): PlacementWhy {
  const values = { device: node };
  if (reason.detail.includes('filter:affinity')) return { key: 'appsOps.why.chosen', values, detail: reason.detail };
  return { key: `appsOps.why.${SENTENCES[reason.code] ?? 'other'}`, values, detail: reason.detail || reason.code };
}
