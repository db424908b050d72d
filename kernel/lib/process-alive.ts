// Whether a process still runs, for telling a live lock holder (or staging dir owner) from a crashed one.

/** True when `pid` runs; a process of another user (EPERM) counts as running. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
