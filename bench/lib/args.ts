// Command-line options of the benches: `--name value`.

/** The number after `--name`, or `dflt` when the option is absent. */
export function numberArg(name: string, dflt: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return dflt;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value)) throw new Error(`--${name} takes a number, not ${JSON.stringify(process.argv[at + 1])}`);
  return value;
}
