/** The error type checks throw, and how any error becomes one line of a report. */

export class CheckFailure extends Error {
  /** A final failure (e.g. a wrong password) is not retried: another attempt cannot fix it. */
  readonly final: boolean;

  constructor(message: string, opts: { final?: boolean } = {}) {
    super(message);
    this.name = "CheckFailure";
    this.final = opts.final ?? false;
  }
}

/** An authentication failure: final, and always worded so an operator sees it is about credentials. */
export function authFailure(cause: unknown): CheckFailure {
  return new CheckFailure(`authentication failed: ${describeError(cause)}`, { final: true });
}

/** One line for the report; network errors from Node often carry only a code (or several causes). */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return [...new Set(err.errors.map(describeError))].join("; ");
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err.message.trim().split("\n")[0];
    // fetch() says only "fetch failed"; the reason is in its cause.
    if (message && err.cause !== undefined) return `${message}: ${describeError(err.cause)}`;
    if (message && code && !message.includes(code)) return `${code}: ${message}`;
    if (message) return message;
    if (code) return code;
    if (err.cause !== undefined) return describeError(err.cause);
    return err.name;
  }
  return String(err);
}
