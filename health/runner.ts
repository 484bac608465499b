/**
 * Runs every check in parallel, each attempt under its own timeout, with bounded retries and
 * exponential backoff, and gathers one result per target.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { checkFor } from "./checks";
import { CheckFailure, describeError, isPermanent } from "./checks/failure";
import { addressOf, HealthTarget, parseTargets, ParsedTarget, secretsOf, TargetKind } from "./targets";

export interface RunOptions {
  /** Limit of one attempt of one check. */
  timeoutMs: number;
  /** Further attempts after a failed one (0 = try once). */
  retries: number;
  /** Wait before the first retry; doubles for each further one. */
  backoffMs: number;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { timeoutMs: 10_000, retries: 3, backoffMs: 500 };
/** Keeps a long retry series from waiting minutes between two attempts. */
const MAX_BACKOFF_MS = 10_000;
/** The longest wait a check may ask for (CheckFailure.retryAfterMs): two minutes of scrape interval. */
const MAX_RETRY_AFTER_MS = 120_000;

export interface CheckResult {
  component: string;
  kind: TargetKind;
  /** What was checked, e.g. "Health/Check SERVING" or "SELECT 1, database, 2 tables". */
  check: string;
  status: "pass" | "fail";
  /** Wall time of the whole check, retries and backoff included. */
  latencyMs: number;
  attempts: number;
  detail: string;
}

export interface HealthReport {
  ok: boolean;
  durationMs: number;
  results: CheckResult[];
}

/** Checks every target at once; never throws for an unhealthy target (see report.ok). */
export async function runChecks(targets: readonly HealthTarget[], options: Partial<RunOptions> = {}): Promise<HealthReport> {
  const opts = { ...DEFAULT_RUN_OPTIONS, ...options };
  const parsed = parseTargets(targets);
  const started = performance.now();
  const settled = await Promise.allSettled(parsed.map((t) => runOne(t, opts)));
  const results = settled.map((s, i) =>
    s.status === "fulfilled"
      ? s.value
      : // runOne catches check errors itself; this is a bug guard that still yields a failing row.
        failed(parsed[i], checkFor(parsed[i]).describe(parsed[i]), 0, 1, describeError(s.reason)),
  );
  return { ok: results.every((r) => r.status === "pass"), durationMs: Math.round(performance.now() - started), results };
}

async function runOne(target: ParsedTarget, opts: RunOptions): Promise<CheckResult> {
  const check = checkFor(target);
  const name = check.describe(target);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let lastError: unknown;
  let attempts = 0;
  while (attempts <= opts.retries) {
    attempts++;
    try {
      const detail = await attempt(
        async (signal) => {
          await resolvable(target.host);
          return check.run(target, { signal, timeoutMs: opts.timeoutMs });
        },
        target,
        opts.timeoutMs,
      );
      return { component: target.name, kind: target.kind, check: name, status: "pass", latencyMs: elapsed(), attempts, detail: redact(detail, target) };
    } catch (err) {
      lastError = err;
      if (isPermanent(err)) break;
      if (attempts <= opts.retries) await sleep(Math.max(Math.min(opts.backoffMs * 2 ** (attempts - 1), MAX_BACKOFF_MS), retryAfter(err)));
    }
  }
  const suffix = attempts > 1 ? ` (after ${attempts} attempts)` : "";
  return failed(target, name, elapsed(), attempts, describeError(lastError) + suffix);
}

/** The wait a check asked for before its next attempt, bounded so a bad hint cannot stall a deploy. */
function retryAfter(err: unknown): number {
  return err instanceof CheckFailure && err.retryAfterMs !== undefined ? Math.min(Math.max(err.retryAfterMs, 0), MAX_RETRY_AFTER_MS) : 0;
}

/**
 * A host name DNS does not know fails the same way for every kind of check (some clients, such as
 * gRPC's, report it only as "unavailable"), and as permanent: retrying cannot make it resolve.
 */
async function resolvable(host: string): Promise<void> {
  if (isIP(host)) return;
  await lookup(host).catch((err: NodeJS.ErrnoException) => {
    throw err.code === "ENOTFOUND" ? new CheckFailure(`host name ${host} does not resolve (ENOTFOUND)`, "unknown host") : err;
  });
}

/** One attempt: the check gets a signal that fires at the timeout so it can close its connection. */
async function attempt(run: (signal: AbortSignal) => Promise<string>, target: ParsedTarget, timeoutMs: number): Promise<string> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new CheckFailure(`timed out after ${timeoutMs} ms waiting for ${addressOf(target)}`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  const running = run(controller.signal);
  // After a timeout the check's own rejection (its aborted client) is no longer interesting.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, timedOut]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

function failed(target: ParsedTarget, check: string, latencyMs: number, attempts: number, detail: string): CheckResult {
  return { component: target.name, kind: target.kind, check, status: "fail", latencyMs, attempts, detail: redact(detail, target) };
}

/** Client libraries may echo what they were given; a password never leaves this module. */
function redact(text: string, target: ParsedTarget): string {
  return secretsOf(target).reduce((acc, secret) => acc.split(secret).join("***"), text);
}
