/**
 * Preloaded by scripts/bench/engine.sh into every Node.js process that `pulumi` starts (through
 * NODE_OPTIONS=--require): records where the process's time goes and appends a JSON line to
 * $PLATFORM_BENCH_PHASES when its entry has loaded and again when it exits (a policy pack is killed,
 * so it has only the first; the last line of a pid counts). Plain JavaScript so that measuring loads
 * no TypeScript.
 *
 * Times are in ms. `start` and `exit` are epoch times, so the benchmark can place the process inside
 * the wall time of the pulumi command; `boot` is node's own start-up before this file ran; `entry` is
 * the load of the first module outside node_modules (the program or the policy pack: its modules'
 * top level and the construction of its resources), `entryEnd` is when that load returned. Exclusive
 * times sum to the time spent in require(): `modules` in node_modules (SDKs, libraries), `toolchain`
 * in the TypeScript compiler, ts-node and swc packages, `compile` transpiling or type-checking our
 * .ts files, `ours` running the top level of our modules (construction included).
 */
"use strict";
const Module = require("module");
const path = require("path");
const fs = require("fs");
const { performance } = require("perf_hooks");

const out = process.env.PLATFORM_BENCH_PHASES;
const epoch = (t) => performance.timeOrigin + t;
const loadedAt = performance.now();
const totals = { modules: 0, toolchain: 0, compile: 0, ours: 0 };
const packages = {};
let entry;
let entryStart;
let entryEnd;
const TOOLCHAIN = new Set(["typescript", "ts-node", "@swc/core", "@swc/core-linux-x64-gnu", "@swc/core-linux-x64-musl"]);

