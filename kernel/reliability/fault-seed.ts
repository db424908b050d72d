// A seeded random source for fault-injection tests and the soak bench: every random point a fault
// lands on comes from one seed, printed at the start, so a failure reproduces with
// BUCKYOS_FAULT_SEED=<seed>. Only tests and benches import this.

/** mulberry32: small, fast, good enough to pick fault points (not for anything secret). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from BUCKYOS_FAULT_SEED, or a fresh one; printed either way with how to replay it. */
export function faultSeed(what: string): { seed: number; random: () => number; between(lo: number, hi: number): number } {
  const given = Number(process.env.BUCKYOS_FAULT_SEED);
  const seed = Number.isInteger(given) && given > 0 ? given : 1 + Math.floor(Math.random() * 2 ** 31);
  console.log(`# ${what}: fault seed ${seed} (replay with BUCKYOS_FAULT_SEED=${seed})`);
  const random = seededRandom(seed);
  return { seed, random, between: (lo, hi) => Math.round(lo + random() * (hi - lo)) };
}
