/** The refactoring guard (`npm run program:diff -- <commit>`) reports every kind of change it is there to catch. */
import { differences, diffRuns } from "../../tools/resources-diff";
import type { ProgramRun, Registered } from "../helpers/program";

const resource = (urn: string, inputs: Record<string, unknown>, more: Partial<Registered> = {}): Registered => ({
  type: "kubernetes:core/v1:ConfigMap",
  name: urn.split("::").pop()!,
  inputs,
  custom: true,
  hooks: {},
  dependsOn: [],
  protect: false,
  retainOnDelete: false,
  urn,
  aliases: [],
  ...more,
});
const run = (resources: Registered[], outputs: ProgramRun["outputs"] = {}): ProgramRun => ({ resources, outputs, generated: [] });

test("differences names the path of each changed leaf, in objects and arrays", () => {
  expect(differences({ a: { b: [1, 2] }, c: "x" }, { a: { b: [1, 3] }, c: "x", d: true })).toEqual([
    { path: "a.b[1]", before: 2, after: 3 },
    { path: "d", before: undefined, after: true },
  ]);
  expect(differences({ same: [1] }, { same: [1] })).toEqual([]);
});

test("added, removed and changed resources, options and outputs are each reported; order does not matter", () => {
  const before = run([resource("u::a", { data: { k: "1" } }), resource("u::gone", {}), resource("u::opts", {}, { dependsOn: ["x", "y"] })], { url: { value: "a", secret: false } });
  const after = run([resource("u::opts", {}, { dependsOn: ["y", "x"], protect: true }), resource("u::new", {}), resource("u::a", { data: { k: "2" } })], { url: { value: "b", secret: false } });
  expect(diffRuns(before, after)).toEqual(['~ u::a inputs.data.k: "1" -> "2"', "- u::gone", "+ u::new", "~ u::opts protect: false -> true", '~ output url.value: "a" -> "b"']);
});

test("the gate's hash of the program's sources is not a difference; its other data is", () => {
  const gate = (sources: string, checks: string) => run([resource("u::gate", { data: { "program-sha256": sources, checks } })]);
  expect(diffRuns(gate("aaa", "redis"), gate("bbb", "redis"))).toEqual([]);
  expect(diffRuns(gate("aaa", "redis"), gate("aaa", "kafka"))).toEqual(['~ u::gate inputs.data.checks: "redis" -> "kafka"']);
});
