// Where a running node's kernel logs go: the console (human lines at a terminal, JSON lines otherwise
// or when asked) and always logs/kernel.log in the data folder (JSON lines, rotated), so what happened
// can be read after the terminal is gone.
import { join } from 'node:path';
import { createLogger, envLogLevel, type LogFormat, type Logger, type LogLevel } from './log.js';
import { RotatingLog, type RotationPolicy } from './rotating-log.js';

export const KERNEL_LOG_FILE = 'kernel.log';
export const KERNEL_LOG_ROTATION: RotationPolicy = { maxBytes: 10 * 1024 * 1024, files: 5 };

export interface KernelLog {
  log: Logger;
  /** the current log file (older ones are <file>.1 … <file>.4) */
  file: string;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export interface KernelLogOptions {
  /** the console format; human when stderr is a terminal, JSON otherwise */
  format?: LogFormat;
  /** the console level (default BUCKYOS_LOG_LEVEL, else info); the file keeps info and above at least */
  level?: LogLevel;
  rotation?: RotationPolicy;
}

export function consoleLogFormat(asked?: string): LogFormat {
  const format = asked ?? process.env.BUCKYOS_LOG_FORMAT;
  if (format === 'json' || format === 'human') return format;
  return process.stderr.isTTY ? 'human' : 'json';
}

export function openKernelLog(component: string, logsDir: string, opts: KernelLogOptions = {}): KernelLog {
  const level = opts.level ?? envLogLevel();
  const file = join(logsDir, KERNEL_LOG_FILE);
  const rotating = new RotatingLog(file, opts.rotation ?? KERNEL_LOG_ROTATION);
  const fileLevel: LogLevel = level === 'debug' ? 'debug' : 'info';
  const log = createLogger(component, {
    level, format: opts.format ?? consoleLogFormat(),
    also: [{ out: { write: (line: string) => rotating.write(line) }, format: 'json', level: fileLevel }],
  });
  return { log, file, close: () => rotating.close() };
}
