/**
 * The archives are what containerd imports: a private containerd (its own root, state and socket
 * under a temporary directory, CRI off) takes each one with `ctr images import --base-name` and
 * lists it under the reference images.tsv gives, with every blob in its content store.
 */
import { ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { CACHE } from "./pods";

jest.setTimeout(300_000);
const run = promisify(execFile);

const dir = mkdtempSync(join(tmpdir(), "images-containerd-"));
const socket = join(dir, "containerd.sock");
let containerd: ChildProcess;
const ctr = (...args: string[]) => run("ctr", ["--address", socket, "-n", "k8s.io", ...args], { maxBuffer: 16 << 20 });

beforeAll(async () => {
  writeFileSync(
    join(dir, "config.toml"),
    [
      "version = 2",
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      `[grpc]\naddress = "${socket}"`,
      `[ttrpc]\naddress = "${socket}.ttrpc"`,
      `[debug]\naddress = ""`,
      `[metrics]\naddress = ""`,
    ].join("\n"),
  );
  containerd = spawn("containerd", ["--config", join(dir, "config.toml")], { stdio: "ignore" });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(100);
  await ctr("version");
});

afterAll(async () => {
  containerd?.kill("SIGTERM");
  await new Promise((resolve) => (containerd?.exitCode !== null ? resolve(undefined) : containerd.once("exit", resolve)));
  // Snapshots are overlay mounts only while containers run; none ran.
  rmSync(dir, { recursive: true, force: true });
});

const listed = existsSync(join(CACHE, "images.tsv"))
  ? readFileSync(join(CACHE, "images.tsv"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split("\t"))
  : [];

test("images have been built", () => {
  expect(listed.length).toBeGreaterThan(0);
});

test.each(listed)("%s imports as %s", async (_name, ref, archive) => {
  await ctr("images", "import", "--base-name", ref.slice(0, ref.lastIndexOf(":")), archive);
  const { stdout } = await ctr("images", "ls", "-q");
  expect(stdout.split("\n")).toContain(ref);
  // complete: the manifest, config and every layer arrived.
  const { stdout: check } = await ctr("images", "check", `name==${ref}`);
  expect(check).toMatch(/complete/);
});
