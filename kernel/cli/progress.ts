// A one-line progress bar on stderr for long CLI steps (phase + bytes), so stdout stays clean for
// scripts. On a terminal the line redraws in place; elsewhere (logs, CI) each new phase prints once.

export interface ProgressUpdate {
  phase: string;
  bytes?: number;
  total?: number;
}

export interface ProgressBar {
  update(p: ProgressUpdate): void;
  /** Ends the bar's line (a terminal gets the last state kept on screen). */
  done(): void;
}

const BAR_WIDTH = 24;
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

/** The text of one progress line, e.g. "notes  downloading  [######......]  1.2 MB / 3.4 MB". */
export function renderProgress(label: string, p: ProgressUpdate, width = BAR_WIDTH): string {
  const head = `${label}  ${p.phase}`;
  if (!p.total || p.total <= 0 || p.bytes === undefined) return head;
  const ratio = Math.min(1, Math.max(0, p.bytes / p.total));
  const filled = Math.round(ratio * width);
  return `${head}  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]  ${formatBytes(p.bytes)} / ${formatBytes(p.total)}`;
}

export function progressBar(label: string, out: NodeJS.WriteStream = process.stderr): ProgressBar {
  const tty = out.isTTY === true;
  let lastLine = '';
  let lastPhase = '';
  let open = false;
  return {
    update(p) {
      const line = renderProgress(label, p);
      if (tty) {
        if (line === lastLine) return;
        out.write(`\r\x1b[2K${line}`);
        open = true;
      } else if (p.phase !== lastPhase) {
        out.write(`${line}\n`);
      }
      lastLine = line;
      lastPhase = p.phase;
    },
    done() {
      if (tty && open) out.write('\n');
      open = false;
    },
  };
}
