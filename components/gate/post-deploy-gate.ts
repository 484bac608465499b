/**
 * The post-deploy health gate. A ConfigMap that depends on every workload carries the hooks: it is
 * created or updated only after the workloads it depends on are created, updated and ready, and
 * its content changes whenever the configuration, a deployed image (a rebuilt one has a new digest)
 * or the program's code does, so the checks run after every create or update of the platform and
 * never in preview.
 *
 * The checks run in the gate's before-create/before-update hooks rather than in after-hooks:
 * Pulumi only logs a warning when an after-hook throws, while a throwing before-hook fails the
 * step, and so fails `pulumi up` with the report as its message.
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { HealthConfig } from "../../config/schema";
import { checkThroughPortForwards, formatTable, InClusterTarget, parseInClusterTargets, waitForRollouts } from "../../health";
import type { HealthCheck } from "../shared/health-check";

export interface PostDeployGateArgs {
  namespace: pulumi.Input<string>;
  /** Timeouts and retries of the checks. */
  health: HealthConfig;
  /** A hash of the stack's settings (never its credentials): a change of any runs the checks again. */
  settingsFingerprint: string;
  /** What to check: the components' own checks, in the order they are reported. */
  checks: HealthCheck[];
  /** The services' deployed image references: a rebuilt image changes no config, only its digest. */
  images: pulumi.Input<string>[];
  /** A keyed hash of every credential (never the values): a rotation rolls the pods, so the checks run again. */
  credentialsChecksum: pulumi.Input<string>;
  /** Everything whose health is checked. */
  dependsOn: pulumi.Resource[];
}

/** The checks' targets, validated as `npm run verify` reads them (credentials included: keep the result secret). */
export function healthTargets(checks: HealthCheck[]): pulumi.Output<InClusterTarget[]> {
  return pulumi.all(checks.map((c) => c.target)).apply((targets) => parseInClusterTargets(targets));
}

/** Waits for the rollouts, runs every check through port-forwards, and throws the report table when anything fails. */
async function checkDeployedPlatform(namespace: string, targets: InClusterTarget[], health: HealthConfig): Promise<string> {
  await waitForRollouts({ namespace, timeoutMs: health.rolloutTimeoutSeconds * 1000 });
  const report = await checkThroughPortForwards({ namespace, targets }, [], { timeoutMs: health.timeoutSeconds * 1000, retries: health.retries, backoffMs: 500 });
  const table = formatTable(report);
  if (!report.ok) throw new Error(`post-deploy health checks failed in namespace ${namespace}:\n${table}`);
  return table;
}

const ROOT = path.resolve(__dirname, "../..");
/** What decides the workloads besides configuration and images: the program's own sources. */
const PROGRAM_SOURCES = ["index.ts", "components", "config", "monitoring-config", "schema"];

function files(p: string): string[] {
  return fs.statSync(p).isDirectory()
    ? fs
        .readdirSync(p)
        .sort()
        .flatMap((f) => files(path.join(p, f)))
    : [p];
}

/** A hash of the program's sources, so a new program version that changes workloads runs the checks. */
function programFingerprint(): string {
  const hash = createHash("sha256");
  for (const f of PROGRAM_SOURCES.flatMap((p) => files(path.join(ROOT, p)))) hash.update(path.relative(ROOT, f)).update("\0").update(fs.readFileSync(f));
  return hash.digest("hex");
}

export class PostDeployGate extends pulumi.ComponentResource {
  constructor(name: string, args: PostDeployGateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:health:PostDeployGate", name, {}, opts);
    const targets = healthTargets(args.checks);
    // Resolved once the deployment reaches the gate; hooks never run in preview, where values are unknown.
    const ready = new Promise<[string, InClusterTarget[]]>((resolve) => pulumi.all([args.namespace, targets]).apply(resolve));
    const check = new pulumi.ResourceHook(`${name}-checks`, async () => {
      const [namespace, resolved] = await ready;
      pulumi.log.info(await checkDeployedPlatform(namespace, resolved, args.health), this);
    });
    new k8s.core.v1.ConfigMap(
      name,
      {
        metadata: { name, namespace: args.namespace, labels: { "app.kubernetes.io/part-of": "platform", "app.kubernetes.io/component": "gate" } },
        data: {
          // Any change of these changes the gate, so its update hook runs the checks again.
          "config-sha256": args.settingsFingerprint,
          "program-sha256": programFingerprint(),
          images: pulumi.all(args.images).apply((refs) => refs.join("\n")),
          // The credentials' keyed hash (the pods' checksum/credentials), under a name that is not a credential's.
          "rollout-sha256": args.credentialsChecksum,
          checks: args.checks.map((c) => c.check).join("\n"),
        },
      },
      { parent: this, dependsOn: args.dependsOn, hooks: { beforeCreate: [check], beforeUpdate: [check] } },
    );
    this.registerOutputs({});
  }
}
