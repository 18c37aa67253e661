/** The slice of a pino logger Breakwater uses; any pino `Logger` fits. */
export interface BreakwaterLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  child(bindings: Record<string, unknown>): BreakwaterLogger;
}

const noop = () => {};

/** Libraries are silent unless given a logger (pino's advice). */
export const silentLogger: BreakwaterLogger = {
  info: noop,
  warn: noop,
  error: noop,
  debug: noop,
  child: () => silentLogger,
};
