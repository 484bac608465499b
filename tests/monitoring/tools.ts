/**
 * The real monitoring tools (built by scripts/monitoring/install.sh), temp dirs and free loopback
 * ports for the monitoring tests.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../../config/load";
import type { PlatformConfig } from "../../config/schema";
import { stackConfig, Stack } from "../helpers/program";

export const TOOLS_BIN = path.join(process.env.MONITORING_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "platform-monitoring-tools"), "bin");

export function tool(name: "prometheus" | "promtool" | "alertmanager" | "amtool"): string {
  const file = path.join(TOOLS_BIN, name);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/monitoring/install.sh`);
  return file;
}

export interface RunResult {
  status: number | null;
  output: string;
}

export function run(bin: string, args: string[], cwd?: string): RunResult {
  const r = spawnSync(bin, args, { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A stack's configuration as the program sees it: the stack file through the schema. */
export function platformConfig(stack: Stack): PlatformConfig {
  return parseConfig(stackConfig(stack));
}

/** A service-account directory with placeholder token and CA, as a pod would have mounted. */
export function fakeServiceAccountDir(): string {
  const dir = tempDir("sa");
  fs.writeFileSync(path.join(dir, "token"), "placeholder-token\n");
  fs.writeFileSync(path.join(dir, "ca.crt"), "placeholder-ca\n");
  return dir;
}
