/**
 * The real Pulumi engine (CLI, language host, kubernetes and random providers, the policy pack) runs
 * preview, up, a second up, export and destroy of both stacks against a local Kubernetes API server
 * whose kubelets KWOK simulates (K8S_VERSION, or PLATFORM_K8S_VERSION: npm run test:matrix runs
 * this file against every minor users run), and checks that nothing the program writes or the
 * policy pack reads is deprecated in that version. The health gate is off here (no container runs under KWOK);
 * gates.e2e.ts shows that it fails `pulumi up` when on, health.e2e.ts that it passes when the
 * targets are healthy.
 */
import * as fs from "fs";
import * as path from "path";
import { runProgram, stackConfig } from "../../helpers/program";
import { ApiSchemas, deprecatedRequests, sources } from "../deprecations";
import { Engine, eventually, kubectl, kubectlJson, ok, project, pulumi, REPO, startEngine, stopEngine } from "../engine";

const POLICIES = path.join(REPO, "policies");

/** Objects that controllers create in every namespace, not the program. */
const AUTOMATIC = new Set(["ConfigMap/kube-root-ca.crt", "ServiceAccount/default"]);

const NAMESPACED_RESOURCE: Record<string, string> = {
  ConfigMap: "configmaps",
  Secret: "secrets",
  Service: "services",
  ServiceAccount: "serviceaccounts",
  Deployment: "deployments.apps",
  StatefulSet: "statefulsets.apps",
  Job: "jobs.batch",
  CronJob: "cronjobs.batch",
  HorizontalPodAutoscaler: "horizontalpodautoscalers.autoscaling",
  PodDisruptionBudget: "poddisruptionbudgets.policy",
  NetworkPolicy: "networkpolicies.networking.k8s.io",
  Ingress: "ingresses.networking.k8s.io",
  ResourceQuota: "resourcequotas",
  LimitRange: "limitranges",
  Role: "roles.rbac.authorization.k8s.io",
  RoleBinding: "rolebindings.rbac.authorization.k8s.io",
  PersistentVolumeClaim: "persistentvolumeclaims",
};

const CLUSTER_RESOURCE: Record<string, string> = {
  ClusterRole: "clusterroles.rbac.authorization.k8s.io",
  ClusterRoleBinding: "clusterrolebindings.rbac.authorization.k8s.io",
};

function kindOf(type: string): string {
  return type.split(":").pop() ?? type;
}

