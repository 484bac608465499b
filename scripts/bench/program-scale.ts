/**
 * Benchmark (not a test): builds the prod program under mocks with 4, 16 and 64 gRPC services and
 * prints the registered resource count and wall time of each, so growth can be seen to be linear.
 * Each size runs in its own process so every run starts with a clean Pulumi runtime.
 *   npx ts-node --transpile-only scripts/bench/program-scale.ts
 */
import { execFileSync } from "child_process";
import { runProgram } from "../../policies/lib/program-under-mocks";

const SIZES = [4, 16, 64];

async function measure(services: number): Promise<{ services: number; resources: number; ms: number; heapMiB: number }> {
  const start = process.hrtime.bigint();
  const run = await runProgram("prod", {
    override: (c) => {
      // Room for every added service at its peak, so the quota rule admits the larger platform.
      c.quota = { cpu: "1000", memory: "2Ti", pods: 2000 };
      for (let i = Object.keys(c.services).length; i < services; i++) {
        c.services[`extra-${i}`] = {
          image: `registry.example.com/platform/extra-${i}:1.0.0`,
          port: 50054 + i,
          replicas: { min: 2, max: 4 },
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
          uses: [{ target: "redis", env: "REDIS_ADDR" }],
        };
      }
    },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { services, resources: run.resources.length, ms: Math.round(ms), heapMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20) };
}

async function main(): Promise<void> {
  const one = process.argv.indexOf("--services");
  if (one > 0) {
    console.log(JSON.stringify(await measure(Number(process.argv[one + 1]))));
    return;
  }
  const rows = SIZES.map((n) =>
    JSON.parse(
      execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--services", String(n)], { encoding: "utf8" })
        .trim()
        .split("\n")
        .pop()!,
    ),
  );
  console.log("services  resources  wall ms  ms/resource  heap MiB");
  for (const r of rows) {
    console.log(
      `${String(r.services).padStart(8)}  ${String(r.resources).padStart(9)}  ${String(r.ms).padStart(7)}  ${(r.ms / r.resources).toFixed(2).padStart(11)}  ${String(r.heapMiB).padStart(8)}`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
