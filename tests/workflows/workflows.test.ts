/**
 * What the workflows promise, read from their YAML: the pull request's secret-free checks (also for
 * forks) before a preview of each stack against its backend and cluster with the policy pack; deploys
 * of dev then prod behind an environment, never two of one stack at once; a scheduled verify that may
 * write issues and nothing else. actionlint checks the syntax (tests/e2e/kwok/workflows.e2e.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { localAction, REPO, step, workflow, workflowFiles } from "./github";

const STACKS = fs
  .readdirSync(REPO)
  .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => Boolean(s))
  .sort();
const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";
const PULUMI_ACTION = /^pulumi\/actions@(v\d+|[0-9a-f]{40})$/;

/** Every `uses:` of the workflows and of the local actions they call. */
function allUses(): string[] {
  const uses = new Set<string>();
  const visit = (node: any): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if (k === "uses" && typeof v === "string") {
          if (!uses.has(v) && v.startsWith("./.github/actions/")) visit(localAction(v));
          uses.add(v);
        } else visit(v);
      }
    }
  };
  workflowFiles().forEach((f) => visit(workflow(f)));
  return [...uses];
}

describe("pull request", () => {
  const wf = workflow("pull-request.yml");
  const checks = wf.jobs.checks;
  const preview = wf.jobs.preview;

  test("runs on pull requests to main, nothing else", () => {
    expect(wf.on).toEqual({ pull_request: { branches: ["main"] } });
  });

  test("the checks job uses no secret, has no fork guard and may only read the code", () => {
    expect(stringify(checks)).not.toMatch(/secrets\./);
    expect(checks.if).toBeUndefined();
    expect(checks.permissions).toEqual({ contents: "read" });
  });

  test("the checks job type-checks, lints, runs the unit tests and the policy check of every stack", () => {
    const runs = (checks.steps as any[]).map((s) => s.run).filter(Boolean);
    expect(runs[0]).toBe("npm run build");
    expect(JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).scripts.build).toMatch(/^tsc --noEmit\b/);
    expect(runs).toContain("npm run lint");
    expect(runs.some((r: string) => r.startsWith("npx jest "))).toBe(true);
    expect(STACKS).toEqual(["dev", "prod"]);
    for (const stack of STACKS) expect(runs).toContain(`npm run policy:check -- --stack ${stack}`);
  });

  test("every job that uses a secret is guarded against forks; the guard compares the head repository", () => {
    const secretJobs = Object.entries(wf.jobs).filter(([, job]) => /secrets[.[]/.test(stringify(job)));
    expect(secretJobs.map(([name]) => name)).toEqual(["preview"]);
    for (const [, job] of secretJobs) expect((job as any).if).toBe(FORK_GUARD);
  });

  test("the type check precedes the preview: the preview job needs the checks job", () => {
    expect([preview.needs].flat()).toContain("checks");
  });

  test("previews each stack with the official action: diff, the policy pack, one comment per stack", () => {
    expect(preview.strategy.matrix.include.map((m: any) => m.stack).sort()).toEqual(STACKS);
    const p = step(preview.steps, (s) => PULUMI_ACTION.test(s.uses ?? "") && s.with?.command === "preview", "pulumi preview");
    expect(p.with).toMatchObject({
      "stack-name": "${{ matrix.stack }}",
      diff: true,
      policyPacks: "policies",
      "comment-on-pr": true,
      "edit-pr-comment": true,
    });
    expect(fs.existsSync(path.join(REPO, "policies", "PulumiPolicy.yaml"))).toBe(true);
    // The job fails when the preview does (a mandatory violation), not only comments.
    expect(p["continue-on-error"]).toBeUndefined();
    expect(preview.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  });

  test("the preview logs into the stack's backend and reaches the stack's own cluster", () => {
    const p = step(preview.steps, (s) => s.with?.command === "preview", "pulumi preview");
    expect(p.with["cloud-url"]).toBe("${{ secrets.PULUMI_BACKEND_URL }}");
    expect(preview.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
    const setup = step(preview.steps, (s) => s.uses === "./.github/actions/setup", "setup");
    expect(setup.with).toEqual({ stack: "${{ matrix.stack }}", kubeconfig: "${{ secrets[matrix.kubeconfig] }}" });
    for (const m of preview.strategy.matrix.include) expect(m.kubeconfig).toBe(`KUBECONFIG_${m.stack.toUpperCase()}`);
  });
});

describe("deploy", () => {
  const wf = workflow("deploy.yml");
  const called = workflow("deploy-stack.yml");
  const job = called.jobs.deploy;

  test("runs on pushes to main (and by hand, to redeploy a release)", () => {
    expect(wf.on.push).toEqual({ branches: ["main"] });
    expect(Object.keys(wf.on).sort()).toEqual(["push", "workflow_dispatch"]);
  });

  test("deploys dev, then prod in the protected production environment, each with only its own cluster's credentials", () => {
    const { dev, prod } = wf.jobs;
    expect(Object.keys(wf.jobs)).toEqual(["dev", "prod"]);
    for (const j of [dev, prod]) expect(j.uses).toBe("./.github/workflows/deploy-stack.yml");
    expect(dev.with).toEqual({ stack: "dev", environment: "dev" });
    expect(prod.with).toEqual({ stack: "prod", environment: "production" });
    expect(prod.needs).toBe("dev");
    expect(dev.secrets.kubeconfig).toBe("${{ secrets.KUBECONFIG_DEV }}");
    expect(prod.secrets.kubeconfig).toBe("${{ secrets.KUBECONFIG_PROD }}");
    expect(job.environment).toBe("${{ inputs.environment }}");
  });

  test("two deploys of one stack never overlap and never cancel each other", () => {
    expect(job.concurrency.group).toContain("${{ inputs.stack }}");
    expect(job.concurrency["cancel-in-progress"]).toBe(false);
  });

  test("pulumi up, then verify of the same stack, then a gate that fails the job on either failure", () => {
    const steps = job.steps as any[];
    const up = steps.findIndex((s) => PULUMI_ACTION.test(s.uses ?? "") && s.with?.command === "up");
    const verify = steps.findIndex((s) => s.uses === "./.github/actions/verify");
    const gate = steps.findIndex((s) => s.name === "gate");
    expect(up).toBeGreaterThan(0);
    expect(verify).toBeGreaterThan(up);
    expect(gate).toBeGreaterThan(verify);
    expect(steps[up].with).toMatchObject({ "stack-name": "${{ inputs.stack }}", "cloud-url": "${{ secrets.pulumi-backend-url }}", message: "${{ github.sha }}" });
    expect(steps[verify].with).toEqual({ stack: "${{ inputs.stack }}" });
    expect(steps[gate].if).toBe(`failure() || steps.${steps[verify].id}.outputs.status != '0'`);
    expect(job.permissions).toEqual({ contents: "read" });
  });

  test("the secrets the called workflow declares are the ones deploy.yml passes", () => {
    const declared = Object.keys(called.on.workflow_call.secrets).sort();
    for (const j of Object.values(wf.jobs) as any[]) expect(Object.keys(j.secrets).sort()).toEqual(declared);
  });
});

describe("scheduled verify", () => {
  const wf = workflow("verify.yml");
  const { verify, report } = wf.jobs;

  test("runs on a schedule and by hand", () => {
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(wf.on).toHaveProperty("workflow_dispatch");
  });

  test("verifies prod with prod's cluster, and fails when verify does", () => {
    expect(step(verify.steps, (s) => s.uses === "./.github/actions/setup", "setup").with).toEqual({ stack: "prod", kubeconfig: "${{ secrets.KUBECONFIG_PROD }}" });
    const v = step(verify.steps, (s) => s.uses === "./.github/actions/verify", "verify");
    expect(v.with).toEqual({ stack: "prod" });
    expect(step(verify.steps, (s) => s.name === "gate", "gate").if).toBe(`steps.${v.id}.outputs.status != '0'`);
    expect(verify.outputs.report).toBe(`\${{ steps.${v.id}.outputs.report }}`);
  });

  test("only the reporting job may write issues, and it runs whatever verify's result", () => {
    expect(wf.permissions).toEqual({});
    expect(verify.permissions).toEqual({ contents: "read" });
    expect(report.permissions).toEqual({ issues: "write" });
    expect(report.needs).toBe("verify");
    expect(report.if).toMatch(/^always\(\)/);
    expect(stringify(report)).not.toMatch(/secrets\./);
    expect(report.steps.some((s: any) => s.uses?.startsWith("actions/checkout"))).toBe(false);
  });
});

describe("every workflow", () => {
  test("pins every action to a major version or a commit, and local ones exist", () => {
    const uses = allUses();
    expect(uses.length).toBeGreaterThan(5);
    for (const u of uses) {
      if (u.startsWith("./")) expect(fs.existsSync(path.join(REPO, u.endsWith(".yml") ? u : path.join(u, "action.yml")))).toBe(true);
      else expect(u).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+|[0-9a-f]{40})$/);
    }
  });

  test("sets permissions for the workflow or for each job, never write-all", () => {
    for (const f of workflowFiles()) {
      const wf = workflow(f);
      for (const [name, job] of Object.entries(wf.jobs) as [string, any][]) {
        const perms = job.permissions ?? wf.permissions;
        if (job.uses) continue; // a called workflow's jobs declare their own
        expect({ file: f, job: name, defined: perms !== undefined }).toEqual({ file: f, job: name, defined: true });
        expect(perms).not.toBe("write-all");
      }
    }
  });

  test("does not build the engine from Go modules (that stays in .ci/run and the local cluster)", () => {
    const text = [
      ...workflowFiles().map((f) => stringify(workflow(f))),
      ...allUses()
        .filter((u) => u.startsWith("./.github/actions/"))
        .map((u) => stringify(localAction(u))),
    ].join("\n");
    expect(text).not.toMatch(/scripts\/engine|setup-go|\.ci\/run/);
  });

  test("every secret they read is in the README's table of secrets, and the table lists no other", () => {
    const text = workflowFiles()
      .map((f) => fs.readFileSync(path.join(REPO, ".github", "workflows", f), "utf8"))
      .join("\n");
    const read = new Set([...text.matchAll(/secrets\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
    // Secrets chosen per stack through the matrix: secrets[matrix.kubeconfig].
    for (const m of workflow("pull-request.yml").jobs.preview.strategy.matrix.include) read.add(m.kubeconfig);
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const table = readme.split("\n### Secrets\n")[1].split("\n### ")[0];
    const documented = new Set([...table.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((n) => n[1])));
    expect([...read].sort()).toEqual([...documented].sort());
    expect(read.size).toBeGreaterThanOrEqual(5);
  });

  test("puts no expression into a shell script (they come in through env, so no input can inject code)", () => {
    const scripts: string[] = [];
    const collect = (steps: any[] = []) => steps.forEach((s) => s.run && scripts.push(s.run));
    for (const f of workflowFiles()) for (const job of Object.values(workflow(f).jobs) as any[]) collect(job.steps);
    for (const u of allUses().filter((x) => x.startsWith("./.github/actions/"))) collect(localAction(u).runs.steps);
    expect(scripts.length).toBeGreaterThan(5);
    for (const s of scripts) expect(s).not.toContain("${{");
  });
});
