/**
 * The pull-request workflows pass actionlint (built from its Go module by scripts/engine/install.sh),
 * and the workflow runs the policy preview for each stack.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { REPO } from "./engine";

const ACTIONLINT = path.join(process.env.PLATFORM_ENGINE_CACHE ?? path.join(os.homedir(), ".cache", "platform-engine"), "bin", "actionlint");
const WORKFLOWS = path.join(REPO, ".github", "workflows");

function actionlint(files: string[]): { code: number; output: string } {
  // shellcheck and pyflakes are not on the machine; actionlint skips those checks when they are absent.
  const r = spawnSync(ACTIONLINT, ["-no-color", "-shellcheck=", "-pyflakes=", ...files], { cwd: REPO, encoding: "utf8" });
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

test("actionlint finds no problem in .github/workflows", () => {
  expect(fs.existsSync(ACTIONLINT)).toBe(true);
  const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(WORKFLOWS, f));
  expect(files.length).toBeGreaterThan(0);
  const r = actionlint(files);
  expect(r.output).toBe("");
  expect(r.code).toBe(0);
});

test("actionlint rejects a broken workflow (so the clean run above means something)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "actionlint-"));
  const broken = path.join(dir, "broken.yml");
  fs.writeFileSync(broken, "on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nope }}\n");
  const r = actionlint([broken]);
  fs.rmSync(dir, { recursive: true, force: true });
  expect(r.code).not.toBe(0);
  expect(r.output).toMatch(/matrix/);
});

test("the preview workflow runs pulumi preview with the policy pack for each stack on pull requests", () => {
  const wf = parse(fs.readFileSync(path.join(WORKFLOWS, "preview.yml"), "utf8"));
  expect(Object.keys(wf.on)).toContain("pull_request");
  const job = wf.jobs.preview;
  expect(job.strategy.matrix.stack).toEqual(["dev", "prod"]);
  const runs = (job.steps as any[]).map((s) => s.run ?? "").join("\n");
  expect(runs).toContain('scripts/engine/preview.sh "${{ matrix.stack }}"');
  // preview.sh is the command the workflow runs: it must pass the policy pack.
  expect(fs.readFileSync(path.join(REPO, "scripts/engine/preview.sh"), "utf8")).toMatch(/pulumi preview .*--policy-pack "\$REPO\/policies"/);
});
