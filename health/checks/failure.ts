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
  // Duck-typed: errors may come from another realm (e.g. fetch's under jest), failing instanceof.
  if (typeof err !== "object" || err === null || !("message" in err)) return String(err);
  const e = err as Error & { code?: unknown; errors?: unknown[] };
  if (Array.isArray(e.errors) && e.errors.length > 0) return [...new Set(e.errors.map(describeError))].join("; ");
  const code = typeof e.code === "string" ? e.code : undefined;
  const message = String(e.message).trim().split("\n")[0];
  // fetch() says only "fetch failed"; the reason is in its cause.
  if (message && e.cause !== undefined) return `${message}: ${describeError(e.cause)}`;
  if (message && code && !message.includes(code)) return `${code}: ${message}`;
  if (message) return message;
  if (code) return code;
  if (e.cause !== undefined) return describeError(e.cause);
  return e.name;
}
