// Structured logger, level-filtered, writing each event to one or more sinks: JSON lines (for files,
// pipes and log collectors) or human lines for a person at a terminal
// ("08:00:34.441 INFO  ood/gateway  gateway listening  host=127.0.0.1 port=3180").
import type { Writable } from 'node:stream';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'json' | 'human';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export interface LogSink {
  out: Pick<Writable, 'write'>;
  format: LogFormat;
  /** events below this level are not written to this sink */
  level: LogLevel;
}

export interface LoggerOptions {
  level?: LogLevel;
  out?: Pick<Writable, 'write'>;
  format?: LogFormat;
  /** further sinks (a log file), each with its own format and level */
  also?: LogSink[];
}

export interface LogRecord {
  t: string;
  lvl: LogLevel;
  c: string;
  msg: string;
  [field: string]: unknown;
}

export const isLogLevel = (v: unknown): v is LogLevel => typeof v === 'string' && v in order;

/** The level from BUCKYOS_LOG_LEVEL, else info. */
export const envLogLevel = (): LogLevel => (isLogLevel(process.env.BUCKYOS_LOG_LEVEL) ? process.env.BUCKYOS_LOG_LEVEL : 'info');

const fieldValue = (v: unknown): string => {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v === undefined) return 'undefined';
  return JSON.stringify(v) ?? String(v);
};

/** One human line: local time, level, component, message, then the fields as key=value. */
export function formatHuman(r: LogRecord, color = false): string {
  const { t, lvl, c, msg, ...fields } = r;
  const d = new Date(t);
  const time = Number.isNaN(d.getTime()) ? t
    : `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  const level = lvl.toUpperCase().padEnd(5);
  const paint = color ? ({ debug: '\x1b[2m', info: '', warn: '\x1b[33m', error: '\x1b[31m' } as const)[lvl] : '';
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${fieldValue(v)}`).join(' ');
  return `${time} ${paint}${level}${paint ? '\x1b[0m' : ''} ${c}  ${msg}${rest ? `  ${rest}` : ''}`;
}

export function createLogger(component: string, opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? envLogLevel();
  const sinks: LogSink[] = [{ out: opts.out ?? process.stderr, format: opts.format ?? 'json', level }, ...(opts.also ?? [])];
  return loggerOver(component, sinks);
}

function loggerOver(component: string, sinks: LogSink[]): Logger {
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    let record: LogRecord | undefined;
    for (const sink of sinks) {
      if (order[lvl] < order[sink.level]) continue;
      record ??= { t: new Date().toISOString(), lvl, c: component, msg, ...fields };
      const color = sink.format === 'human' && (sink.out as { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR;
      sink.out.write((sink.format === 'human' ? formatHuman(record, color) : JSON.stringify(record)) + '\n');
    }
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (c) => loggerOver(`${component}/${c}`, sinks),
  };
}

export const silentLogger: Logger = {
  debug() {}, info() {}, warn() {}, error() {},
  child() { return silentLogger; },
};
