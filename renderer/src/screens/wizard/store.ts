// The wizard's state: five screens (welcome, words, check, zone, review → progress). The recovery
// words live only in this store, in memory, and are dropped as soon as the device is set up.
import { create } from 'zustand';
import { ownerKit } from '../../api/owner-kit';
import { activateFromPage, handoverUrl, waitForGateway, type PageActivationResult } from './activate';
import { checkWords, pickCheckPositions } from './words';
import { isActivationStep, type SetupPhase } from './progress';
import { MIN_PASSWORD_LENGTH, passwordStrength } from './strength';

export const WIZARD_STEPS = ['welcome', 'words', 'check', 'zone', 'review'] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

/** Field problems as i18n keys. */
export type Problems = Partial<Record<'ownerName' | 'restore' | 'check' | 'zoneName' | 'password' | 'confirm', string>>;

export interface WizardState {
  step: WizardStep;
  ownerName: string;
  /** 'new': words generated here; 'restore': the owner typed existing words. */
  wordsMode: 'new' | 'restore';
  mnemonic: string;
  restoreText: string;
  checkPositions: number[];
  checkTyped: string[];
  zoneName: string;
  /** Issue 11: sign the main server's enrolment delegation with the activation (devices approved without the words). */
  delegateDevices: boolean;
  password: string;
  confirm: string;
  problems: Problems;
  phase?: SetupPhase | 'done';
  error?: unknown;
  result?: PageActivationResult;

  set(patch: Partial<WizardState>): void;
  next(): void;
  back(): void;
  useRestore(restore: boolean): void;
  start(navigate?: (url: string) => void): Promise<void>;
}

export function validateStep(s: WizardState): Problems {
  const p: Problems = {};
  const ok = (f: () => unknown) => { try { f(); return true; } catch { return false; } };
  switch (s.step) {
    case 'welcome':
      if (!ok(() => ownerKit().normalizeOwnerName(s.ownerName))) p.ownerName = 'wizard.welcome.nameInvalid';
      break;
    case 'words':
      if (s.wordsMode === 'restore' && !ok(() => ownerKit().normalizeMnemonic(s.restoreText))) p.restore = 'wizard.words.restoreInvalid';
      break;
    case 'check':
      if (!checkWords(s.mnemonic, s.checkPositions, s.checkTyped).every(Boolean)) p.check = 'wizard.check.mismatch';
      break;
    case 'zone':
      if (!ok(() => ownerKit().normalizeZoneName(s.zoneName))) p.zoneName = 'wizard.zone.nameInvalid';
      if (s.password.length < MIN_PASSWORD_LENGTH) p.password = 'wizard.zone.passwordShort';
      else if (passwordStrength(s.password, [s.ownerName, s.zoneName]) < 2) p.password = 'wizard.zone.passwordWeak';
      if (s.confirm !== s.password) p.confirm = 'wizard.zone.confirmMismatch';
      break;
    case 'review':
      break;
  }
  return p;
}

const freshWords = () => ({ mnemonic: ownerKit().generateMnemonic(), checkPositions: pickCheckPositions(3), checkTyped: ['', '', ''] });

export const createWizardStore = () => create<WizardState>()((set, get) => ({
  step: 'welcome',
  ownerName: '',
  wordsMode: 'new',
  ...freshWords(),
  restoreText: '',
  zoneName: 'home',
  delegateDevices: true,
  password: '',
  confirm: '',
  problems: {},

  set(patch) {
    set({ ...patch, problems: {} });
  },

  next() {
    const s = get();
    const problems = validateStep(s);
    if (Object.keys(problems).length) return set({ problems });
    let step = WIZARD_STEPS[WIZARD_STEPS.indexOf(s.step) + 1] ?? s.step;
    if (s.step === 'words' && s.wordsMode === 'restore') {
      set({ mnemonic: ownerKit().normalizeMnemonic(s.restoreText) });
      step = 'zone';
    }
    set({ step, problems: {} });
  },

  back() {
    const s = get();
    if (s.phase && s.phase !== 'done' && !s.error) return;
    let step = WIZARD_STEPS[WIZARD_STEPS.indexOf(s.step) - 1] ?? s.step;
    if (s.step === 'zone' && s.wordsMode === 'restore') step = 'words';
    set({ step, problems: {}, phase: undefined, error: undefined });
  },

  useRestore(restore) {
    set({ wordsMode: restore ? 'restore' : 'new', problems: {}, ...(restore ? {} : freshWords()), restoreText: '' });
  },

  async start(navigate = (url) => location.assign(url)) {
    const s = get();
    if (s.phase && s.phase !== 'done' && !s.error) return;
    set({ phase: 'device-key', error: undefined });
    try {
      const result = s.result ?? await activateFromPage({
        mnemonic: s.mnemonic, ownerName: s.ownerName, zoneName: s.zoneName, password: s.password, delegateDevices: s.delegateDevices,
        onStep: (step) => { if (isActivationStep(step)) set({ phase: step }); },
      });
      // Set up: the words and the password are no longer needed anywhere.
      set({ result, mnemonic: '', restoreText: '', checkTyped: ['', '', ''], password: '', confirm: '', phase: 'booting' });
      await waitForGateway(result.gatewayUrl);
      set({ phase: 'opening' });
      navigate(handoverUrl(result));
    } catch (error) {
      set({ error });
    }
  },
}));

export const useWizard = createWizardStore();
