/**
 * The repository's GitHub workflows and local actions as data, and their shell steps run the way a
 * runner runs them: `bash -eo pipefail` with the files GITHUB_OUTPUT, GITHUB_ENV and
 * GITHUB_STEP_SUMMARY, the expressions already evaluated into the step's environment, and stand-ins
 * for the commands the step calls (npm, gh) first on PATH.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

export const REPO = path.resolve(__dirname, "..", "..");
export const WORKFLOWS = path.join(REPO, ".github", "workflows");

export function workflow(file: string): any {
  return parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));
}

/** A local action's metadata, from its `uses: ./…` reference. */
export function localAction(uses: string): any {
  return parse(fs.readFileSync(path.join(REPO, uses, "action.yml"), "utf8"));
}

export function workflowFiles(): string[] {
  return fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
}

export function step(steps: any[], match: (s: any) => boolean, what: string): any {
  const found = steps.find(match);
  if (!found) throw new Error(`no step ${what}`);
  return found;
}

export interface StepRun {
  code: number;
  stdout: string;
  stderr: string;
  summary: string;
  /** name → value, from GITHUB_OUTPUT (both `k=v` and `k<<DELIM` forms). */
  outputs: Record<string, string>;
  githubEnv: string;
  /** Each stand-in's calls: its name and arguments joined by spaces (arguments may span lines). */
  calls: string[];
  /** What the step left in RUNNER_TEMP: file name → content and permission bits. */
  temp: Record<string, { content: string; mode: number }>;
}

function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: ${heredoc[1]} is not closed by ${heredoc[2]}`);
      out[heredoc[1]] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (lines[i].includes("=")) {
      const at = lines[i].indexOf("=");
      out[lines[i].slice(0, at)] = lines[i].slice(at + 1);
    }
  }
  return out;
}

/**
 * Runs a step's `run` script. `fakes` maps a command name to a bash body; every call is also logged
 * (name and arguments) to the returned `calls`.
 */
export function runStep(script: string, env: Record<string, string>, fakes: Record<string, string> = {}): StepRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-step-"));
  try {
    const bin = path.join(dir, "bin");
    const runnerTemp = path.join(dir, "runner-temp");
    fs.mkdirSync(bin);
    fs.mkdirSync(runnerTemp);
    const files = { GITHUB_OUTPUT: "output", GITHUB_ENV: "env", GITHUB_STEP_SUMMARY: "summary", CALLS: "calls" };
    for (const f of Object.values(files)) fs.writeFileSync(path.join(dir, f), "");
    for (const [name, body] of Object.entries(fakes)) {
      fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\nprintf '%s\\0' "${name} $*" >> "$CALLS"\n${body}\n`, { mode: 0o755 });
    }
    const scriptFile = path.join(dir, "step.sh");
    fs.writeFileSync(scriptFile, script);
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", scriptFile], {
      encoding: "utf8",
      timeout: 30_000,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: dir,
        RUNNER_TEMP: runnerTemp,
        ...Object.fromEntries(Object.entries(files).map(([k, f]) => [k, path.join(dir, f)])),
        ...env,
      },
    });
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    return {
      code: r.status ?? 1,
      stdout: r.stdout,
      stderr: r.stderr,
      summary: read(files.GITHUB_STEP_SUMMARY),
      outputs: parseOutputs(read(files.GITHUB_OUTPUT)),
      githubEnv: read(files.GITHUB_ENV),
      calls: read(files.CALLS).split("\0").filter(Boolean),
      temp: Object.fromEntries(
        fs.readdirSync(runnerTemp).map((f) => {
          const file = path.join(runnerTemp, f);
          return [f, { content: fs.readFileSync(file, "utf8"), mode: fs.statSync(file).mode & 0o777 }];
        }),
      ),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