/** `name` or `@scope/name` of the package a file belongs to; undefined for our own files. */
function packageOf(file) {
  const i = file.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (i < 0) return undefined;
  const parts = file.slice(i + 14).split(path.sep);
  return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

// ts-node calls service.compile() for each .ts file: wrap it when ts-node publishes its service.
const REGISTER = Symbol.for("ts-node.register.instance");
let service;
Object.defineProperty(process, REGISTER, {
  configurable: true,
  get: () => service,
  set: (s) => {
    service = s;
    if (!s || s.compile.timed) return;
    const compile = s.compile;
    s.compile = function timedCompile(...args) {
      const t0 = performance.now();
      try {
        return compile.apply(this, args);
      } finally {
        const dt = performance.now() - t0;
        totals.compile += dt;
        if (stack.length) stack[stack.length - 1].compile += dt;
      }
    };
    s.compile.timed = true;
  },
});

// Exclusive time of each require(): the time of a load minus the loads it made itself.
const stack = [];
const load = Module._load;
Module._load = function timedLoad(request, parent, isMain) {
  let file;
  try {
    file = Module._resolveFilename(request, parent, isMain);
  } catch {
    return load.apply(this, arguments);
  }
  if (!path.isAbsolute(file) || Module._cache[file]) return load.apply(this, arguments);
  const pkg = packageOf(file);
  // Preloads (startup/preload.js, from the runtime options' nodeargs) run before the entry.
  const preload = parent?.id === "internal/preload";
  const first = pkg === undefined && entry === undefined && !preload && !file.includes(`${path.sep}@pulumi${path.sep}`);
  if (first) {
    entry = file;
    entryStart = performance.now();
  }
  const frame = { t0: performance.now(), children: 0, compile: 0 };
  stack.push(frame);
  try {
    const exported = load.apply(this, arguments);
    if (pkg === "@grpc/grpc-js") {
      if (exported?.Client?.prototype?.makeUnaryRequest) timeUnaryCalls(exported.Client.prototype);
      if (exported?.Server?.prototype?.addService) timeHandlers(exported.Server.prototype);
    }
    return exported;
  } finally {
    stack.pop();
    const inclusive = performance.now() - frame.t0;
    const own = inclusive - frame.children - frame.compile;
    if (stack.length) stack[stack.length - 1].children += inclusive;
    if (pkg === undefined) totals.ours += own;
    else if (TOOLCHAIN.has(pkg)) totals.toolchain += own;
    else {
      totals.modules += own;
      packages[pkg] = (packages[pkg] ?? 0) + own;
    }
    if (first) {
      entryEnd = performance.now();
      write(false);
    }
  }
};

// The gRPC calls this process makes (the program's RegisterResource to the engine): per method, how
// many, their summed latency and the time at least one was in flight, so that the report can tell a
// wait on the engine's throughput (many in flight at once) from a chain of dependent calls (one).
const calls = {};
function timeUnaryCalls(proto) {
  if (proto.makeUnaryRequest.timed) return;
  const unary = proto.makeUnaryRequest;
  proto.makeUnaryRequest = function timedUnary(method, ...rest) {
    const i = rest.findLastIndex((a) => typeof a === "function");
    if (i < 0) return unary.call(this, method, ...rest);
    const callback = rest[i];
    const t0 = performance.now();
    rest[i] = function (...results) {
      (calls[method.split("/").pop()] ??= []).push([t0, performance.now()]);
      return callback.apply(this, results);
    };
    return unary.call(this, method, ...rest);
  };
  proto.makeUnaryRequest.timed = true;
}

// The calls this process serves (the policy pack's Analyze and AnalyzeStack), timed from request to reply.
let recordPending = false;
function timeHandlers(proto) {
  if (proto.addService.timed) return;
  const addService = proto.addService;
  proto.addService = function timedAddService(service, implementation) {
    // Handlers may be methods of a class: looked up by the service's method names, bound to it.
    const timed = {};
    for (const [key, method] of Object.entries(service)) {
      const name = implementation[key] !== undefined ? key : method.originalName;
      const handler = implementation[name];
      if (typeof handler !== "function") continue;
      timed[name] =
        method.requestStream || method.responseStream
          ? handler.bind(implementation)
          : function (call, callback) {
              const t0 = performance.now();
              return handler.call(implementation, call, (...results) => {
                (calls[`served:${name}`] ??= []).push([t0, performance.now()]);
                // A server (the policy pack) is killed rather than exiting: record once the calls
                // that are due now have been answered, one line for them all.
                if (!recordPending) {
                  recordPending = true;
                  setImmediate(() => {
                    recordPending = false;
                    write(false);
                  });
                }
                return callback(...results);
              });
            };
    }
    return addService.call(this, service, timed);
  };
  proto.addService.timed = true;
}

/** Per method: [count, summed latency, time with at least one call in flight, first start, last end] (ms, epoch). */
function rpcSummary() {
  return Object.fromEntries(
    Object.entries(calls).map(([method, spans]) => {
      const sorted = [...spans].sort((a, b) => a[0] - b[0]);
      let busy = 0;
      let [from, to] = sorted[0];
      for (const [s, e] of sorted) {
        if (s > to) {
          busy += to - from;
          from = s;
        }
        to = Math.max(to, e);
      }
      busy += to - from;
      const sum = spans.reduce((a, [s, e]) => a + e - s, 0);
      return [method, [spans.length, Math.round(sum), Math.round(busy), Math.round(epoch(sorted[0][0])), Math.round(epoch(to))]];
    }),
  );
}

/** What this process is: the Pulumi program, a policy pack, or a plugin such as the language host. */
function kind() {
  const script = process.argv[1] ?? "";
  if (/cmd[\\/]run[\\/]?(index\.js)?$/.test(script)) return "program";
  if (/cmd[\\/]run-(plugin|policy-pack)/.test(script)) return "policy";
  return path.basename(script);
}

function write(exited) {
  if (!out) return;
  const round = (v) => Math.round(v);
  const top = Object.entries(packages)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([p, t]) => [p, round(t)]);
  const record = {
    pid: process.pid,
    kind: kind(),
    start: round(epoch(0)),
    exit: exited ? round(epoch(performance.now())) : undefined,
    boot: round(loadedAt),
    entry: entry && path.basename(path.dirname(entry)) + path.sep + path.basename(entry),
    entryStart: entryStart === undefined ? undefined : round(entryStart),
    entryEnd: entryEnd === undefined ? undefined : round(entryEnd),
    ...Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, round(v)])),
    top,
    rpc: rpcSummary(),
  };
  fs.appendFileSync(out, `${JSON.stringify(record)}\n`);
}
process.on("exit", () => write(true));