describe.each(["dev", "prod"] as const)("%s stack on the real engine", (stack) => {
  let e: Engine;
  let dir: string;
  let namespace: string;
  let expected: Map<string, number>;
  /** Names of the cluster-scoped objects the program registers, by kind. */
  let clusterScoped: Map<string, string[]>;
  let generatedSecrets: string[] = [];
  /** The Kubernetes objects the program registers, as it sends them. */
  let objects: Array<{ apiVersion: string; kind: string; metadata?: { name?: string } }> = [];

  beforeAll(async () => {
    e = startEngine(stack);
    // Protection (on in prod) would stop the destroy below: upgrade.e2e.ts tests that stop and the teardown.
    dir = project(e, stack, ["health.enabled=false", "protectData=false"]);
    const run = await runProgram(stack, (c) => {
      c.health = { ...(c.health ?? {}), enabled: false };
    });
    expected = new Map();
    clusterScoped = new Map();
    objects = run.resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs as (typeof objects)[number]);
    for (const r of run.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
      const kind = kindOf(r.type);
      expected.set(kind, (expected.get(kind) ?? 0) + 1);
      if (CLUSTER_RESOURCE[kind]) clusterScoped.set(kind, [...(clusterScoped.get(kind) ?? []), r.inputs.metadata?.name]);
    }
    const ns = run.resources.find((r) => r.type === "kubernetes:core/v1:Namespace");
    namespace = ns?.inputs.metadata?.name;
    expect(namespace).toBe(stackConfig(stack).namespace);
  }, 300_000);

  afterAll(() => stopEngine(e), 120_000);

  test("pulumi preview --policy-pack policies passes", () => {
    const r = ok(pulumi(e, dir, ["preview", "--stack", stack, "--policy-pack", POLICIES]), "preview");
    expect(r.output).toMatch(/Policies:|platform-policies/);
    expect(r.output).not.toMatch(/mandatory/i);
  }, 900_000);

  test("pulumi up creates every object the program registers (counts by kind, through the Kubernetes API)", () => {
    ok(pulumi(e, dir, ["up", "--stack", stack, "--yes", "--skip-preview", "--policy-pack", POLICIES]), "up");
    const actual = new Map<string, number>();
    for (const kind of expected.keys()) {
      if (kind === "Namespace") {
        actual.set(kind, kubectlJson(e, ["get", "namespace", namespace]) ? 1 : 0);
        continue;
      }
      if (CLUSTER_RESOURCE[kind]) {
        // Cluster-wide kinds hold other objects too: count the program's names that exist.
        const names = new Set((kubectlJson(e, ["get", CLUSTER_RESOURCE[kind]]).items as any[]).map((o) => o.metadata.name));
        actual.set(kind, (clusterScoped.get(kind) ?? []).filter((n) => names.has(n)).length);
        continue;
      }
      const resource = NAMESPACED_RESOURCE[kind];
      if (!resource) throw new Error(`no API resource known for kind ${kind}: add it to NAMESPACED_RESOURCE`);
      let items = (kubectlJson(e, ["get", resource, "-n", namespace]).items as any[]).filter((o) => !AUTOMATIC.has(`${kind}/${o.metadata.name}`));
      if (kind === "PersistentVolumeClaim") {
        // Claims the StatefulSet controller makes from volumeClaimTemplates (<template>-<set>-<ordinal>).
        const fromTemplates = (kubectlJson(e, ["get", "statefulsets.apps", "-n", namespace]).items as any[]).flatMap((sts) =>
          (sts.spec.volumeClaimTemplates ?? []).map((t: any) => `${t.metadata.name}-${sts.metadata.name}-`),
        );
        items = items.filter((o) => !fromTemplates.some((prefix: string) => o.metadata.name.startsWith(prefix)));
      }
      actual.set(kind, items.length);
    }
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
  }, 900_000);

  test("nothing the program writes uses an API version or field this Kubernetes deprecates, nor does the policy pack read one", () => {
    const schemas = new ApiSchemas((p) => ok(kubectl(e, ["get", "--raw", p]), `GET ${p}`).stdout);
    const server: string = kubectlJson(e, ["version"]).serverVersion.gitVersion;
    // The check can fail: the deprecated alias of serviceAccountName is found.
    expect(schemas.deprecatedFields({ apiVersion: "apps/v1", kind: "Deployment", spec: { template: { spec: { serviceAccount: "x" } } } } as never)).toEqual(["spec.template.spec.serviceAccount"]);
    const served = schemas.served();
    const fields = objects.flatMap((o) => (served.has(o.apiVersion) ? schemas.deprecatedFields(o) : ["(API version not served)"]).map((f) => `${o.kind}/${o.metadata?.name}: ${f}`));
    // What pulumi up asked of the server (the controllers run at the server's own version).
    const requests = deprecatedRequests(ok(kubectl(e, ["get", "--raw", "/metrics"]), "metrics").stdout);
    // Field names the server marks deprecated in the group versions the program uses, read by a rule.
    const names = [...schemas.deprecatedNames([...new Set(objects.map((o) => o.apiVersion))])];
    const read = sources(path.join(REPO, "policies")).flatMap((file) => {
      const text = fs.readFileSync(file, "utf8");
      return names.filter((n) => new RegExp(`(\\.|\\[["'])${n}\\b`).test(text)).map((n) => `${path.relative(REPO, file)}: ${n}`);
    });
    console.log(`${stack} on Kubernetes ${server}: ${objects.length} objects checked; deprecated field names known: ${names.sort().join(", ")}`);
    expect({ server, fields, requests, read }).toEqual({ server, fields: [], requests: [], read: [] });
  }, 300_000);

  test("workloads reach Ready under KWOK", async () => {
    await eventually("every Deployment and StatefulSet ready", () => {
      const deployments = kubectlJson(e, ["get", "deployments.apps", "-n", namespace]).items as any[];
      const sets = kubectlJson(e, ["get", "statefulsets.apps", "-n", namespace]).items as any[];
      const notReady = [...deployments, ...sets].filter((w) => (w.status.readyReplicas ?? 0) !== w.spec.replicas);
      return notReady.length === 0 && deployments.length + sets.length > 0 ? true : undefined;
    });
    const pods = kubectlJson(e, ["get", "pods", "-n", namespace]).items as any[];
    const unready = pods
      .filter((p) => !(p.metadata.ownerReferences ?? []).some((o: any) => o.kind === "Job"))
      .filter((p) => !(p.status.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"));
    expect(unready.map((p) => p.metadata.name)).toEqual([]);
  }, 300_000);

  test("the namespace enforces Pod Security restricted and admits every pod", () => {
    const ns = kubectlJson(e, ["get", "namespace", namespace]);
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const deployments = kubectlJson(e, ["get", "deployments.apps", "-n", namespace]).items as any[];
    const sets = kubectlJson(e, ["get", "statefulsets.apps", "-n", namespace]).items as any[];
    const wanted = [...deployments, ...sets].reduce((n, w) => n + w.spec.replicas, 0);
    const pods = (kubectlJson(e, ["get", "pods", "-n", namespace]).items as any[]).filter((p) => !(p.metadata.ownerReferences ?? []).some((o: any) => o.kind === "Job"));
    expect(pods.length).toBe(wanted);
    const events = (kubectlJson(e, ["get", "events", "-n", namespace]).items as any[]).filter((ev) => /PodSecurity|violates/i.test(ev.message ?? ""));
    expect(events.map((ev) => ev.message)).toEqual([]);
  }, 120_000);

  test("a second pulumi up reports no changes", () => {
    const r = ok(pulumi(e, dir, ["up", "--stack", stack, "--yes", "--expect-no-changes", "--policy-pack", POLICIES]), "second up");
    // --expect-no-changes already fails the command on any change; the summary says so too.
    const summary = r.stdout.slice(r.stdout.lastIndexOf("Resources:"));
    expect(summary).toMatch(/^\s*\d+ unchanged\s*$/m);
    expect(summary).not.toMatch(/\d+ (to create|created|to update|updated|to replace|replaced|to delete|deleted)/);
  }, 900_000);

  test("pulumi stack export holds no generated secret in plain text", () => {
    const secrets = (kubectlJson(e, ["get", "secrets", "-n", namespace]).items as any[]).flatMap((s) => Object.values<string>(s.data ?? {}).map((v) => Buffer.from(v, "base64").toString("utf8")));
    // Generated passwords are 32 characters, the JWT secret 64 in base64: anything this long is one.
    generatedSecrets = secrets.filter((v) => v.length >= 16 && !v.includes("\n"));
    expect(generatedSecrets.length).toBeGreaterThanOrEqual(5);
    const exported = ok(pulumi(e, dir, ["stack", "export", "--stack", stack]), "stack export").stdout;
    expect(exported).toContain("ciphertext");
    const leaked = generatedSecrets.filter((v) => exported.includes(v) || exported.includes(Buffer.from(v).toString("base64")));
    expect(leaked.length).toBe(0);
  }, 300_000);

  test("pulumi destroy leaves the namespace empty", async () => {
    ok(pulumi(e, dir, ["destroy", "--stack", stack, "--yes", "--skip-preview"]), "destroy");
    await eventually(
      "namespace gone or empty",
      () => {
        const r = kubectl(e, ["get", "namespace", namespace, "-o", "json"]);
        if (r.code !== 0 && /NotFound/.test(r.stderr)) return true;
        const left = Object.values(NAMESPACED_RESOURCE).flatMap((res) =>
          (kubectlJson(e, ["get", res, "-n", namespace]).items as any[]).filter((o) => !AUTOMATIC.has(`${o.kind}/${o.metadata.name}`)).map((o) => `${o.kind}/${o.metadata.name}`),
        );
        return left.length === 0 ? true : undefined;
      },
      180_000,
    );
  }, 900_000);
});
