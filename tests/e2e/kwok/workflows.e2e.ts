/**
 * Every workflow passes actionlint (built from its Go module by scripts/engine/install.sh), which also
 * checks the inputs given to the local actions in .github/actions. What the workflows do is asserted
 * in tests/workflows.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO } from "../engine";

const ACTIONLINT = path.join(process.env.PLATFORM_ENGINE_CACHE ?? path.join(os.homedir(), ".cache", "platform-engine"), "bin", "actionlint");
const WORKFLOWS = path.join(REPO, ".github", "workflows");

function actionlint(files: string[]): { code: number; output: string } {
  // shellcheck and pyflakes are not on the machine; actionlint skips those checks when they are absent.
  const r = spawnSync(ACTIONLINT, ["-no-color", "-shellcheck=", "-pyflakes=", ...files], { cwd: REPO, encoding: "utf8" });
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

test("actionlint finds no problem in .github/workflows", () => {
  expect(fs.existsSync(ACTIONLINT)).toBe(true);
  const files = fs
    .readdirSync(WORKFLOWS)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(WORKFLOWS, f));
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
