/** The shape every check module exports. */
import { ParsedTarget } from "../targets";

export interface CheckContext {
  /** Fires when the attempt times out; the check closes its connection so nothing is left open. */
  signal: AbortSignal;
  timeoutMs: number;
}

export interface Check<T extends ParsedTarget> {
  /** The "check" column: what is verified for this target. */
  describe(target: T): string;
  /** Resolves with a detail line when healthy; throws (ideally a CheckFailure) when not. */
  run(target: T, ctx: CheckContext): Promise<string>;
}

/** Runs `close` once when the attempt is aborted; returns the function that unregisters it. */
export function onAbort(signal: AbortSignal, close: () => void): () => void {
  if (signal.aborted) {
    close();
    return () => undefined;
  }
  signal.addEventListener("abort", close, { once: true });
  return () => signal.removeEventListener("abort", close);
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
