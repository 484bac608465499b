/**
 * The pack as `pulumi preview --policy-pack policies` runs it: started the way the Node.js language
 * host starts a policy pack (run-policy-pack with ts-node, working directory policies/, stack config in
 * PULUMI_CONFIG), then driven over the analyzer gRPC protocol the way the engine drives it
 * (GetAnalyzerInfo, Configure, Analyze per resource, AnalyzeStack). Its diagnostics must be the
 * fast evaluator's findings, with the same messages and levels.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluate, Level } from "../../policies/lib/engine";
import type { InputResource } from "../../policies/lib/k8s";
import { stackResources } from "../../policies/lib/stack";
import { RULES } from "../../policies/rules";

const grpc = require("@grpc/grpc-js");
const pb = require("@pulumi/pulumi/proto/analyzer_pb");
const rpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

const ROOT = path.resolve(__dirname, "..", "..");
const LEVEL_NAMES: Record<number, Level | "remediate"> = { 0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate" };
const LEVEL_ENUM: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2 };

interface Pack {
  proc: ChildProcess;
  client: any;
  stderr: string[];
}

/**
 * `upstream`: as the upstream Node.js language host starts a pack (run-policy-pack, working directory
 * policies/, stack and config in the environment). `bare`: as a host that only runs the plugin
 * (run-plugin from another working directory, no stack or config in the environment), so the pack
 * learns its stack from the engine's ConfigureStack call.
 */
