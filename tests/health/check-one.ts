/** Runs the library on one target and returns its row, as the tests look at one check at a time. */
import { CheckResult, HealthTarget, runChecks, RunOptions } from "../../health";

/** Short limits so failure cases finish in about a second. */
export const FAST: RunOptions = { timeoutMs: 1500, retries: 0, backoffMs: 100 };

export async function checkOne(target: HealthTarget, opts: Partial<RunOptions> = FAST): Promise<CheckResult> {
  const report = await runChecks([target], opts);
  expect(report.results).toHaveLength(1);
  expect(report.ok).toBe(report.results[0].status === "pass");
  return report.results[0];
}
