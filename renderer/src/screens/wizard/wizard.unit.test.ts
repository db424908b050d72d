import { describe, expect, test } from 'vitest';
import { ownerKit } from '../../../../kernel/activation/owner-kit';
import { provideOwnerKit } from '../../api/owner-kit';
import { checkWords, pickCheckPositions } from './words';
import { passwordStrength } from './strength';
import { phaseStates, setupProgress, SETUP_PHASES } from './progress';

// In the page the kit comes over HTTP before the wizard loads; here the kernel's own module stands in.
provideOwnerKit(ownerKit);
const { createWizardStore, validateStep } = await import('./store');

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

describe('wizard store', () => {
  test('walks five screens for new words; a problem keeps the owner on the screen', () => {
    const w = createWizardStore();
    w.getState().next();
    expect(w.getState().step).toBe('welcome');
    expect(w.getState().problems.ownerName).toBeDefined();
    w.getState().set({ ownerName: 'Alice' });
    w.getState().next();
    expect(w.getState().step).toBe('words');
    const words = w.getState().mnemonic.split(' ');
    expect(words).toHaveLength(12);
    w.getState().next();
    expect(w.getState().step).toBe('check');
    w.getState().next();
    expect(w.getState().problems.check).toBe('wizard.check.mismatch');
    w.getState().set({ checkTyped: w.getState().checkPositions.map((p) => ` ${words[p].toUpperCase()} `) });
    w.getState().next();
    expect(w.getState().step).toBe('zone');
    w.getState().set({ zoneName: 'home', password: 'alice-home-1', confirm: 'alice-home-1' });
    w.getState().next();
    expect(w.getState().problems.password).toBe('wizard.zone.passwordWeak');
    w.getState().set({ password: 'Correct horse 9 battery', confirm: 'Correct horse 9 battery' });
    w.getState().next();
    expect(w.getState().step).toBe('review');
  });

  test('restoring words skips the check screen and keeps the normalized words', () => {
    const w = createWizardStore();
    w.getState().set({ ownerName: 'alice' });
    w.getState().next();
    w.getState().useRestore(true);
    w.getState().set({ restoreText: 'abandon abandon' });
    w.getState().next();
    expect(w.getState().problems.restore).toBeDefined();
    w.getState().set({ restoreText: `  ${ABANDON.toUpperCase()}  ` });
    w.getState().next();
    expect(w.getState().step).toBe('zone');
    expect(w.getState().mnemonic).toBe(ABANDON);
    w.getState().back();
    expect(w.getState().step).toBe('words');
  });

  test('going back to new words after restore makes fresh words', () => {
    const w = createWizardStore();
    const first = w.getState().mnemonic;
    w.getState().useRestore(true);
    w.getState().useRestore(false);
    expect(w.getState().mnemonic).not.toBe(first);
  });

  test('zone screen: bad name and mismatched confirmation are both reported', () => {
    const w = createWizardStore();
    w.getState().set({ step: 'zone', zoneName: 'my home!', password: 'Correct horse 9 battery', confirm: 'other' });
    expect(validateStep(w.getState())).toEqual({ zoneName: 'wizard.zone.nameInvalid', confirm: 'wizard.zone.confirmMismatch' });
  });
});

describe('recovery-word check', () => {
  test('three distinct sorted positions within 12', () => {
    for (let i = 0; i < 50; i++) {
      const p = pickCheckPositions(3);
      expect(new Set(p).size).toBe(3);
      expect(p.every((n) => n >= 0 && n < 12)).toBe(true);
      expect([...p].sort((a, b) => a - b)).toEqual(p);
    }
  });
  test('compares case- and space-insensitively, position by position', () => {
    expect(checkWords(ABANDON, [0, 11], [' Abandon', 'ABOUT '])).toEqual([true, true]);
    expect(checkWords(ABANDON, [0, 11], ['abandon', 'abandon'])).toEqual([true, false]);
  });
});

describe('password strength', () => {
  test('short is 0, the owner\'s own name or common words are weak, long and varied is strong', () => {
    expect(passwordStrength('short')).toBe(0);
    expect(passwordStrength('password123')).toBe(1);
    expect(passwordStrength('alice2024!', ['alice'])).toBe(1);
    expect(passwordStrength('aaaaaaaaaa')).toBe(1);
    expect(passwordStrength('abcdefghij')).toBe(1);
    expect(passwordStrength('Correct horse 9 battery')).toBe(4);
    expect(passwordStrength('Check-pw-1')).toBeGreaterThanOrEqual(2);
  });
});

describe('setup progress', () => {
  test('moves forward phase by phase and ends full', () => {
    const values = SETUP_PHASES.map(setupProgress);
    expect(values[0]).toBe(0);
    expect(values.every((v, i) => i === 0 || v > values[i - 1])).toBe(true);
    expect(setupProgress('done')).toBe(1);
  });
  test('marks phases before the current one done and after it waiting', () => {
    const s = phaseStates('commit');
    expect(s['device-key']).toBe('done');
    expect(s.commit).toBe('active');
    expect(s.booting).toBe('waiting');
    expect(Object.values(phaseStates('done')).every((v) => v === 'done')).toBe(true);
  });
});
