// The phases of setting up, in order, and how far along a phase puts the bar.
import type { OwnerActivationStep } from '../../../../kernel/api/owner-kit';

export const SETUP_PHASES = ['device-key', 'prepare', 'sign', 'commit', 'booting', 'opening'] as const;
export type SetupPhase = (typeof SETUP_PHASES)[number];

/** Share of the bar done when `phase` starts (the last phase ends at 1). */
export function setupProgress(phase: SetupPhase | 'done'): number {
  if (phase === 'done') return 1;
  return SETUP_PHASES.indexOf(phase) / SETUP_PHASES.length;
}

export type PhaseState = 'done' | 'active' | 'waiting';

export function phaseStates(current: SetupPhase | 'done'): Record<SetupPhase, PhaseState> {
  const at = current === 'done' ? SETUP_PHASES.length : SETUP_PHASES.indexOf(current);
  return Object.fromEntries(SETUP_PHASES.map((p, i) => [p, i < at ? 'done' : i === at ? 'active' : 'waiting'])) as Record<SetupPhase, PhaseState>;
}

export const isActivationStep = (s: string): s is OwnerActivationStep => s === 'device-key' || s === 'prepare' || s === 'sign' || s === 'commit';
