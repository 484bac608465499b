/** Enforcement levels, parameters, exemptions and environment detection, shared by both entry points. */
import { evaluate, resolve } from "../../policies/lib/engine";
import { detectEnvironment } from "../../policies/lib/environment";
import { normalise, toK8s, UNKNOWN } from "../../policies/lib/k8s";
import { RULES, ruleByName } from "../../policies/rules";
import { container, hpa, workload } from "./fixtures";

const RO = "container-read-only-root-filesystem";
const writable = (annotations?: Record<string, string>) =>
  workload("kafka", { annotations, containers: [container("kafka", { securityContext: { ...container().securityContext, readOnlyRootFilesystem: false } }), container("exporter")] });
const only = (...names: string[]) => RULES.filter((r) => names.includes(r.name));

describe("enforcement levels and parameters", () => {
  test("every rule is mandatory in prod and advisory in dev, except the environment guard which blocks in both", () => {
    for (const r of RULES) {
      const expected = r.name === "stack-environment" ? ["mandatory", "mandatory"] : ["mandatory", "advisory"];
      expect([r.name, r.levels.prod, r.levels.dev]).toEqual([r.name, ...expected]);
    }
  });

  test("the pack configuration sets a rule's level and parameters", () => {
    const rule = ruleByName("workload-autoscaling");
    expect(resolve(rule, "prod")).toEqual({ level: "mandatory", params: { minReplicas: 2 } });
    expect(resolve(rule, "prod", { "workload-autoscaling": "advisory" }).level).toBe("advisory");
    expect(resolve(rule, "dev", { "workload-autoscaling": { enforcementLevel: "mandatory", minReplicas: 3 } })).toEqual({ level: "mandatory", params: { minReplicas: 3 } });
    const one = [workload("gateway"), hpa("gateway", 1, 3)];
    expect(evaluate(one, [rule], { environment: "prod" }).violations.map((v) => v.level)).toEqual(["mandatory"]);
    expect(evaluate(one, [rule], { environment: "dev" }).violations.map((v) => v.level)).toEqual(["advisory"]);
    expect(evaluate(one, [rule], { environment: "prod", config: { "workload-autoscaling": { minReplicas: 1 } } }).violations).toEqual([]);
    expect(evaluate(one, [rule], { environment: "prod", config: { "workload-autoscaling": "disabled" } }).violations).toEqual([]);
  });

  test("every parameter has a schema entry, and no rule declares enforcementLevel as a parameter", () => {
    for (const r of RULES) {
      expect(Object.keys(r.schema).sort()).toEqual(Object.keys(r.defaults("prod")).sort());
      expect(Object.keys(r.schema)).not.toContain("enforcementLevel");
    }
  });
});