async function startPack(stack: "dev" | "prod", mode: "upstream" | "bare" = "upstream"): Promise<Pack> {
  const upstream = mode === "upstream";
  const runner = require.resolve(`@pulumi/pulumi/cmd/${upstream ? "run-policy-pack" : "run-plugin"}/index.js`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["PULUMI_CONFIG", "PULUMI_NODEJS_STACK", "PULUMI_STACK"]) delete env[k];
  if (upstream) Object.assign(env, { PULUMI_CONFIG: JSON.stringify({ "platform:environment": stack }), PULUMI_NODEJS_STACK: stack });
  const argv = upstream ? [runner, "127.0.0.1:0", "."] : [runner, path.join(ROOT, "policies"), "127.0.0.1:0"];
  const proc = spawn(process.execPath, argv, { cwd: upstream ? path.join(ROOT, "policies") : fs.mkdtempSync(path.join(os.tmpdir(), "pack-cwd-")), env, stdio: ["ignore", "pipe", "pipe"] });
  const stderr: string[] = [];
  proc.stderr!.on("data", (d) => stderr.push(String(d)));
  const port = await new Promise<string>((resolve, reject) => {
    proc.stdout!.once("data", (d) => resolve(String(d).trim()));
    proc.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr.join("")}`)));
  });
  return { proc, stderr, client: new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) };
}

function call<T>(client: any, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

const urnOf = (r: InputResource) => `urn:pulumi:test::platform::${r.type}::${r.name}`;

function resourceMessage<T>(Cls: new () => T, r: InputResource): T {
  const m: any = new Cls();
  m.setType(r.type);
  m.setName(r.name);
  m.setUrn(urnOf(r));
  m.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
  m.setOptions(new pb.AnalyzerResourceOptions());
  return m;
}

interface Diagnostic {
  policy: string;
  description: string;
  level: string;
  message: string;
  urn: string;
}

/** What the engine does for one preview: configure with the levels, analyze each resource, then the stack. */
async function analyze(pack: Pack, resources: InputResource[], config: Record<string, { level: string; properties?: Record<string, unknown> }>): Promise<Diagnostic[]> {
  const req = new pb.ConfigureAnalyzerRequest();
  for (const [name, c] of Object.entries(config)) {
    const pc = new pb.PolicyConfig();
    pc.setEnforcementlevel(LEVEL_ENUM[c.level]);
    pc.setProperties(Struct.fromJavaScript(c.properties ?? {}));
    req.getPolicyconfigMap().set(name, pc);
  }
  await call(pack.client, "configure", req);
  const out: Diagnostic[] = [];
  // The SDK prefixes each message with the policy's description and a newline, as the CLI prints it.
  const collect = (res: any) =>
    res.getDiagnosticsList().forEach((d: any) => {
      const [description, ...message] = String(d.getMessage()).split("\n");
      out.push({ policy: d.getPolicyname(), level: LEVEL_NAMES[d.getEnforcementlevel()], description, message: message.join("\n"), urn: d.getUrn() });
    });
  for (const r of resources) collect(await call(pack.client, "analyze", resourceMessage(pb.AnalyzeRequest, r)));
  const stackReq = new pb.AnalyzeStackRequest();
  stackReq.setResourcesList(resources.map((r) => resourceMessage(pb.AnalyzerResource, r)));
  collect(await call(pack.client, "analyzeStack", stackReq));
  return out;
}

/** The configuration the engine sends: every policy at the level the pack declared, plus overrides. */
async function declaredLevels(pack: Pack): Promise<Record<string, { level: string }>> {
  const info = await call<any>(pack.client, "getAnalyzerInfo", new (require("google-protobuf/google/protobuf/empty_pb").Empty)());
  return Object.fromEntries(info.getPoliciesList().map((p: any) => [p.getName(), { level: LEVEL_NAMES[p.getEnforcementlevel()] }]));
}

describe.each(["prod", "dev"] as const)("the served pack for %s", (stack) => {
  let pack: Pack;
  let resources: InputResource[];
  beforeAll(async () => {
    [pack, resources] = await Promise.all([startPack(stack), stackResources(stack, { isolate: (load) => jest.isolateModules(load) })]);
  });
  afterAll(() => {
    pack?.client.close();
    pack?.proc.kill();
  });

  test("declares every rule with its level for the environment and its parameters as config schema", async () => {
    const info = await call<any>(pack.client, "getAnalyzerInfo", new (require("google-protobuf/google/protobuf/empty_pb").Empty)());
    expect(info.getName()).toBe("platform-policies");
    expect(info.getDescription()).toContain(`enforcement levels for ${stack} (stack config platform:environment)`);
    const policies = info.getPoliciesList();
    expect(policies.map((p: any) => p.getName())).toEqual([...RULES.map((r) => r.name), "policy-exemptions"]);
    for (const p of policies) {
      const rule = RULES.find((r) => r.name === p.getName());
      expect([p.getName(), LEVEL_NAMES[p.getEnforcementlevel()]]).toEqual([p.getName(), rule ? rule.levels[stack] : "advisory"]);
      if (rule) expect(Object.keys(p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}).sort()).toEqual(Object.keys(rule.schema).sort());
    }
  });

  test("reports the same findings as the fast evaluator, and lists the exemptions as advisory notes", async () => {
    const served = await analyze(pack, resources, await declaredLevels(pack));
    const fast = evaluate(resources, RULES, { environment: stack });
    const rules = served.filter((d) => d.policy !== "policy-exemptions");
    expect(rules.map((d) => `${d.level} ${d.policy} ${d.message}`).sort()).toEqual(fast.violations.map((v) => `${v.level} ${v.rule} ${v.message}`).sort());
    const notes = served.filter((d) => d.policy === "policy-exemptions");
    expect(notes.map((d) => d.message).sort()).toEqual(fast.exemptions.map((e) => e.message).sort());
    expect(notes.every((d) => d.level === "advisory" && d.urn.startsWith("urn:pulumi:"))).toBe(true);
    expect(rules.every((d) => d.description === RULES.find((r) => r.name === d.policy)!.description)).toBe(true);
    expect(served.filter((d) => d.level === "mandatory")).toEqual([]);
  });

  test("the pack setting allowAnnotations: false turns the exemptions into violations", async () => {
    const config = { ...(await declaredLevels(pack)), "exemption-annotations": { level: "mandatory", properties: { allowAnnotations: false } } };
    const served = await analyze(pack, resources, config);
    const strict = evaluate(resources, RULES, { environment: stack, config: { "exemption-annotations": { allowAnnotations: false } } });
    expect(strict.violations.length).toBeGreaterThan(0);
    expect(
      served
        .filter((d) => d.policy !== "policy-exemptions")
        .map((d) => d.message)
        .sort(),
    ).toEqual(strict.violations.map((v) => v.message).sort());
    expect(served.filter((d) => d.level === "mandatory").length).toBe(strict.violations.filter((v) => v.level === "mandatory").length);
  });

  test("values unknown during the first preview (every value taken from another resource) are never judged and never fail the run", async () => {
    const unknown = require("@pulumi/policy/proxy").unknownStringValue;
    // What `pulumi preview` of a new stack cannot know: outputs of resources not created yet.
    const previewed = resources.map((r) => {
      const p = JSON.parse(JSON.stringify(r.props));
      if (p.metadata?.namespace) p.metadata.namespace = unknown;
      if (p.kind === "Secret") p.stringData = Object.fromEntries(Object.keys(p.stringData ?? {}).map((k) => [k, unknown]));
      if (p.kind === "HorizontalPodAutoscaler") p.spec.scaleTargetRef.name = unknown;
      if (p.kind === "RoleBinding" || p.kind === "ClusterRoleBinding") p.subjects = p.subjects.map((x: any) => ({ ...x, name: unknown, namespace: unknown }));
      const pod = p.kind === "CronJob" ? p.spec.jobTemplate.spec.template.spec : p.spec?.template?.spec;
      if (pod) {
        if (pod.serviceAccountName) pod.serviceAccountName = unknown;
        for (const v of pod.volumes ?? []) {
          if (v.configMap) v.configMap.name = unknown;
          if (v.persistentVolumeClaim) v.persistentVolumeClaim.claimName = unknown;
        }
        if (p.kind === "Deployment") pod.containers[0].image = unknown;
      }
      return { ...r, props: p };
    });
    const served = await analyze(pack, previewed, await declaredLevels(pack));
    expect(served.filter((d) => /can't run/.test(d.message + d.description))).toEqual([]);
    expect(served.filter((d) => d.level === "mandatory")).toEqual([]);
  });
});

describe("under a language host that passes no stack configuration to the pack", () => {
  let packs: Pack[] = [];
  afterAll(() => {
    for (const p of packs) {
      p.client.close();
      p.proc.kill();
    }
  });
  const levels = async (pack: Pack) => {
    const info = await call<any>(pack.client, "getAnalyzerInfo", new (require("google-protobuf/google/protobuf/empty_pb").Empty)());
    return {
      description: info.getDescription() as string,
      levels: new Set(
        info
          .getPoliciesList()
          .filter((p: any) => p.getName().startsWith("container-"))
          .map((p: any) => LEVEL_NAMES[p.getEnforcementlevel()]),
      ),
    };
  };

  test("the engine's ConfigureStack call sets the environment before the engine asks for the levels", async () => {
    const [dev, unconfigured] = await Promise.all([startPack("dev", "bare"), startPack("prod", "bare")]);
    packs = [dev, unconfigured];
    const req = new pb.AnalyzerStackConfigureRequest();
    req.setStack("dev");
    req.setProject("platform");
    req.getConfigMap().set("platform:environment", "dev");
    await call(dev.client, "configureStack", req);
    expect(await levels(dev)).toEqual({ description: expect.stringContaining("enforcement levels for dev (stack config platform:environment)"), levels: new Set(["advisory"]) });
    // Without any stack information the pack enforces prod levels: stricter, never laxer.
    expect(await levels(unconfigured)).toEqual({ description: expect.stringContaining("enforcement levels for prod (default"), levels: new Set(["mandatory"]) });
  });
});
