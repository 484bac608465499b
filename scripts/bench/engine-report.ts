/**
 * Prints the engine benchmark's results (scripts/bench/engine.sh writes its inputs): wall times, the
 * three ratios of the speed goals, where the time of a preview, a policy preview and a no-op up goes,
 * and which resources a first `pulumi up` waits for.
 *   ts-node scripts/bench/engine-report.ts DIR STACK RESOURCES OBJECTS
 * DIR holds, per measure, <measure>.walls (one run a line: start and end, epoch seconds) and
 * <measure>.phases (the JSON lines of scripts/bench/phases.js), and first-up.events (pulumi's event log).
 */
import * as fs from "fs";
import * as path from "path";

interface Phases {
  pid: number;
  kind: string;
  start: number;
  /** Absent for a process that was killed (a policy pack). */
  exit?: number;
  boot: number;
  entryEnd?: number;
  modules: number;
  toolchain: number;
  compile: number;
  ours: number;
  top: [string, number][];
  /** gRPC calls made or served, per method: count, summed latency, time with one or more in flight, first start, last end. */
  rpc?: Record<string, [number, number, number, number, number]>;
}
interface Run {
  wall: number;
  processes: Phases[];
}

const [dir, stack, resources, objects] = process.argv.slice(2);

function lines(file: string): string[] {
  const p = path.join(dir, file);
  return fs.existsSync(p)
    ? fs
        .readFileSync(p, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
    : [];
}

/** The runs of one measure, each with the Node.js processes that started during it. */
function runs(measure: string): Run[] {
  // A process writes a line when its entry has loaded and another at exit: the last one counts.
  const byPid = new Map(
    lines(`${measure}.phases`)
      .map((l) => JSON.parse(l) as Phases)
      .map((p) => [`${p.pid}@${p.start}`, p]),
  );
  const phases = [...byPid.values()];
  return lines(`${measure}.walls`).map((l) => {
    const [start, end] = l.split(/\s+/).map((s) => Number(s) * 1000);
    return { wall: (end - start) / 1000, processes: phases.filter((p) => p.start >= start && p.start <= end) };
  });
}

/** The run of median wall time (the lower one of an even count), so its breakdown adds up. */
function median(rs: Run[]): Run {
  const sorted = [...rs].sort((a, b) => a.wall - b.wall);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

const sec = (ms: number): string => (ms / 1000).toFixed(2);
const sum = (ps: Phases[], f: (p: Phases) => number): number => ps.reduce((a, p) => a + f(p), 0);
const life = (p: Phases): number => (p.exit ?? p.start) - p.start;
const startUp = (p: Phases): number => p.entryEnd ?? life(p);

const measures = {
  "preview-empty": "pulumi preview from empty",
  "first-up": "pulumi up from empty (first deploy, no preview)",
  preview: "pulumi preview of the deployed stack",
  "preview-policy": "pulumi preview --policy-pack policies of the deployed stack",
  "dry-run": "kubectl apply --server-side --dry-run=server, same objects",
  "noop-up": "pulumi up with no changes (preview + update)",
  "noop-up-skip-preview": "pulumi up --skip-preview with no changes (comparison only)",
};
const medians = Object.fromEntries(Object.keys(measures).map((m) => [m, median(runs(m))])) as Record<keyof typeof measures, Run>;

console.log(`\n${`measure (${stack}, ${resources} Pulumi resources, ${objects} namespaced objects)`.padEnd(66)} ${"seconds".padStart(8)}`);
for (const [m, label] of Object.entries(measures)) console.log(`${label.padEnd(66)} ${medians[m as keyof typeof measures].wall.toFixed(1).padStart(8)}`);

const ratios: [string, number, number][] = [
  ["preview / server-side dry-run apply", medians.preview.wall / medians["dry-run"].wall, 6],
  ["policy preview / preview", medians["preview-policy"].wall / medians.preview.wall, 1.2],
  ["no-op up / preview", medians["noop-up"].wall / medians.preview.wall, 1.5],
];
console.log(`\n${"ratio (medians of this run)".padEnd(40)} ${"value".padStart(6)}  goal`);
for (const [label, value, goal] of ratios) console.log(`${label.padEnd(40)} ${value.toFixed(2).padStart(6)}  <= ${goal} ${value <= goal ? "met" : "NOT met"}`);
console.log(`${"(no-op up --skip-preview / preview)".padEnd(40)} ${(medians["noop-up-skip-preview"].wall / medians.preview.wall).toFixed(2).padStart(6)}  not a goal: no preview before the update`);
console.log(`${"preview wall time".padEnd(40)} ${medians.preview.wall.toFixed(2).padStart(6)}  < 3 s ${medians.preview.wall < 3 ? "met" : "NOT met"}`);

// Where the time goes, per measure, in the median run: the program processes (two for an up with
// preview) split by phase; the engine's share is what is left of the wall time.
const columns: (keyof typeof measures)[] = ["preview", "preview-policy", "noop-up"];
const of = (m: keyof typeof measures, kind: string): Phases[] => medians[m].processes.filter((p) => p.kind === kind);
/** A stand-in plugin's processes: language-host.ts run through ts-node, or its compiled language-host-<key>.js. */
const plugin = (m: keyof typeof measures, name: string): Phases[] => medians[m].processes.filter((p) => p.kind === `${name}.ts` || new RegExp(`^${name}-[0-9a-f]{16}\\.js$`).test(p.kind));
const roundTrips = (m: keyof typeof measures): number => sum(of(m, "program"), (p) => life(p) - p.boot - p.modules - p.toolchain - p.compile - p.ours);
const rpc = (ps: Phases[], method: string, field: number): number | undefined => (ps.some((p) => p.rpc?.[method]) ? sum(ps, (p) => p.rpc?.[method]?.[field] ?? 0) : undefined);
/** Label, value (ms, or a count when the third element is true). */
const rows: [string, (m: keyof typeof measures) => number | undefined, boolean?][] = [
  ["wall time", (m) => medians[m].wall * 1000],
  ["CLI, backend, plugins outside the program", (m) => medians[m].wall * 1000 - sum(of(m, "program"), life)],
  ["program: node start", (m) => sum(of(m, "program"), (p) => p.boot)],
  ["program: loading SDKs and libraries", (m) => sum(of(m, "program"), (p) => p.modules)],
  ["program: loading TypeScript/ts-node/swc", (m) => sum(of(m, "program"), (p) => p.toolchain)],
  ["program: compiling our .ts files", (m) => sum(of(m, "program"), (p) => p.compile)],
  ["program: our modules and construction", (m) => sum(of(m, "program"), (p) => p.ours)],
  ["program: SDK start, provider, round-trips", roundTrips],
  // The engine loads the pack before it runs the program: its start-up is on the critical path.
  ["policy pack start-up (before the program starts)", (m) => (of(m, "policy").length ? sum(of(m, "policy"), startUp) : undefined)],
  ["  of which loading TypeScript/ts-node/swc", (m) => (of(m, "policy").length ? sum(of(m, "policy"), (p) => p.toolchain) : undefined)],
  ["  of which compiling/type-checking .ts", (m) => (of(m, "policy").length ? sum(of(m, "policy"), (p) => p.compile) : undefined)],
  // Many calls in flight at once: the program waits on the engine's throughput; about one: on a chain
  // of resources each waiting for another's outputs.
  ["program: time with RegisterResource in flight", (m) => rpc(of(m, "program"), "RegisterResource", 2)],
  ["  RegisterResource calls, summed latency", (m) => rpc(of(m, "program"), "RegisterResource", 1)],
  ["  RegisterResource calls (count)", (m) => rpc(of(m, "program"), "RegisterResource", 0), true],
  ["program: start to first RegisterResource", (m) => sum(of(m, "program"), (p) => (p.rpc?.RegisterResource?.[3] ?? p.start) - p.start)],
  ["program: last RegisterResource reply to exit", (m) => sum(of(m, "program"), (p) => (p.exit ?? 0) - (p.rpc?.RegisterResource?.[4] ?? p.exit ?? 0))],
  ["policy pack: Analyze (per resource), summed", (m) => rpc(of(m, "policy"), "served:analyze", 1)],
  ["policy pack: AnalyzeStack", (m) => rpc(of(m, "policy"), "served:analyzeStack", 1)],
  ["stand-in language host start-up (not in real Pulumi)", (m) => sum(plugin(m, "language-host"), startUp)],
  ["stand-in random provider start-up (not in real Pulumi)", (m) => sum(plugin(m, "random-provider"), startUp)],
];
console.log(`\n${"where the time goes (seconds, median run)".padEnd(52)}${columns.map((c) => c.padStart(16)).join("")}`);
for (const [label, f, isCount] of rows) {
  console.log(
    `${label.padEnd(52)}${columns
      .map((c) => {
        const v = f(c);
        return (v === undefined ? "-" : isCount ? String(v) : sec(v)).padStart(16);
      })
      .join("")}`,
  );
}
const heaviest = of("preview", "program")[0]?.top ?? [];
if (heaviest.length) console.log(`heaviest packages in the preview's program (ms): ${heaviest.map(([p, t]) => `${p} ${t}`).join(", ")}`);
console.log(`program's wait on the engine per resource in the preview: ${(roundTrips("preview") / Number(resources)).toFixed(1)} ms`);

// The engine's side of a preview, from its verbose log (`--logtostderr -v=9`, JSON lines): each call to
// a plugin is logged when it starts ("executing") and when it returns; summed per plugin and method.
// The step generator makes these calls one resource at a time, so their sum is on the critical path.
function engineCalls(measure: string): Map<string, { n: number; ms: number }> {
  const started = new Map<string, number>();
  const byMethod = new Map<string, { n: number; ms: number }>();
  for (const l of lines(`${measure}.engine-log`)) {
    if (!l.startsWith("{")) continue;
    const e = JSON.parse(l) as { time: string; msg?: string };
    const m = /^(Provider|ProviderRegistry|Analyzer)(?:\[[^\]]*\])?\.(\w+)\((.*?)\):? (executing|success|executed|failed)/.exec(e.msg ?? "");
    if (!m) continue;
    const [, plugin, method, args, what] = m;
    // AnalyzeStack logs "(#resources=N)" when it starts and "(...)" when it returns.
    const key = `${plugin}.${method}(${/^#|^\.\.\.$/.test(args) ? "" : args})`;
    const [whole, fraction = "0"] = e.time.replace(/Z$/, "").split(".");
    const at = Date.parse(`${whole}Z`) + Number(`0.${fraction}`) * 1000;
    if (what === "executing") {
      started.set(key, at);
      continue;
    }
    const t0 = started.get(key);
    if (t0 === undefined) continue;
    started.delete(key);
    const name = `${plugin === "Analyzer" ? "policy pack" : plugin === "Provider" ? "provider" : "provider registry"} ${method}`;
    const b = byMethod.get(name) ?? { n: 0, ms: 0 };
    byMethod.set(name, { n: b.n + 1, ms: b.ms + at - t0 });
  }
  return byMethod;
}
const calls = { preview: engineCalls("preview"), "preview-policy": engineCalls("preview-policy") };
if (calls.preview.size || calls["preview-policy"].size) {
  console.log(`\n${"the engine's plugin calls in one preview, verbose log (count, summed s)".padEnd(72)}${"preview".padStart(16)}${"preview-policy".padStart(16)}`);
  const names = [...new Set([...calls.preview.keys(), ...calls["preview-policy"].keys()])].sort((a, b) => (calls["preview-policy"].get(b)?.ms ?? 0) - (calls["preview-policy"].get(a)?.ms ?? 0));
  for (const name of names) {
    const cell = (c: Map<string, { n: number; ms: number }>): string => {
      const v = c.get(name);
      return (v ? `${v.n}  ${sec(v.ms)}` : "-").padStart(16);
    };
    console.log(`${name.padEnd(72)}${cell(calls.preview)}${cell(calls["preview-policy"])}`);
  }
}

// The first deploy: how long each resource took from the engine starting its step to its outputs
// (the provider's create and await logic), from the event log (its timestamps are whole seconds).
const started = new Map<string, number>();
const took: { urn: string; type: string; s: number }[] = [];
for (const l of lines("first-up.events")) {
  const e = JSON.parse(l);
  const meta = e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata;
  if (!meta || meta.type === "pulumi:pulumi:Stack" || !meta.type.includes(":")) continue;
  if (e.resourcePreEvent) started.set(meta.urn, e.timestamp);
  else if (started.has(meta.urn)) took.push({ urn: meta.urn, type: meta.type, s: e.timestamp - started.get(meta.urn)! });
}
if (took.length) {
  const byType = new Map<string, { n: number; max: number }>();
  for (const t of took) {
    const b = byType.get(t.type) ?? { n: 0, max: 0 };
    byType.set(t.type, { n: b.n + 1, max: Math.max(b.max, t.s) });
  }
  console.log("\nfirst pulumi up: slowest steps (create to outputs, whole seconds; steps run in parallel)");
  for (const t of took.sort((a, b) => b.s - a.s).slice(0, 8)) console.log(`  ${String(t.s).padStart(4)} s  ${t.type}  ${t.urn.split("::").pop()}`);
  console.log(
    "  longest step by type: " +
      [...byType]
        .sort((a, b) => b[1].max - a[1].max)
        .slice(0, 6)
        .map(([type, b]) => `${type.split(":").pop()} ${b.max} s (${b.n})`)
        .join(", "),
  );
}
