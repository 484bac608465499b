/**
 * The rule files under monitoring-config/rules: valid for promtool, unit-tested by promtool with a firing
 * and a quiet case for every alert, labelled and annotated, with runbook anchors that exist.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { RULES_DIR, ruleFiles } from "../../monitoring-config/rule-files";
import { ROOT } from "../helpers/program";
import { run, tempDir, tool } from "./tools";

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface AlertCase {
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string> }>;
}

const TESTS_DIR = path.join(RULES_DIR, "tests");
const ruleFileNames = Object.keys(ruleFiles());
const testFileNames = fs.readdirSync(TESTS_DIR).filter((f) => f.endsWith(".test.yml"));
const alerts: Rule[] = ruleFileNames.flatMap((f) =>
  (parse(fs.readFileSync(path.join(RULES_DIR, f), "utf8")) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules.filter((r) => r.alert)),
);
const testDocs = testFileNames.map((f) => parse(fs.readFileSync(path.join(TESTS_DIR, f), "utf8")) as { rule_files: string[]; tests: Array<{ alert_rule_test?: AlertCase[] }> });
const cases: AlertCase[] = testDocs.flatMap((d) => d.tests.flatMap((t) => t.alert_rule_test ?? []));

test("promtool check rules accepts every rule file", () => {
  const r = run(tool("promtool"), ["check", "rules", ...ruleFileNames.map((f) => path.join(RULES_DIR, f))]);
  expect(r.output).not.toMatch(/FAILED/);
  expect(r.status).toBe(0);
  expect(ruleFileNames.length).toBeGreaterThanOrEqual(5);
});

test("promtool test rules passes every unit test file", () => {
  const r = run(tool("promtool"), ["test", "rules", ...testFileNames], TESTS_DIR);
  expect(r.output).not.toMatch(/FAILED/);
  expect(r.status).toBe(0);
  expect(r.output.match(/SUCCESS/g)).toHaveLength(testFileNames.length);
});

test("the unit tests bite: a rule with a changed threshold fails them", () => {
  const dir = tempDir("rules-mutated");
  fs.mkdirSync(path.join(dir, "tests"));
  for (const f of ruleFileNames) fs.copyFileSync(path.join(RULES_DIR, f), path.join(dir, f));
  fs.copyFileSync(path.join(TESTS_DIR, "services.test.yml"), path.join(dir, "tests", "services.test.yml"));
  const file = path.join(dir, "services.rules.yml");
  const original = fs.readFileSync(file, "utf8");
  const mutated = original.replace("job:grpc_server_error_ratio:rate5m > 0.01", "job:grpc_server_error_ratio:rate5m > 0.05");
  expect(mutated).not.toBe(original);
  fs.writeFileSync(file, mutated);
  const r = run(tool("promtool"), ["test", "rules", "services.test.yml"], path.join(dir, "tests"));
  expect(r.status).not.toBe(0);
  expect(r.output).toMatch(/alertname: GrpcErrorRateHigh/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("every rule file is covered by a unit test file", () => {
  const tested = new Set(testDocs.flatMap((d) => d.rule_files.map((f) => path.basename(f))));
  expect(ruleFileNames.filter((f) => !tested.has(f))).toEqual([]);
});

describe("every alert", () => {
  const bySeverity = alerts.map((a) => [a.alert!, a.labels?.severity ?? "none"] as const);

  test.each(bySeverity)("%s (%s) has a unit test case where it fires", (name, severity) => {
    const firing = cases.filter((c) => c.alertname === name).flatMap((c) => c.exp_alerts);
    expect(firing.some((e) => e.exp_labels.severity === severity)).toBe(true);
  });

  test.each([...new Set(alerts.map((a) => a.alert!))])("%s has a unit test case where it stays quiet", (name) => {
    expect(cases.some((c) => c.alertname === name && c.exp_alerts.length === 0)).toBe(true);
  });

  test.each(alerts.map((a) => [`${a.alert} (${a.labels?.severity})`, a] as const))("%s has a severity, a summary and a runbook link into docs/runbooks.md", (_n, a) => {
    expect(["critical", "warning"]).toContain(a.labels?.severity);
    expect(a.annotations?.summary?.length).toBeGreaterThan(10);
    expect(a.annotations?.runbook_url).toMatch(/^docs\/runbooks\.md#alert-[a-z0-9-]+$/);
  });
});

test("every runbook link points at a heading of docs/runbooks.md", () => {
  const doc = fs.readFileSync(path.join(ROOT, "docs", "runbooks.md"), "utf8");
  // GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'.
  const anchors = new Set(
    [...doc.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      m[1]
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, "")
        .replace(/ /g, "-"),
    ),
  );
  const missing = [...new Set(alerts.map((a) => a.annotations!.runbook_url.split("#")[1]))].filter((a) => !anchors.has(a));
  expect(missing).toEqual([]);
});

test("a runbook base URL turns the runbook links into absolute ones and changes nothing else", () => {
  const base = "https://git.example.com/team/platform/blob/main/";
  const plain = ruleFiles();
  const absolute = ruleFiles(base);
  for (const [name, text] of Object.entries(absolute)) {
    expect(text).not.toMatch(/runbook_url: docs\/runbooks\.md/);
    expect(text.split(`runbook_url: ${base}docs/runbooks.md#`).join("runbook_url: docs/runbooks.md#")).toBe(plain[name]);
  }
});
