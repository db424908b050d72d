// The recovery-word check: three distinct positions the owner re-types, compared loosely (case and
// spaces do not matter).

export function pickCheckPositions(count: number, random: () => number = Math.random, total = 12): number[] {
  const all = Array.from({ length: total }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, count).sort((a, b) => a - b);
}

export const sameWord = (typed: string, word: string) => typed.trim().toLowerCase() === word;

export function checkWords(mnemonic: string, positions: number[], typed: string[]): boolean[] {
  const words = mnemonic.split(' ');
  return positions.map((p, i) => sameWord(typed[i] ?? '', words[p]));
}
