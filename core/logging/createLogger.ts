import winston from 'winston';
import { GraftError, ioError } from '../errors/index.ts';

export interface LoggerOptions {
  /** `error` | `warn` | `info` | `debug`; default from GRAFT_LOG_LEVEL, else `info`. */
  level?: string;
  /** A file to append JSON lines to (one object per log record). */
  file?: string;
  /** Print to the terminal (stderr). Default true. */
  console?: boolean;
  /**
   * Called once if the log file cannot be written (no space, folder removed, a folder in its
   * place), with a `GRAFT_ERR_IO` error naming it; the file is then dropped and logging goes on
   * without it. Default: one line on stderr. (Without this, winston's 'error' event would crash.)
   */
  onFileError?: (error: GraftError) => void;
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
  const logger = winston.createLogger({ level, transports });
  logger.on('error', (e: unknown, transport?: winston.transport) => {
    // A failed transport is dropped: writing to it again would raise an unhandled 'write after end'.
    if (transport) logger.remove(transport);
    if (logger.transports.length === 0) logger.add(new winston.transports.Console({ silent: true }));
    if (opts.file && (!transport || transport instanceof winston.transports.File)) {
      const err = ioError(e, { action: 'write the log file', file: opts.file });
      if (opts.onFileError) opts.onFileError(err);
      else process.stderr.write(`graft: ${err.message} [${err.code}]; logging goes on without the file\n`);
    }
  });
  return logger;
}

/** A logger that drops everything (tests). */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] });
}
