/** The rules over the real program under mocks: prod clean, dev advisory only, a broken stack exactly caught. */
import { evaluate, Evaluation, Violation } from "../../policies/lib/engine";
import { stackResources } from "../../policies/lib/stack";
import { RULES } from "../../policies/rules";
import type { InputResource } from "../../policies/lib/k8s";
import type { RunOptions, Stack } from "../../policies/lib/program-under-mocks";

async function resourcesOf(stack: Stack, override?: RunOptions["override"]): Promise<InputResource[]> {
  return stackResources(stack, { override, isolate: (load) => jest.isolateModules(load) });
}

const row = (v: Violation) => `${v.level} ${v.rule} ${v.kind} ${v.namespace ? `${v.namespace}/` : ""}${v.name}${v.container ? ` [${v.container}]` : ""}`;

/** The program's own reasoned exemptions, the same in both stacks. */
const EXEMPTIONS = [
  "container-read-only-root-filesystem StatefulSet kafka [kafka]",
  "workload-autoscaling Deployment grafana",
  "workload-autoscaling Deployment kafka-exporter",
  "workload-autoscaling Deployment kube-state-metrics",
];
const exemptions = (e: Evaluation) => e.exemptions.map((x) => `${x.rule} ${x.finding.target.kind} ${x.finding.target.name}${x.finding.container ? ` [${x.finding.container}]` : ""}`).sort();

describe("prod", () => {
  let resources: InputResource[];
  let prod: Evaluation;
  beforeAll(async () => {
    resources = await resourcesOf("prod");
    prod = evaluate(resources, RULES, { environment: "prod" });
  });

  test("has no mandatory violation (no violation at all)", () => {
    expect(prod.violations.map(row)).toEqual([]);
  });

  test("reports each reasoned exemption the program carries, with its reason", () => {
    expect(exemptions(prod)).toEqual(EXEMPTIONS);
    expect(prod.exemptions.every((e) => e.reason.length > 10 && e.message.includes(e.reason))).toBe(true);
  });

  test("with annotation exemptions turned off, exactly the exempted findings become mandatory violations", () => {
    const strict = evaluate(resources, RULES, { environment: "prod", config: { "exemption-annotations": { allowAnnotations: false } } });
    expect(strict.exemptions).toEqual([]);
    expect(strict.violations.map((v) => `${v.rule} ${v.kind} ${v.name}${v.container ? ` [${v.container}]` : ""}`).sort()).toEqual(EXEMPTIONS);
    expect(strict.violations.every((v) => v.level === "mandatory" && v.message.includes("annotation exemptions are turned off"))).toBe(true);
  });
});

describe("dev", () => {
  let dev: Evaluation;
  beforeAll(async () => {
    dev = evaluate(await resourcesOf("dev"), RULES, { environment: "dev" });
  });

  test("gives only advisory violations: what dev does not meet of prod's bar", () => {
    expect(dev.violations.length).toBeGreaterThan(0);
    expect(dev.violations.filter((v) => v.level !== "advisory")).toEqual([]);
    expect([...new Set(dev.violations.map((v) => v.rule))].sort()).toEqual(["kafka-replication", "log-level", "workload-autoscaling"]);
  });

  test("reports the same exemptions", () => {
    expect(exemptions(dev)).toEqual(EXEMPTIONS);
  });
});

describe("a deliberately misconfigured prod stack", () => {
  let resources: InputResource[];
  let broken: Evaluation;
  beforeAll(async () => {
    resources = await resourcesOf("prod", (c) => {
      c.services.gateway.uses.push({ target: "redis", env: "REDIS_ADDR" });
      c.services["storage-service"].env = { DB_PASSWORD: "inline-value-1234567" };
      c.services["learning-api"].env = { SWAGGER_ENABLED: "true" };
      c.services["refinement-api"].replicas = { min: 1, max: 10 };
    });
    // The schema refuses a service env that redefines LOG_LEVEL; the rule is the second line against
    // a value changed outside the config (a transformation, a hand edit), so it is set on the Deployment.
    const gateway = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.props.metadata.name === "gateway")!;
    gateway.props.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "LOG_LEVEL").value = "DEBUG";
    broken = evaluate(resources, RULES, { environment: "prod" });
  });

  test("gives exactly the expected violations and no others", () => {
    expect(broken.violations.map(row).sort()).toEqual([
      "mandatory datastore-access StatefulSet platform/redis",
      "mandatory debug-endpoints Deployment platform/learning-api [learning-api]",
      "mandatory env-plain-secrets Deployment platform/storage-service [storage-service]",
      "mandatory log-level Deployment platform/gateway [gateway]",
      "mandatory workload-autoscaling Deployment platform/refinement-api",
    ]);
  });

  test("each message names the problem precisely", () => {
    const msg = (rule: string) => broken.violations.find((v) => v.rule === rule)!.message.split(". Fix:")[0];
    expect(msg("datastore-access")).toBe('StatefulSet "platform/redis": "gateway" may connect to port 6379 but is not an allowed client (allowed: refinement-api, learning-api)');
    expect(msg("debug-endpoints")).toBe('Deployment "platform/learning-api" container "learning-api": SWAGGER_ENABLED is "true", which turns debug or Swagger endpoints on');
    expect(msg("env-plain-secrets")).toBe('Deployment "platform/storage-service" container "storage-service": env DB_PASSWORD holds a literal credential value');
    expect(msg("log-level")).toBe('Deployment "platform/gateway" container "gateway": LOG_LEVEL is "DEBUG"; allowed: INFO, WARN, WARNING');
    expect(msg("workload-autoscaling")).toBe('Deployment "platform/refinement-api": HorizontalPodAutoscaler "refinement-api" allows 1 replica(s), below the minimum of 2');
  });

  test("checked with dev levels, the same findings turn advisory and the environment guard blocks", () => {
    const all = evaluate(resources, RULES, { environment: "dev" }).violations;
    const guard = all.filter((v) => v.rule === "stack-environment");
    expect(guard.map(row)).toEqual(["mandatory stack-environment Namespace platform"]);
    const asDev = all.filter((v) => v.rule !== "stack-environment");
    expect(asDev.map((v) => v.level)).toEqual(broken.violations.map(() => "advisory"));
    expect(asDev.map((v) => v.message)).toEqual(broken.violations.map((v) => v.message));
  });
});
