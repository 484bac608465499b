/** The error type checks throw, whether another attempt could mend it, and how any error becomes one line of a report. */

/** Failures no retry can mend: the runner does not repeat the attempt (see isPermanent). */
export type PermanentCause =
  /** wrong or missing credentials */
  | "auth"
  /** the expected database does not exist */
  | "missing database"
  /** DNS says the host name does not exist */
  | "unknown host"
  /** the server is set up to refuse or to let anyone in (no password, protected mode) */
  | "server configuration";

export class CheckFailure extends Error {
  constructor(
    message: string,
    /** Set for a failure another attempt cannot fix; unset (transient) for everything else. */
    readonly permanent?: PermanentCause,
    /** A transient failure that cannot clear sooner than this (a scrape not yet due): the runner waits at least this long before the next attempt. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "CheckFailure";
  }
}

/**
 * The one place that decides whether a failed attempt is worth repeating. Permanent are the causes
 * above, which checks name when they translate their server's answer; everything else is transient
 * and retried with backoff: refused or reset connections, timeouts, a server starting up or still
 * loading its data, a temporary DNS failure (EAI_AGAIN), a missing table or topic that a job may
 * still be creating.
 */
export function isPermanent(err: unknown): boolean {
  return err instanceof CheckFailure && err.permanent !== undefined;
}

/** An authentication failure: permanent, and always worded so an operator sees it is about credentials. */
export function authFailure(cause: unknown): CheckFailure {
  return new CheckFailure(`authentication failed: ${describeError(cause)}`, "auth");
}

export function missingDatabase(database: string, cause: unknown): CheckFailure {
  return new CheckFailure(`database ${database} is missing: ${describeError(cause)}`, "missing database");
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
