/**
 * What `pulumi preview` pays before the program registers anything: the health checks' client
 * libraries load only when a check runs, never at a preview.
 */
import { execFileSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

describe("health check clients at preview", () => {
  const CLIENTS = ["ioredis", "kafkajs", "pg", "@clickhouse/client", "grpc-health-check"];

  /** The client packages loaded in a fresh process after `script` ran. */
  function loadedAfter(script: string): string[] {
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", `${script};
      const loaded = Object.keys(require.cache).map((f) => ${JSON.stringify(CLIENTS)}.find((c) => f.includes("/node_modules/" + c + "/"))).filter(Boolean);
      console.log(JSON.stringify([...new Set(loaded)]));`], { cwd: ROOT, encoding: "utf8" });
    return (JSON.parse(out.trim().split("\n").pop()!) as string[]).sort();
  }

  it("building the platform's components loads none of them", () => {
    expect(loadedAfter(`require("./components/platform")`)).toEqual([]);
  });

  it("the health API loads none of them until a check runs", () => {
    expect(loadedAfter(`require("./health")`)).toEqual([]);
  });

  it("a check loads its own client and no other", () => {
    expect(loadedAfter(`require("./health/checks").checkFor({ kind: "redis" })`)).toEqual(["ioredis"]);
    expect(loadedAfter(`require("./health/checks").checkFor({ kind: "kafka" })`)).toEqual(["kafkajs"]);
    expect(loadedAfter(`require("./health/checks").checkFor({ kind: "grpc" })`)).toEqual(["grpc-health-check"]);
  });
});
