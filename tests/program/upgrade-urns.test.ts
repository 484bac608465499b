/**
 * The rename guard without the engine: the previous release (tools/previous-release.ts) and the
 * current code run under the same mocks, and every resource the release registered must still be
 * registered under its URN or an alias (or be listed as removed on purpose). tests/e2e/kwok/upgrade.e2e.ts
 * proves the same on the real engine with the release's own packages.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkoutPreviousRelease, mayDrop, PREVIOUS_RELEASE } from "../../tools/previous-release";
import { ProgramRun, ROOT, runProgram, Stack } from "../helpers/program";

let previous: string;
beforeAll(() => {
  previous = checkoutPreviousRelease(path.join(os.tmpdir(), `platform-release-${PREVIOUS_RELEASE.slice(0, 12)}`), "current");
}, 120_000);

const released: Partial<Record<Stack, ProgramRun>> = {};
/** The previous release under mocks, once per stack. */
async function release(stack: Stack): Promise<ProgramRun> {
  return (released[stack] ??= await runProgram(stack, undefined, previous));
}

/** URNs of the release's resources that the run neither registers nor aliases. */
function dropped(before: ProgramRun, now: ProgramRun): string[] {
  const known = new Set(now.resources.flatMap((r) => [r.urn, ...r.aliases]));
  return before.resources.map((r) => r.urn).filter((urn) => !known.has(urn) && !mayDrop(urn));
}

describe(`resources of the previous release ${PREVIOUS_RELEASE.slice(0, 7)}`, () => {
  test.each(["dev", "prod"] as Stack[])("%s: every one still exists under its URN or an alias", async (stack) => {
    const before = await release(stack);
    const now = await runProgram(stack);
    expect(before.resources.length).toBeGreaterThan(100);
    expect(dropped(before, now)).toEqual([]);
  });

  test("a renamed resource without an alias is reported", async () => {
    // The Namespace's name is the configured namespace: another one is a new resource.
    const before = await release("dev");
    const now = await runProgram("dev", (c) => (c.namespace = "platform-dev-renamed"));
    expect(dropped(before, now)).toEqual(
      expect.arrayContaining([expect.stringMatching(/kubernetes:core\/v1:Namespace::platform-dev$/), expect.stringMatching(/ClusterRole::platform-dev-prometheus-nodes$/)]),
    );
  });
});

describe("aliases under the mocks", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  /** A one-file program in its own directory, run like the platform's (dev stack, no config). */
  function program(name: string, code: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `platform-alias-${name}-`));
    dirs.push(dir);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config: {}\n");
    fs.writeFileSync(path.join(dir, "index.ts"), `import * as pulumi from "@pulumi/pulumi";\n${code}`);
    return dir;
  }
  const component = (type: string, opts: string) =>
    `class C extends pulumi.ComponentResource { constructor() { super("${type}", "c", {}, ${opts}); new pulumi.CustomResource("test:index:Thing", "child", {}, { parent: this }); } }\nnew C();\n`;
  const old = () => program("old", `new pulumi.CustomResource("test:index:Thing", "old-name", {});\n${component("test:index:OldComp", "{}")}`);

  test("a renamed resource and a component of a new type keep their old URNs, children included, through aliases", async () => {
    const renamed = program(
      "aliased",
      `new pulumi.CustomResource("test:index:Thing", "new-name", {}, { aliases: [{ name: "old-name" }] });\n${component("test:index:NewComp", '{ aliases: [{ type: "test:index:OldComp" }] }')}`,
    );
    const before = await runProgram("dev", undefined, old());
    expect(before.resources.map((r) => r.urn)).toEqual(expect.arrayContaining(["urn:pulumi:dev::platform::test:index:OldComp$test:index:Thing::child"]));
    expect(dropped(before, await runProgram("dev", undefined, renamed))).toEqual([]);
  });

  test("without the aliases the same renames drop the old resources", async () => {
    const renamed = program("unaliased", `new pulumi.CustomResource("test:index:Thing", "new-name", {});\n${component("test:index:NewComp", "{}")}`);
    const lost = dropped(await runProgram("dev", undefined, old()), await runProgram("dev", undefined, renamed));
    expect(lost.map((u) => u.split("::").slice(2).join("::")).sort()).toEqual(["test:index:OldComp$test:index:Thing::child", "test:index:OldComp::c", "test:index:Thing::old-name"]);
  });
});
