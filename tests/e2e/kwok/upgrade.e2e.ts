/**
 * Upgrade from the previous release on the real engine (the Helm chart maintainers' `ct install
 * --upgrade`): both stacks are deployed to a fresh local cluster with the previous release's code
 * and packages, then previewed and updated with the current code. What holds data (StatefulSets,
 * PVCs, the namespace, Secrets, generated random values such as passwords and the Kafka cluster id)
 * is never replaced nor deleted, the Kubernetes objects keep their identity and the credentials
 * their values, and every other resource of the release still exists or carries an alias (this is
 * the guard for renames). The preview's changes are printed by kind. Last, a destroy of the prod
 * stack stops at its protected resources, and the README's teardown leaves the data behind.
 */
import { createHash } from "crypto";
import * as path from "path";
import { checkoutPreviousRelease, PREVIOUS_RELEASE } from "../../../tools/previous-release";
import { Engine, kubectl, kubectlJson, ok, project, pulumi, startEngine, stopEngine } from "../engine";
import { changesOf, changeTable, dataLost, droppedWithoutAlias } from "../upgrade";

type Stack = "dev" | "prod";
const STACKS: Stack[] = ["dev", "prod"];
const NAMESPACE: Record<Stack, string> = { dev: "platform-dev", prod: "platform" };
const LOCAL = ["health.enabled=false"];

/** The uid of each object that holds data, and a digest of each Secret key's value (never the value). */
function dataObjects(e: Engine, namespace: string): Record<string, string> {
  const out: Record<string, string> = { [`Namespace/${namespace}`]: kubectlJson(e, ["get", "namespace", namespace]).metadata.uid };
  for (const o of kubectlJson(e, ["get", "statefulsets.apps,persistentvolumeclaims,secrets", "-n", namespace]).items as any[]) {
    out[`${o.kind}/${o.metadata.name}`] = o.metadata.uid;
    for (const [k, v] of Object.entries<string>(o.data ?? {})) out[`${o.kind}/${o.metadata.name}#${k}`] = createHash("sha256").update(v).digest("hex").slice(0, 16);
  }
  return out;
}

describe(`upgrade from the previous release ${PREVIOUS_RELEASE.slice(0, 7)}`, () => {
  let e: Engine;
  const dirs = {} as Record<Stack, string>;
  const before = {} as Record<Stack, Record<string, string>>;

  beforeAll(() => {
    e = startEngine("upgrade");
    const previous = checkoutPreviousRelease(path.join(e.root, "previous-release"), "own");
    for (const stack of STACKS) {
      dirs[stack] = project(e, stack, LOCAL, stack, previous);
      ok(pulumi(e, dirs[stack], ["up", "--stack", stack, "--yes", "--skip-preview"]), `up ${stack} with the previous release`);
      before[stack] = dataObjects(e, NAMESPACE[stack]);
      // The same scratch project (state, salt) now runs the current code.
      project(e, stack, LOCAL, stack);
    }
  }, 900_000);

  afterAll(() => stopEngine(e), 120_000);

  describe.each(STACKS)("%s stack", (stack) => {
    test("the preview with the current code replaces and deletes nothing that holds data, and drops no resource without an alias", () => {
      const changes = changesOf(ok(pulumi(e, dirs[stack], ["preview", "--stack", stack, "--json", "--show-sames"]), "preview").stdout);
      console.log(changeTable(stack, changes));
      expect(dataLost(changes)).toEqual([]);
      expect(droppedWithoutAlias(changes)).toEqual([]);
      expect([...changes.values()].filter((c) => c === "same").length).toBeGreaterThan(0);
    }, 900_000);

    test("pulumi up with the current code keeps the namespace, StatefulSets, volumes and Secrets with their values", () => {
      ok(pulumi(e, dirs[stack], ["up", "--stack", stack, "--yes", "--skip-preview"]), `up ${stack} with the current code`);
      const after = dataObjects(e, NAMESPACE[stack]);
      // Objects the release had keep their uid (not re-created), Secrets the values of their keys (new keys may be added).
      const changed = Object.keys(before[stack]).filter((k) => after[k] !== before[stack][k]);
      expect(changed).toEqual([]);
    }, 900_000);
  });

  describe("destroying the prod stack", () => {
    test("pulumi destroy stops at the protected resources and deletes nothing", () => {
      // What the program owns (pods come and go with their controllers).
      const owned = "deployments.apps,statefulsets.apps,services,secrets,configmaps,persistentvolumeclaims,networkpolicies.networking.k8s.io";
      const objects = (ns: string) => (kubectlJson(e, ["get", owned, "-n", ns]).items as any[]).map((o) => `${o.kind}/${o.metadata.name}`).sort();
      const present = objects(NAMESPACE.prod);
      // With its preview (the default) the destroy fails there; --skip-preview would delete the
      // unprotected workloads before reaching a protected resource.
      const r = pulumi(e, dirs.prod, ["destroy", "--stack", "prod", "--yes"]);
      console.log(
        `pulumi destroy --stack prod (exit ${r.code}):\n${r.output
          .trim()
          .split("\n")
          .filter((l) => /protect/i.test(l))
          .slice(0, 5)
          .join("\n")}`,
      );
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/protected/i);
      expect(r.output).toMatch(/pulumi state unprotect/);
      expect(objects(NAMESPACE.prod)).toEqual(present);
    }, 900_000);

    test("the README's teardown (unprotect, destroy) removes the workloads and leaves the volumes, credentials and namespace", () => {
      ok(pulumi(e, dirs.prod, ["state", "unprotect", "--all", "--yes", "--stack", "prod"]), "state unprotect");
      ok(pulumi(e, dirs.prod, ["destroy", "--stack", "prod", "--yes", "--skip-preview"]), "destroy");
      const ns = NAMESPACE.prod;
      expect(kubectl(e, ["get", "namespace", ns]).code).toBe(0);
      const names = (res: string) => (kubectlJson(e, ["get", res, "-n", ns]).items as any[]).map((o) => o.metadata.name).sort();
      expect(names("statefulsets.apps")).toEqual([]);
      expect(names("deployments.apps")).toEqual([]);
      expect(names("secrets")).toEqual(expect.arrayContaining(["clickhouse-auth", "grafana-admin", "jwt-secret", "postgres-auth", "redis-auth"]));
      const claims = names("persistentvolumeclaims");
      expect(claims).toContain("postgres-backup");
      expect(claims).toEqual(expect.arrayContaining(["data-clickhouse-0", "data-kafka-0", "data-postgres-0", "data-redis-0"]));
    }, 900_000);
  });
});
