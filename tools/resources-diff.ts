/**
 * What a change does to the program's resources, without a cluster: runs another commit's program
 * and this checkout's under the same mocks, for both stacks, and prints every resource added,
 * removed or changed (inputs, dependencies, hooks, protection, aliases) and every stack output that
 * differs. A refactor must print "identical" for both stacks:
 *
 *   npm run program:diff -- <commit>        # exit 1 when anything differs
 *
 * The gate's `program-sha256` is left out: it hashes the program's sources, so it changes with any
 * edit by design (that is what makes the gate run again after a new program version).
 */
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { checkoutRevision } from "./previous-release";
import { ProgramRun, Registered, runProgram, Stack } from "../policies/lib/program-under-mocks";

/** Paths (a.b[2].c) where two JSON-like values differ, with both sides. */
export function differences(a: unknown, b: unknown, at = ""): Array<{ path: string; before: unknown; after: unknown }> {
  if (isDeepStrictEqual(a, b)) return [];
  const bothObjects = a !== null && b !== null && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [{ path: at || "(whole)", before: a, after: b }];
  const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])];
  return keys.flatMap((k) => differences((a as any)[k], (b as any)[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k));
}

/** What is compared of a resource: everything recorded, dependencies in a stable order. */
function comparable(r: Registered): Record<string, unknown> {
  const inputs = r.type === "kubernetes:core/v1:ConfigMap" && r.inputs?.data?.["program-sha256"] ? { ...r.inputs, data: { ...r.inputs.data, "program-sha256": "(sources hash)" } } : r.inputs;
  return { inputs, custom: r.custom, hooks: r.hooks, dependsOn: [...r.dependsOn].sort(), protect: r.protect, retainOnDelete: r.retainOnDelete, aliases: [...r.aliases].sort() };
}

/** The differences between two runs of a stack, one line each; empty when identical. */
export function diffRuns(before: ProgramRun, after: ProgramRun): string[] {
  const byUrn = (run: ProgramRun) => new Map(run.resources.map((r) => [r.urn, r]));
  const [b, a] = [byUrn(before), byUrn(after)];
  const lines: string[] = [];
  for (const urn of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const [x, y] = [b.get(urn), a.get(urn)];
    if (!y) lines.push(`- ${urn}`);
    else if (!x) lines.push(`+ ${urn}`);
    else for (const d of differences(comparable(x), comparable(y))) lines.push(`~ ${urn} ${d.path}: ${JSON.stringify(d.before)} -> ${JSON.stringify(d.after)}`);
  }
  for (const d of differences(before.outputs, after.outputs)) lines.push(`~ output ${d.path}: ${JSON.stringify(d.before)} -> ${JSON.stringify(d.after)}`);
  return lines;
}

async function main(revision: string | undefined): Promise<number> {
  if (!revision) {
    console.error("usage: npm run program:diff -- <commit>");
    return 2;
  }
  const dir = checkoutRevision(revision, path.join(os.tmpdir(), `platform-diff-${revision.replace(/[^A-Za-z0-9]/g, "_")}`), "current");
  let differs = false;
  for (const stack of ["dev", "prod"] as Stack[]) {
    // Each run loads the program afresh: the runtime and the modules of the other commit are separate.
    const isolate = (load: () => void) => {
      for (const k of Object.keys(require.cache)) delete require.cache[k];
      load();
    };
    const before = await runProgram(stack, { root: dir, isolate });
    const after = await runProgram(stack, { isolate });
    const lines = diffRuns(before, after);
    console.log(`${stack}: ${before.resources.length} resources at ${revision}, ${after.resources.length} now: ${lines.length === 0 ? "identical" : `${lines.length} differences`}`);
    for (const l of lines) console.log(`  ${l}`);
    differs ||= lines.length > 0;
  }
  return differs ? 1 : 0;
}

if (require.main === module) main(process.argv[2]).then((code) => process.exit(code));
