/**
 * The Postgres pod's postStart hook against a real server: after a rotation the role accepts the
 * Secret's new password over the network and no longer the old one. The server is set up like the
 * image's: trust on the local socket, passwords (scram) over TCP; initdb with the old password.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setTimeout as sleep } from "timers/promises";
import { SYNC_ROLE_PASSWORD } from "../../components/datastores/postgres";
import { freePort, HOST } from "../../scripts/servers/run";

const PG_ROOT = "/usr/lib/postgresql";
const available = fs.existsSync(PG_ROOT);
// Postgres refuses to run as root: as root, run it as the unprivileged user scripts/servers/install.sh creates.
const TEST_USER = "platform-test";
const asUser = (cmd: string, args: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ["setpriv", [`--reuid=${TEST_USER}`, `--regid=${TEST_USER}`, "--init-groups", cmd, ...args]] : [cmd, args];

(available ? describe : describe.skip)("rotating the Postgres password on a running server", () => {
  const bin = available ? path.join(PG_ROOT, fs.readdirSync(PG_ROOT).sort().pop()!, "bin") : "";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-rotation-"));
  const OLD = "Old-Initdb-Password-1";
  const NEW = "New-Rotated-Pass'word-2";
  let server: ChildProcess;
  let port: number;

  beforeAll(async () => {
    fs.chmodSync(dir, 0o777);
    fs.writeFileSync(path.join(dir, "pwfile"), OLD, { mode: 0o644 });
    const [initdb, initArgs] = asUser(path.join(bin, "initdb"), [
      "-D",
      path.join(dir, "data"),
      "-U",
      "platform",
      `--pwfile=${path.join(dir, "pwfile")}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--no-sync",
    ]);
    execFileSync(initdb, initArgs, { stdio: "pipe" });
    port = await freePort();
    const [pg, pgArgs] = asUser(path.join(bin, "postgres"), ["-D", path.join(dir, "data"), "-p", String(port), "-k", dir, "-c", `listen_addresses=${HOST}`, "-c", "fsync=off"]);
    server = spawn(pg, pgArgs, { stdio: "ignore" });
  });

  afterAll(async () => {
    server?.kill("SIGINT");
    await sleep(500);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Logs in over TCP with a password, as clients do; true when the server accepts it. */
  function login(password: string): boolean {
    try {
      execFileSync(path.join(bin, "psql"), ["-X", "-h", HOST, "-p", String(port), "-U", "platform", "-d", "postgres", "-c", "SELECT 1"], { env: { PGPASSWORD: password }, stdio: "pipe" });
      return true;
    } catch {
      return false;
    }
  }

  test("the hook waits for the server, then the new password works and the old one no longer does", async () => {
    for (let i = 0; !login(OLD); i++) {
      if (i >= 50) throw new Error("the server did not accept the initdb password");
      await sleep(200);
    }
    // The pod's paths and port, pointed at this server.
    const hook = SYNC_ROLE_PASSWORD.replaceAll("/var/run/postgresql", dir).replaceAll("5432", String(port));
    execFileSync("sh", ["-c", hook], { env: { PATH: `${bin}:${process.env.PATH}`, POSTGRES_USER: "platform", POSTGRES_PASSWORD: NEW }, stdio: "pipe", timeout: 60_000 });
    expect(login(NEW)).toBe(true);
    expect(login(OLD)).toBe(false);
  });

  test("readiness on TCP is false for a server that listens on the socket only, as the image's initdb server does", async () => {
    const initDir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-init-"));
    fs.chmodSync(initDir, 0o777);
    const initPort = await freePort();
    execFileSync(...asUser(path.join(bin, "initdb"), ["-D", path.join(initDir, "data"), "-U", "platform", "--auth-local=trust", "--no-sync"]), { stdio: "pipe" });
    const [pg, pgArgs] = asUser(path.join(bin, "postgres"), ["-D", path.join(initDir, "data"), "-p", String(initPort), "-k", initDir, "-c", "listen_addresses=", "-c", "fsync=off"]);
    const initServer = spawn(pg, pgArgs, { stdio: "ignore" });
    const ready = (host: string) => {
      try {
        execFileSync(path.join(bin, "pg_isready"), ["-q", "-h", host, "-p", String(initPort)], { stdio: "pipe" });
        return true;
      } catch {
        return false;
      }
    };
    try {
      for (let i = 0; !ready(initDir); i++) {
        if (i >= 50) throw new Error("the socket-only server did not start");
        await sleep(200);
      }
      // The liveness probe (socket) passes, the readiness probe (TCP) does not.
      expect([ready(initDir), ready("127.0.0.1")]).toEqual([true, false]);
    } finally {
      initServer.kill("SIGINT");
      await sleep(500);
      fs.rmSync(initDir, { recursive: true, force: true });
    }
  });

  test("running it again (a restart without a rotation) keeps the password working", () => {
    const hook = SYNC_ROLE_PASSWORD.replaceAll("/var/run/postgresql", dir).replaceAll("5432", String(port));
    execFileSync("sh", ["-c", hook], { env: { PATH: `${bin}:${process.env.PATH}`, POSTGRES_USER: "platform", POSTGRES_PASSWORD: NEW }, stdio: "pipe", timeout: 60_000 });
    expect(login(NEW)).toBe(true);
  });
});
