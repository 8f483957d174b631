import winston from 'winston';

export interface LoggerOptions {
  /** `error` | `warn` | `info` | `debug`; default from GRAFT_LOG_LEVEL, else `info`. */
  level?: string;
  /** A file to append JSON lines to (one object per log record). */
  file?: string;
  /** Print to the terminal (stderr). Default true. */
  console?: boolean;
}

/**
 * Human-readable lines on a terminal (colour when it is a TTY), JSON lines to a file. Logs go to
 * stderr so that stdout stays for results (samples, tables, JSON reports).
 */
export function createLogger(opts: LoggerOptions = {}): winston.Logger {
  const level = opts.level ?? process.env.GRAFT_LOG_LEVEL ?? 'info';
  const transports: winston.transport[] = [];
  if (opts.console ?? true) {
    const tty = process.stderr.isTTY === true;
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
        format: winston.format.combine(
          ...(tty ? [winston.format.colorize()] : []),
          winston.format.printf((info) => {
            const time = new Date().toISOString().slice(11, 19);
            return `${time} ${info.level} ${String(info.message)}`;
          }),
        ),
      }),
    );
  }
  if (opts.file) {
    transports.push(new winston.transports.File({ filename: opts.file, format: winston.format.combine(winston.format.timestamp(), winston.format.json()) }));
  }
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
  return winston.createLogger({ level, transports });
}

/** A logger that drops everything (tests). */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
}
