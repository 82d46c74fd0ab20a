import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

/**
 * JSON logs, one line per event. Authorization material is redacted at the source so that no log
 * line, whatever its level, can carry a signature or a key.
 */
export function createLogger(service: string, level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.signingKey', '*.secret', '*.keys'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
