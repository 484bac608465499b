/** The fast command: same rules over the stack under mocks, a table, exit code 1 on mandatory violations. */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { packConfig, runCheck } from "../../policies/check";
import { tempDir } from "../helpers/temp";

const isolate = (load: () => void) => jest.isolateModules(load);

test("prod passes: no violation, the four reasoned exemptions listed with their reasons", async () => {
  const { output, exitCode } = await runCheck({ stack: "prod", exemptions: true, isolate });
  expect(exitCode).toBe(0);
  expect(output).toMatch(/^policy check of stack prod: 34 rules over \d+ resources, prod enforcement levels \(stack config platform:environment\)/);
  expect(output).toContain("reason: one Grafana instance with an embedded database");
  expect(output.trim().split("\n").pop()).toBe("0 mandatory, 0 advisory, 4 exempted");
});

test("dev reports advisory violations and still exits 0", async () => {
  const { output, exitCode } = await runCheck({ stack: "dev", exemptions: true, isolate });
  expect(exitCode).toBe(0);
  expect(output).toContain("│ advisory  │ log-level");
  expect(output.trim().split("\n").pop()).toMatch(/^0 mandatory, [1-9]\d* advisory, 4 exempted$/);
});

test("--no-exemptions makes the exempted findings mandatory violations and exits 1; --json gives them as data", async () => {
  const { output, exitCode } = await runCheck({ stack: "prod", exemptions: false, json: true, isolate });
  expect(exitCode).toBe(1);
  const result = JSON.parse(output);
  expect(result.environment.environment).toBe("prod");
  expect(result.violations.map((v: any) => `${v.level} ${v.rule} ${v.name}`).sort()).toEqual([
    "mandatory container-read-only-root-filesystem kafka",
    "mandatory workload-autoscaling grafana",
    "mandatory workload-autoscaling kafka-exporter",
    "mandatory workload-autoscaling kube-state-metrics",
  ]);
});

test("a pack config file sets levels and parameters like --policy-pack-config", () => {
  const file = path.join(tempDir("policy"), "config.json");
  fs.writeFileSync(file, JSON.stringify({ "workload-autoscaling": { minReplicas: 3 }, "exemption-annotations": "advisory" }));
  expect(packConfig({ config: file, exemptions: true })).toEqual({ "workload-autoscaling": { minReplicas: 3 }, "exemption-annotations": "advisory" });
  expect(packConfig({ config: file, exemptions: false })["exemption-annotations"]).toEqual({ enforcementLevel: "advisory", allowAnnotations: false });
});

test("the npm script runs as a command and fails on mandatory violations", async () => {
  const root = path.resolve(__dirname, "..", "..");
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "policies/check.ts", ...args], { cwd: root }, (err, stdout) =>
        resolve({ code: err ? Number((err as any).code) : 0, stdout }),
      ),
    );
  const strict = await run(["--stack", "prod", "--no-exemptions"]);
  expect(strict.code).toBe(1);
  expect(strict.stdout.trim().split("\n").pop()).toBe("4 mandatory, 0 advisory, 0 exempted");
  expect(strict.stdout).toContain("│ mandatory │ workload-autoscaling");
});
