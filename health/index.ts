/**
 * Public API of the health checks, used by the Pulumi program's resource hooks and the `verify`
 * command (cli.ts). See the README, "Health checks and verify".
 */
export { runChecks, DEFAULT_RUN_OPTIONS } from "./runner";
export type { RunOptions, CheckResult, HealthReport } from "./runner";
export { formatTable, formatJson } from "./report";
export { checkThroughPortForwards } from "./port-forward";
export { rolloutPending, waitForRollouts } from "./rollouts";
export type { RolloutOptions } from "./rollouts";
export type { PortForwardOptions } from "./port-forward";
export { parseTargets, parseInClusterTargets, loadTargetsFile, parseTargetsDocument, targetsFileSchema } from "./targets";
export type { HealthTarget, InClusterTarget, ParsedTarget, TargetsFile, TargetKind } from "./targets";
