/**
 * No generated secret appears in plain form anywhere but a Kubernetes Secret or a stack output
 * that Pulumi marks secret: not in ConfigMaps, env values, annotations, args or commands.
 */
import { ProgramRun, runProgram } from "../helpers/program";

/** Paths (a.b.c) under `node` whose string value contains one of the needles. */
function findPlain(node: unknown, needles: string[], path = ""): string[] {
  if (typeof node === "string") return needles.some((n) => node.includes(n)) ? [path] : [];
  if (Array.isArray(node)) return node.flatMap((v, i) => findPlain(v, needles, `${path}[${i}]`));
  if (node && typeof node === "object") return Object.entries(node).flatMap(([k, v]) => findPlain(v, needles, path ? `${path}.${k}` : k));
  return [];
}

function leaks(run: ProgramRun): string[] {
  const inResources = run.resources.filter((r) => r.type !== "kubernetes:core/v1:Secret").flatMap((r) => findPlain(r.inputs, run.generated).map((p) => `${r.type} ${r.name}: ${p}`));
  const inOutputs = Object.entries(run.outputs)
    .filter(([, o]) => !o.secret)
    .flatMap(([k, o]) => findPlain(o.value, run.generated).map((p) => `output ${k}${p ? "." + p : ""}`));
  return [...inResources, ...inOutputs];
}

describe.each(["prod", "dev"] as const)("%s stack", (stack) => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(stack);
  });

  test("generated secrets appear only in Secrets and secret outputs", () => {
    // Five credentials, and the key of their checksums (kept in state only, see manifests.test.ts).
    expect(run.generated.length).toBe(6);
    expect(leaks(run)).toEqual([]);
  });

  test("the Secrets do hold them, and the Grafana password output is marked secret", () => {
    const inSecrets = run.resources.filter((r) => r.type === "kubernetes:core/v1:Secret").flatMap((r) => findPlain(r.inputs, run.generated));
    expect(inSecrets.length).toBe(5);
    expect(run.outputs.grafana.secret).toBe(true);
  });
});

test("the scan finds a secret that a config value copies into a plain env value", async () => {
  const run = await runProgram("dev", (c) => {
    c.redisPassword = "Pasted-Into-Env-9f3K2";
    c.services.gateway.env = { DEBUG_DSN: "redis://:Pasted-Into-Env-9f3K2@redis:6379" };
  });
  expect(leaks({ ...run, generated: ["Pasted-Into-Env-9f3K2"] })).toEqual([
    expect.stringMatching(/^kubernetes:apps\/v1:Deployment gateway: spec\.template\.spec\.containers\[0\]\.env\[\d+\]\.value$/),
  ]);
});