describe("exemptions", () => {
  test("a resource annotation with a reason exempts the finding and reports it with the reason", () => {
    const res = evaluate([writable({ [`policy.platform/exempt.${RO}`]: "renders its config at start" })], only(RO, "exemption-annotations"), { environment: "prod" });
    expect(res.violations).toEqual([]);
    expect(res.exemptions).toHaveLength(1);
    expect(res.exemptions[0]).toMatchObject({ rule: RO, reason: "renders its config at start", key: `policy.platform/exempt.${RO}` });
    expect(res.exemptions[0].message).toContain(
      'exempted from container-read-only-root-filesystem by annotation policy.platform/exempt.container-read-only-root-filesystem: "renders its config at start"',
    );
    expect(res.exemptions[0].message).toContain('Deployment "platform/kafka" container "kafka": the root filesystem is writable');
  });

  test("a container annotation exempts only that container", () => {
    const w = writable({ [`policy.platform/exempt.${RO}.kafka`]: "renders its config at start" });
    w.props.spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem = false;
    const res = evaluate([w], only(RO, "exemption-annotations"), { environment: "prod" });
    expect(res.exemptions.map((e) => e.finding.container)).toEqual(["kafka"]);
    expect(res.violations.map((v) => [v.rule, v.container])).toEqual([[RO, "exporter"]]);
  });

  test("an empty reason exempts nothing and is a violation itself", () => {
    const res = evaluate([writable({ [`policy.platform/exempt.${RO}`]: "" })], only(RO, "exemption-annotations"), { environment: "prod" });
    expect(res.exemptions).toEqual([]);
    expect(res.violations.map((v) => v.rule).sort()).toEqual(["container-read-only-root-filesystem", "exemption-annotations"]);
    expect(res.violations.find((v) => v.rule === RO)!.message).toContain(`(annotation policy.platform/exempt.${RO} has an empty reason, so it does not exempt)`);
  });

  test("annotations naming an unknown rule or container are violations", () => {
    const res = evaluate([writable({ "policy.platform/exempt.no-such-rule": "because", [`policy.platform/exempt.${RO}.sidecar`]: "because" })], only("exemption-annotations"), {
      environment: "prod",
    });
    expect(res.violations.map((v) => v.message.split(". Fix:")[0])).toEqual([
      'Deployment "platform/kafka": annotation policy.platform/exempt.no-such-rule names no rule that can be exempted',
      `Deployment "platform/kafka": annotation policy.platform/exempt.${RO}.sidecar names container "sidecar", which the resource does not have`,
    ]);
  });

  test("the pack setting allowAnnotations: false turns every exemption into a violation that says why", () => {
    const res = evaluate([writable({ [`policy.platform/exempt.${RO}`]: "renders its config at start" })], only(RO, "exemption-annotations"), {
      environment: "prod",
      config: { "exemption-annotations": { allowAnnotations: false } },
    });
    expect(res.exemptions).toEqual([]);
    expect(res.violations).toHaveLength(1);
    expect(res.violations[0].message).toContain("ignored: annotation exemptions are turned off in the pack configuration, exemption-annotations.allowAnnotations");
  });
});

describe("environment detection", () => {
  test("the stack's platform:environment decides, then the stack name, else prod", () => {
    expect(detectEnvironment({ PULUMI_CONFIG: JSON.stringify({ "platform:environment": "dev" }), PULUMI_NODEJS_STACK: "prod" }).environment).toBe("dev");
    expect(detectEnvironment({ PULUMI_NODEJS_STACK: "org/platform/prod" })).toEqual({ environment: "prod", from: 'stack name "org/platform/prod"' });
    expect(detectEnvironment({ PULUMI_STACK: "dev" }).environment).toBe("dev");
    expect(detectEnvironment({ PULUMI_CONFIG: "{not json", PULUMI_STACK: "staging" }).environment).toBe("prod");
    expect(detectEnvironment({})).toEqual({ environment: "prod", from: "default (no stack configuration or recognisable stack name)" });
  });
});

describe("unknown values during preview", () => {
  test("the SDK's unknown sentinels become UNKNOWN and are never judged", () => {
    const unknownString = require("@pulumi/policy/proxy").unknownStringValue;
    const w = workload("gateway", { containers: [container("gateway", { image: unknownString })] });
    expect(normalise(w.props).spec.template.spec.containers[0].image).toBe(UNKNOWN);
    expect(toK8s(w)!.kind).toBe("Deployment");
    expect(evaluate([w], only("image-pinned"), { environment: "prod" }).violations).toEqual([]);
  });

  test("a Secret whose whole data map is unknown (a generated secret in a first preview) is not judged", () => {
    const unknownString = require("@pulumi/policy/proxy").unknownStringValue;
    const secret = {
      type: "kubernetes:core/v1:Secret",
      name: "jwt-secret",
      props: { apiVersion: "v1", kind: "Secret", metadata: { name: "jwt-secret", namespace: "platform" }, data: unknownString, stringData: unknownString },
    };
    expect(evaluate([secret], only("jwt-secret-strength", "weak-credentials"), { environment: "prod" }).violations).toEqual([]);
  });
});

test("an object parameter from the config is merged key by key with the default", () => {
  const { params } = resolve<any>(ruleByName("datastore-access"), "prod", { "datastore-access": { datastores: { postgres: { ports: [5432], clients: ["postgres-backup", "billing-api"] } } } });
  expect(Object.keys(params.datastores).sort()).toEqual(["clickhouse", "kafka", "postgres", "redis"]);
  expect(params.datastores.postgres.clients).toEqual(["postgres-backup", "billing-api"]);
  expect(resolve<any>(ruleByName("log-level"), "prod", { "log-level": { allowed: ["WARN"] } }).params.allowed).toEqual(["WARN"]);
});
