/**
 * Data safety per stack: which resources Pulumi protects and retains on delete (the options the
 * program registers, recorded by the mocks), and the PVC retention policy of the datastores.
 */
import { ofType, ProgramRun, Registered, runProgram } from "../helpers/program";

const STS = "kubernetes:apps/v1:StatefulSet";

/** What must survive a destroy or an accidental replacement, as type/name. */
const PROTECTED = [
  "kubernetes:core/v1:Namespace/<namespace>",
  "random:index/randomPassword:RandomPassword/redis-password",
  "random:index/randomPassword:RandomPassword/clickhouse-password",
  "random:index/randomPassword:RandomPassword/postgres-password",
  "random:index/randomPassword:RandomPassword/grafana-admin-password",
  "random:index/randomBytes:RandomBytes/credential-checksum-key",
  "random:index/randomBytes:RandomBytes/jwt-secret",
  "random:index/randomId:RandomId/kafka-cluster-id",
  "kubernetes:core/v1:Secret/redis-auth",
  "kubernetes:core/v1:Secret/clickhouse-auth",
  "kubernetes:core/v1:Secret/postgres-auth",
  "kubernetes:core/v1:Secret/grafana-admin",
  "kubernetes:core/v1:Secret/jwt-secret",
  `${STS}/redis`,
  `${STS}/clickhouse`,
  `${STS}/kafka`,
  `${STS}/postgres`,
  "kubernetes:core/v1:PersistentVolumeClaim/postgres-backup",
];
/** Kubernetes objects left in the cluster when an unprotected stack is destroyed. */
const RETAINED = [
  "kubernetes:core/v1:Namespace/<namespace>",
  "kubernetes:core/v1:Secret/redis-auth",
  "kubernetes:core/v1:Secret/clickhouse-auth",
  "kubernetes:core/v1:Secret/postgres-auth",
  "kubernetes:core/v1:Secret/grafana-admin",
  "kubernetes:core/v1:Secret/jwt-secret",
  "kubernetes:core/v1:PersistentVolumeClaim/postgres-backup",
];

function key(r: Registered): string {
  return r.type === "kubernetes:core/v1:Namespace" ? `${r.type}/<namespace>` : `${r.type}/${r.name}`;
}
const protectedIn = (run: ProgramRun) =>
  run.resources
    .filter((r) => r.protect)
    .map(key)
    .sort();
const retainedIn = (run: ProgramRun) =>
  run.resources
    .filter((r) => r.retainOnDelete)
    .map(key)
    .sort();

const runs: Partial<Record<"dev" | "prod", ProgramRun>> = {};
beforeAll(async () => {
  runs.prod = await runProgram("prod");
  runs.dev = await runProgram("dev");
});

describe("protection of what holds data", () => {
  test("prod protects exactly the namespace, generated secrets, Kafka cluster id, datastores and backup volume", () => {
    expect(protectedIn(runs.prod!)).toEqual([...PROTECTED].sort());
  });

  test("prod retains the namespace, the credential Secrets and the backup volume on delete, nothing else", () => {
    expect(retainedIn(runs.prod!)).toEqual([...RETAINED].sort());
  });

  test("prod protects every random value, credential Secret and datastore StatefulSet, however many there are", () => {
    const all = runs.prod!.resources;
    const random = all.filter((r) => r.type.startsWith("random:"));
    const credentials = all.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata.labels?.["platform/credential"]);
    const datastores = ofType(runs.prod!, STS).filter((s) => s.inputs.metadata.labels["app.kubernetes.io/component"] === "datastore");
    // At least today's; a new one (e.g. another credential) must be protected too.
    expect(random.length).toBeGreaterThanOrEqual(6);
    expect(credentials.length).toBeGreaterThanOrEqual(5);
    expect(datastores.length).toBe(4);
    expect([...random, ...credentials, ...datastores].filter((r) => !r.protect).map(key)).toEqual([]);
    expect(credentials.filter((r) => !r.retainOnDelete).map(key)).toEqual([]);
  });

  test("prod leaves stateless workloads and monitoring unprotected, so they can be replaced", () => {
    const free = runs.prod!.resources.filter((r) => r.custom && !r.protect).map(key);
    expect(free).toEqual(expect.arrayContaining(["kubernetes:apps/v1:Deployment/gateway", `${STS}/prometheus`, "kubernetes:core/v1:Service/redis"]));
    // Components pass nothing down: protect on a component would protect every child.
    expect(runs.prod!.resources.filter((r) => !r.custom && r.protect)).toEqual([]);
  });

  test("dev protects and retains nothing", () => {
    expect(protectedIn(runs.dev!)).toEqual([]);
    expect(retainedIn(runs.dev!)).toEqual([]);
  });

  test("platform:protectData turns protection on in dev", async () => {
    const run = await runProgram("dev", (c) => (c.protectData = true));
    expect(protectedIn(run)).toEqual([...PROTECTED].sort());
    expect(retainedIn(run)).toEqual([...RETAINED].sort());
  });

  test("platform:protectData false turns it off in prod, with a warning", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const run = await runProgram("prod", (c) => (c.protectData = false));
      expect(protectedIn(run)).toEqual([]);
      expect(retainedIn(run)).toEqual([]);
      expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(/platform:protectData is false.*prod stack's data/));
    } finally {
      warn.mockRestore();
    }
  });

  test("a secret set in stack config is not generated, so nothing random is protected for it", async () => {
    const run = await runProgram("prod", (c) => (c.redisPassword = "S3cure-Override-Value-42"));
    expect(protectedIn(run)).not.toContain("random:index/randomPassword:RandomPassword/redis-password");
    expect(protectedIn(run)).toContain("kubernetes:core/v1:Secret/redis-auth");
  });

  test.each([["yes"], [1], [null]])("platform:protectData %p is rejected naming the key", async (value) => {
    const error = (await runProgram("prod", (c) => (c.protectData = value)).catch((e: Error) => e)) as Error & { registered?: number };
    expect(error.name).toBe("ConfigError");
    expect(error.registered).toBe(0);
    expect(error.message).toMatch(/platform:protectData: got .*; allowed: .*boolean/);
  });
});

describe("PVC retention of the datastores", () => {
  test.each(["prod", "dev"] as const)("%s: every datastore StatefulSet keeps its volumes when deleted or scaled down", (stack) => {
    const sets = ofType(runs[stack]!, STS).filter((s) => s.inputs.metadata.labels["app.kubernetes.io/component"] === "datastore");
    expect(sets.map((s) => s.name).sort()).toEqual(["clickhouse", "kafka", "postgres", "redis"]);
    for (const s of sets) expect(s.inputs.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
  });
});
