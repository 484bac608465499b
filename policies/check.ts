/**
 * The fast policy check: runs the program for a stack under Pulumi's mocks and evaluates the same
 * rules as the CrossGuard pack, without the Pulumi CLI. Exit code 1 when a mandatory rule is violated.
 *
 *   npm run policy:check -- --stack prod [--config policies/config.prod.json] [--no-exemptions] [--json]
 */
import Table from "cli-table3";
import { Command, Option } from "commander";
import * as fs from "fs";
import { RunOptions, stackConfig, Stack } from "./lib/program-under-mocks";
import { evaluate, Evaluation, EXEMPTION_RULE, PackConfig } from "./lib/engine";
import { detectEnvironment } from "./lib/environment";
import { stackResources } from "./lib/stack";
import { RULES } from "./rules";

export interface CheckOptions {
  stack: Stack;
  config?: string;
  exemptions: boolean;
  json?: boolean;
  /** Module isolation for runs inside jest (see policies/lib/program-under-mocks.ts). */
  isolate?: RunOptions["isolate"];
}

/** The pack configuration file (same format as `pulumi preview --policy-pack-config`), plus the CLI switch. */
export function packConfig(opts: Pick<CheckOptions, "config" | "exemptions">): PackConfig {
  const config: PackConfig = opts.config ? JSON.parse(fs.readFileSync(opts.config, "utf8")) : {};
  if (!opts.exemptions) {
    const own = config[EXEMPTION_RULE];
    config[EXEMPTION_RULE] = { ...(typeof own === "object" ? own : typeof own === "string" ? { enforcementLevel: own } : {}), allowAnnotations: false };
  }
  return config;
}

/** The message after the resource: what is wrong, the fix and the checklist line. */
function problem(message: string): string {
  const i = message.indexOf(": ");
  return i >= 0 ? message.slice(i + 2) : message;
}

export function formatReport(result: Evaluation, header: string, width = process.stdout.columns || 160): string {
  const msgWidth = Math.max(50, width - 90);
  const table = new Table({
    head: ["level", "rule", "resource", "container", "problem, fix, checklist"],
    colWidths: [11, 24, 36, 14, msgWidth],
    wordWrap: true,
    style: { head: [], border: [] },
  });
  const order = { mandatory: 0, advisory: 1 };
  for (const v of [...result.violations].sort((a, b) => order[a.level] - order[b.level] || a.rule.localeCompare(b.rule))) {
    table.push([v.level, v.rule, `${v.kind} ${v.namespace ? `${v.namespace}/` : ""}${v.name}`, v.container ?? "", problem(v.message)]);
  }
  for (const e of result.exemptions) {
    const t = e.finding.target;
    table.push(["exempted", e.rule, `${t.kind} ${t.namespace ? `${t.namespace}/` : ""}${t.name}`, e.finding.container ?? "", `reason: ${e.reason} (${e.key})`]);
  }
  const mandatory = result.violations.filter((v) => v.level === "mandatory").length;
  const summary = `${mandatory} mandatory, ${result.violations.length - mandatory} advisory, ${result.exemptions.length} exempted`;
  return `${header}\n${table.length ? `${table.toString()}\n` : ""}${summary}`;
}

export async function runCheck(opts: CheckOptions): Promise<{ output: string; exitCode: number }> {
  const environment = detectEnvironment({ PULUMI_CONFIG: JSON.stringify({ "platform:environment": stackConfig(opts.stack).environment }), PULUMI_NODEJS_STACK: opts.stack });
  const config = packConfig(opts);
  const resources = await stackResources(opts.stack, { isolate: opts.isolate });
  const result = evaluate(resources, RULES, { environment: environment.environment, config });
  const mandatory = result.violations.filter((v) => v.level === "mandatory").length;
  if (opts.json) {
    return {
      output: JSON.stringify({ stack: opts.stack, environment, violations: result.violations, exemptions: result.exemptions.map(({ finding: _f, ...e }) => e) }, null, 2),
      exitCode: mandatory ? 1 : 0,
    };
  }
  const header = `policy check of stack ${opts.stack}: ${RULES.length} rules over ${resources.length} resources, ${environment.environment} enforcement levels (${environment.from})`;
  return { output: formatReport(result, header), exitCode: mandatory ? 1 : 0 };
}

if (require.main === module) {
  const program = new Command()
    .name("policy:check")
    .description("Evaluate the policy pack's rules on a stack under Pulumi mocks (no Pulumi CLI); exit 1 on mandatory violations")
    .addOption(new Option("-s, --stack <stack>", "stack whose Pulumi.<stack>.yaml is used").choices(["dev", "prod"]).default("prod"))
    .option("-c, --config <file>", "policy pack config JSON, as for pulumi preview --policy-pack-config")
    .option("--no-exemptions", "ignore policy.platform/exempt.* annotations (exemption-annotations.allowAnnotations: false)")
    .option("--json", "print the result as JSON")
    .parse();
  runCheck(program.opts<CheckOptions>()).then(
    ({ output, exitCode }) => {
      console.log(output);
      process.exit(exitCode);
    },
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
}
