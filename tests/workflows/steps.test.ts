/**
 * The workflows' shell steps, run with bash as a runner runs them (tests/workflows/github.ts): the
 * unit-test selection of the secret-free job, the kubeconfig of a stack, verify's summary and
 * outputs, the deploy gate's rollback advice, and the scheduled verify's issue, opened once and then
 * updated and closed.
 */
import * as fs from "fs";
import * as path from "path";
import { localAction, REPO, runStep, step, workflow } from "./github";

describe("unit tests of the secret-free job", () => {
  const unitTests = step(workflow("pull-request.yml").jobs.checks.steps, (s) => s.name === "unit tests", "unit tests");
  // jest ignores a test whose absolute path matches a testPathIgnorePatterns regex.
  const ignored = new RegExp(unitTests.env.SERVER_TESTS);
  const files = fs
    .readdirSync(path.join(REPO, "tests"), { recursive: true, encoding: "utf8" })
    // This file names those binaries in its own pattern.
    .filter((f) => f.endsWith(".test.ts") && path.join(REPO, "tests", f) !== __filename)
    .map((f) => path.join(REPO, "tests", f));
  // A server binary that `npm ci` does not install: the health servers, the monitoring tools, a JVM
  // broker, Postgres' initdb, containerd or runc.
  const needsServer = (file: string) =>
    /\b(startRedis|startPostgres|startClickHouse|startKafka|startPrometheus|tool)\(|spawn\("(java|containerd)"|"initdb"|\brunc\b/.test(fs.readFileSync(file, "utf8"));

  test("the selection is passed to jest", () => {
    expect(unitTests.run).toBe('npx jest --ci --testPathIgnorePatterns "$SERVER_TESTS"');
  });

  test("leaves out exactly the tests that start a server binary", () => {
    expect(files.length).toBeGreaterThan(20);
    const wrong = files.filter((f) => ignored.test(f) !== needsServer(f)).map((f) => path.relative(REPO, f));
    expect(wrong).toEqual([]);
    expect(files.filter((f) => ignored.test(f)).length).toBeGreaterThan(5);
  });

  test("still runs the program, policy, config and workflow tests", () => {
    for (const dir of ["program", "policies", "config", "workflows"]) {
      expect(files.some((f) => f.includes(`/tests/${dir}/`) && !ignored.test(f))).toBe(true);
    }
  });
});

describe("setup action: the Pulumi CLI", () => {
  const steps = localAction("./.github/actions/setup").runs.steps as any[];

  test("is installed at the version of the SDK the program runs with", () => {
    const sdk = step(steps, (s) => s.id === "sdk", "sdk version");
    const r = runStep(sdk.run, {});
    expect(r.code).toBe(0);
    expect(r.outputs.version).toBe(JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).dependencies["@pulumi/pulumi"]);
    const install = step(steps, (s) => /^pulumi\/actions@/.test(s.uses ?? ""), "pulumi/actions");
    expect(install.with).toEqual({ "pulumi-version": "${{ steps.sdk.outputs.version }}" });
  });
});

describe("setup action: the stack's kubeconfig", () => {
  const script = step(localAction("./.github/actions/setup").runs.steps, (s) => s.env?.KUBECONFIG_CONTENT !== undefined, "kubeconfig").run;

  test("writes the secret to a file only the runner's user can read and exports KUBECONFIG", () => {
    const r = runStep(script, { STACK: "prod", KUBECONFIG_CONTENT: "apiVersion: v1\nkind: Config\n" });
    expect(r.code).toBe(0);
    expect(r.temp.kubeconfig).toEqual({ content: "apiVersion: v1\nkind: Config\n\n", mode: 0o600 });
    expect(r.githubEnv).toMatch(/^KUBECONFIG=.*\/kubeconfig$/m);
  });

  test("fails, naming the missing secret, when the stack's kubeconfig is empty", () => {
    const r = runStep(script, { STACK: "prod", KUBECONFIG_CONTENT: "" });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("::error::the secret KUBECONFIG_PROD is missing or empty");
    expect(r.githubEnv).toBe("");
  });
});

describe("verify action", () => {
  const script = localAction("./.github/actions/verify").runs.steps[0].run;
  const TABLE = "│ redis │ PING with auth │ FAIL │ authentication failed │\n1 of 1 checks failed (9 ms)";
  const npm = (code: number) => `[ "$*" = "run --silent verify -- --stack $STACK" ] || exit 99\nprintf '%s\\n' '${TABLE}'\nexit ${code}`;

  test.each([
    [0, "healthy"],
    [1, "UNHEALTHY: a check failed"],
    [2, "verify could not run (exit 2)"],
  ])("exit %i: the step succeeds, status and verdict say it, the table is in the summary and the report", (code, verdict) => {
    const r = runStep(script, { STACK: "prod" }, { npm: npm(code) });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(["npm run --silent verify -- --stack prod"]);
    expect(r.outputs.status).toBe(String(code));
    expect(r.outputs.report).toBe(`### \`verify --stack prod\`: ${verdict}\n\`\`\`text\n${TABLE}\n\`\`\``);
    expect(r.summary).toBe(`${r.outputs.report}\n`);
  });
});

describe("deploy gate", () => {
  const gate = step(workflow("deploy-stack.yml").jobs.deploy.steps, (s) => s.name === "gate", "gate");

  test("fails the job and tells how to roll back the stack", () => {
    const r = runStep(gate.run, { STACK: "prod", RUNS: "https://github.example/o/r/actions/workflows/deploy.yml" });
    expect(r.code).toBe(1);
    expect(r.summary).toContain("### Deploy of `prod` failed: how to roll back");
    expect(r.summary).toContain("`pulumi stack history --stack prod`");
    expect(r.summary).toContain("`git checkout <commit> && pulumi up --stack prod`");
    expect(r.summary).toContain("[deploy](https://github.example/o/r/actions/workflows/deploy.yml)");
  });
});

describe("scheduled verify's issue", () => {
  const job = workflow("verify.yml").jobs.report;
  const script = job.steps[0].run;
  // `gh issue list` answers with the open issue's number (or nothing), every other call succeeds.
  const gh = (open: string) => `[ "$1 $2" = "issue list" ] && { [ -n "${open}" ] && echo ${open}; exit 0; }\nexit 0`;
  const run = (result: string, open: string, report = "### `verify --stack prod`: UNHEALTHY") =>
    runStep(script, { LABEL: job.env.LABEL, RESULT: result, REPORT: report, RUN: "https://run/1" }, { gh: gh(open) });

  test("a failure with no open issue creates the label and opens one issue with the report", () => {
    const r = run("failure", "");
    expect(r.code).toBe(0);
    expect(r.calls[0]).toBe("gh issue list --label verify-failed --state open --limit 1 --json number --jq .[0].number // empty");
    expect(r.calls[1]).toMatch(/^gh label create verify-failed .*--force$/);
    expect(r.calls[2]).toMatch(/^gh issue create --title Scheduled verify of prod failed --label verify-failed --body ### `verify --stack prod`: UNHEALTHY\n\nRun: https:\/\/run\/1\n/);
    expect(r.calls).toHaveLength(3);
  });

  test("a failure while an issue is open comments on it instead of opening another", () => {
    const r = run("failure", "42");
    expect(r.calls.slice(1)).toEqual(["gh issue comment 42 --body ### `verify --stack prod`: UNHEALTHY\n\nRun: https://run/1"]);
  });

  test("a failed job without a report still reports, and says where to look", () => {
    const r = run("failure", "42", "");
    expect(r.calls[1]).toContain("no report from verify: the job failed before it, or GitHub withheld the output; see the run.");
  });

  test("a healthy run closes the open issue, and does nothing when none is open", () => {
    expect(run("success", "42", "### `verify --stack prod`: healthy").calls.slice(1)).toEqual([
      "gh issue close 42 --comment prod is healthy again.\n\n### `verify --stack prod`: healthy\n\nRun: https://run/1",
    ]);
    expect(run("success", "").calls).toHaveLength(1);
  });
});
