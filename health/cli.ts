/**
 * `verify`: runs the post-deploy health checks any time, against a deployed stack (endpoints and
 * credentials from its outputs, in-cluster services through Kubernetes API port-forwards) or
 * against explicit addresses in a targets file. Exit code: 0 healthy, 1 unhealthy, 2 could not run.
 *
 *   npx ts-node health/cli.ts --stack prod
 *   npx ts-node health/cli.ts --targets targets.yaml --json
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Command, InvalidArgumentError } from "commander";
import { checkThroughPortForwards } from "./port-forward";
import { formatJson, formatTable } from "./report";
import { DEFAULT_RUN_OPTIONS, HealthReport, runChecks, RunOptions } from "./runner";
import { HealthTarget, InClusterTarget, isInCluster, loadTargetsFile, parseTargetsDocument, TargetsFile } from "./targets";

export const EXIT = { healthy: 0, unhealthy: 1, error: 2 } as const;

/**
 * The stack's `health` output is either a targets document or just its list of targets, in which
 * case the Services live in the namespace the `namespace` output names.
 */
export function targetsFromStackOutputs(outputs: Record<string, unknown>, stack: string): TargetsFile {
  const health = outputs.health;
  if (health === undefined) throw new Error(`stack ${stack} has no 'health' output: deploy it with a program version that exports one`);
  const doc = Array.isArray(health) ? { namespace: outputs.namespace, targets: health } : health;
  return parseTargetsDocument(JSON.stringify(doc), `the 'health' output of stack ${stack}`);
}

async function stackTargets(stack: string, cwd: string): Promise<TargetsFile> {
  // --show-secrets: the credentials the checks log in with are secret outputs; they stay in memory.
  const { stdout } = await promisify(execFile)("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`pulumi stack output --stack ${stack} failed: ${(err.stderr || err.message).trim()}`);
  });
  return targetsFromStackOutputs(JSON.parse(stdout) as Record<string, unknown>, stack);
}

/** Checks the direct targets as they are and the in-cluster ones through port-forwards. */
export async function verifyTargets(doc: TargetsFile, opts: RunOptions & { kubeconfig?: string }): Promise<HealthReport> {
  const direct = doc.targets.filter((t): t is HealthTarget & typeof t => !isInCluster(t));
  const inCluster = doc.targets.filter((t): t is InClusterTarget & typeof t => isInCluster(t));
  if (inCluster.length === 0) return runChecks(direct, opts);
  return checkThroughPortForwards({ kubeconfig: opts.kubeconfig ?? doc.kubeconfig, namespace: doc.namespace!, targets: inCluster }, direct, opts);
}

function number(min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`a number from ${min} to ${max}`);
    return n;
  };
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("verify")
    .description("Run the platform's health checks against a deployed stack or explicit addresses.")
    .option("-s, --stack <name>", "read targets and credentials from this Pulumi stack's outputs; reach in-cluster services through port-forwards")
    .option("-t, --targets <file>", "read targets from this YAML or JSON file (format: README, section Targets file)")
    .option("--kubeconfig <file>", "kubeconfig for port-forwards (default: KUBECONFIG or ~/.kube/config)")
    .option("--cwd <dir>", "directory of the Pulumi project, for --stack", process.cwd())
    .option("--timeout <seconds>", "timeout of one attempt of one check", number(0.1, 300), DEFAULT_RUN_OPTIONS.timeoutMs / 1000)
    .option("--retries <n>", "retries per check after a failed attempt", number(0, 10), DEFAULT_RUN_OPTIONS.retries)
    .option("--backoff <ms>", "wait before the first retry, doubled for each further one", number(0, 60_000), DEFAULT_RUN_OPTIONS.backoffMs)
    .option("--json", "print the report as JSON instead of a table")
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (err) {
    return (err as { exitCode?: number }).exitCode === 0 ? EXIT.healthy : EXIT.error;
  }
  const o = program.opts<{ stack?: string; targets?: string; kubeconfig?: string; cwd: string; timeout: number; retries: number; backoff: number; json?: boolean }>();
  if (Boolean(o.stack) === Boolean(o.targets)) {
    process.stderr.write("verify: give exactly one of --stack <name> or --targets <file>\n");
    return EXIT.error;
  }
  let report: HealthReport;
  try {
    const doc = o.stack ? await stackTargets(o.stack, o.cwd) : loadTargetsFile(o.targets!);
    report = await verifyTargets(doc, { timeoutMs: o.timeout * 1000, retries: o.retries, backoffMs: o.backoff, kubeconfig: o.kubeconfig });
  } catch (err) {
    process.stderr.write(`verify: ${(err as Error).message}\n`);
    return EXIT.error;
  }
  process.stdout.write(`${o.json ? formatJson(report) : formatTable(report)}\n`);
  return report.ok ? EXIT.healthy : EXIT.unhealthy;
}

if (require.main === module) {
  // Exit explicitly: a client library's idle timer must not keep an on-call shell waiting.
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
