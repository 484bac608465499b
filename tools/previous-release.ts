/**
 * The last landed release. Stacks deployed from it exist, so the current code must upgrade them
 * without replacing or deleting what holds data: tests/e2e/kwok/upgrade.e2e.ts deploys it on the real
 * engine and updates it with the current code; tests/program/upgrade-urns.test.ts compares the
 * resources both register under mocks. Move it forward when a release lands (it must stay
 * reachable from main) and empty REMOVED_SINCE_PREVIOUS_RELEASE.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../policies/lib/program-under-mocks";

export const PREVIOUS_RELEASE = "e1b408c0ddfdf0d859db5d3193945be28dcb5fc3";

/**
 * Resources of the previous release that the current code removes on purpose, by URN suffix
 * (`<type>::<name>`), each with the reason. Any other resource it had must still exist under its
 * URN or an alias: a rename without an alias is a delete and a create (docs/upgrades.md).
 */
export const REMOVED_SINCE_PREVIOUS_RELEASE: Record<string, string> = {};

/** Jobs are named by a hash of what they run, so a changed Job is a new one and the old one goes. */
const ONE_SHOT = "kubernetes:batch/v1:Job";

/** `urn:pulumi:<stack>::<project>::<parent types $ type>::<name>` → the type. */
export function urnType(urn: string): string {
  return urn.split("::")[2].split("$").pop()!;
}

/** Whether the current code may drop this resource of the previous release. */
export function mayDrop(urn: string): boolean {
  return urnType(urn) === ONE_SHOT || Object.keys(REMOVED_SINCE_PREVIOUS_RELEASE).some((k) => urn.endsWith(`::${k}`));
}

/** Extracts the previous release into `dir`: see `checkoutRevision`. */
export function checkoutPreviousRelease(dir: string, packages: "own" | "current"): string {
  return checkoutRevision(PREVIOUS_RELEASE, dir, packages);
}

/**
 * Extracts a commit of this repository into `dir` (kept when already complete) with npm packages:
 * "current" links this checkout's (runs under mocks need only the same SDK), "own" installs the
 * commit's lock file, or links when it equals this checkout's (a deploy on the real engine).
 */
export function checkoutRevision(revision: string, dir: string, packages: "own" | "current"): string {
  const done = path.join(dir, ".extracted");
  const modules = path.join(dir, "node_modules");
  let commit: string;
  try {
    commit = execFileSync("git", ["rev-parse", "--verify", `${revision}^{commit}`], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    throw new Error(`commit ${revision} is not in this clone (a shallow one?): git fetch --unshallow`);
  }
  // Kept only when it is the same commit: a name such as HEAD moves.
  if (fs.existsSync(done) && fs.readFileSync(done, "utf8").trim() === commit) {
    // A kept extraction links the packages of the checkout that made it, which may be gone: link this one's.
    if (fs.lstatSync(modules, { throwIfNoEntry: false })?.isSymbolicLink()) {
      fs.rmSync(modules);
      fs.symlinkSync(path.join(ROOT, "node_modules"), modules);
    }
    return dir;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("bash", ["-c", `git archive "$2" | tar -x -C "$1"`, "extract", dir, commit], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const lock = (d: string) => fs.readFileSync(path.join(d, "package-lock.json"), "utf8");
  if (packages === "current" || lock(dir) === lock(ROOT)) {
    fs.symlinkSync(path.join(ROOT, "node_modules"), modules);
  } else {
    execFileSync("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
  }
  fs.writeFileSync(done, `${commit}\n`);
  return dir;
}
