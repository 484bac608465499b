/**
 * What stops a bad change on the real engine: a mandatory policy rule fails `pulumi preview
 * --policy-pack policies` naming the rule, and the post-deploy health gate fails `pulumi up` with its
 * report table when the deployed workloads cannot be reached (under KWOK no container runs, so every
 * port-forward fails: exactly the unhealthy deploy the gate exists for).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Engine, eventually, kubectl, ok, project, pulumi, REPO, startEngine, stopEngine } from "../engine";

const POLICIES = path.join(REPO, "policies");

let e: Engine;
beforeAll(() => {
  e = startEngine("gates");
}, 300_000);
afterAll(() => stopEngine(e), 120_000);

test("a prod configuration that breaks a mandatory rule makes preview fail, naming the rule", () => {
  // A literal credential in a plain env var: the config schema allows plain settings, the
  // env-plain-secrets rule (mandatory in prod) does not allow credentials among them.
  const dir = project(e, "prod", ['services.gateway.env={"API_TOKEN": "literal-token-0123456789"}'], "prod-broken");
  const r = pulumi(e, dir, ["preview", "--stack", "prod", "--policy-pack", POLICIES]);
  expect(r.code).not.toBe(0);
  expect(r.output).toContain("env-plain-secrets");
  expect(r.output).toMatch(/mandatory/i);
  expect(r.output).toContain("API_TOKEN");
}, 900_000);

test("with the health gate on, pulumi up fails with the health report table", async () => {
  const dir = project(e, "dev", ["health.enabled=true", "health.retries=0", "health.timeoutSeconds=3"], "dev-gate");
  const r = pulumi(e, dir, ["up", "--stack", "dev", "--yes", "--skip-preview"]);
  expect(r.code).not.toBe(0);
  expect(r.output).toContain("post-deploy health checks failed in namespace platform-dev");
  // The table: its header and a failed row.
  expect(r.output).toMatch(/component\s*│?\s*check\s*│?\s*status/);
  expect(r.output).toMatch(/FAIL/);
  ok(pulumi(e, dir, ["destroy", "--stack", "dev", "--yes", "--skip-preview"]), "destroy after the failed gate");
  await eventually("namespace platform-dev deleted", () => (/NotFound/.test(kubectl(e, ["get", "namespace", "platform-dev"]).stderr) ? true : undefined), 180_000);
}, 1_200_000);

/** waitForRollouts in a node process of its own, as the gate's hook runs it (jest cannot load the Kubernetes client's ES module). */
function waitForRollouts(opts: { namespace: string; timeoutMs: number }): { ok: boolean; message: string } {
  const script = `require(${JSON.stringify(path.join(REPO, "health/rollouts.ts"))}).waitForRollouts(${JSON.stringify({ ...opts, kubeconfig: e.kubeconfig, pollMs: 500 })}).then(() => process.exit(0), (err) => { process.stderr.write(err.message); process.exit(1); })`;
  try {
    execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: REPO, env: e.env, stdio: ["ignore", "ignore", "pipe"], timeout: opts.timeoutMs + 60_000 });
    return { ok: true, message: "" };
  } catch (err) {
    return { ok: false, message: String((err as { stderr?: Buffer }).stderr ?? err) };
  }
}

test("the gate's rollout wait holds until a Deployment's pods are ready, and names it when they never are", () => {
  const ns = "rollout-wait";
  ok(kubectl(e, ["create", "namespace", ns]), "namespace");
  // No node carries this label: the pod stays Pending, as one that finds no room would.
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "unschedulable", namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "unschedulable" } },
      template: { metadata: { labels: { app: "unschedulable" } }, spec: { nodeSelector: { "platform.test/none": "true" }, containers: [{ name: "c", image: "busybox" }] } },
    },
  };
  const file = path.join(e.root, "unschedulable.json");
  fs.writeFileSync(file, JSON.stringify(deployment));
  ok(kubectl(e, ["apply", "-f", file]), "apply");
  const stuck = waitForRollouts({ namespace: ns, timeoutMs: 5000 });
  expect(stuck.ok).toBe(false);
  expect(stuck.message).toMatch(/^workloads in namespace rollout-wait not rolled out after 5 s:\n {2}Deployment\/unschedulable: [01]\/1 updated, 0\/1 ready$/);
  // Schedulable again: KWOK's nodes run it and the wait returns.
  ok(kubectl(e, ["-n", ns, "patch", "deployment", "unschedulable", "--type", "json", "-p", '[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]']), "patch");
  expect(waitForRollouts({ namespace: ns, timeoutMs: 120_000 })).toEqual({ ok: true, message: "" });
  ok(kubectl(e, ["delete", "namespace", ns, "--wait=false"]), "delete namespace");
}, 300_000);
