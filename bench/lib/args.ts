// Command-line options of the benches: `--name value`.

/** The word after `--name`, or `dflt` when the option is absent. */
export function stringArg(name: string, dflt: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? dflt : (process.argv[at + 1] ?? '');
}

/** The number after `--name`, or `dflt` when the option is absent. */
export function numberArg(name: string, dflt: number): number {
  const raw = stringArg(name, String(dflt));
  const value = Number(raw);
  if (raw === '' || !Number.isFinite(value)) throw new Error(`--${name} takes a number, not ${JSON.stringify(raw)}`);
  return value;
}
