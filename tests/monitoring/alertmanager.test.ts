/**
 * The generated alertmanager.yml: clean under amtool for both stacks, critical alerts to the pager
 * and warnings to chat and e-mail, credentials only as files; and a real Alertmanager on loopback
 * delivering a warning to a Slack webhook whose URL it read from the mounted secret file.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { alertmanagerConfig, alertmanagerConfigYaml, RECEIVERS } from "../../monitoring-config/alertmanager-config";
import { RECEIVER_SECRET_KEYS } from "../../monitoring-config/endpoints";
import { metricSources } from "../../monitoring-config/metric-sources";
import { freePort, platformConfig, run, tempDir, tool } from "./tools";

/** A receivers Secret as mounted: one file per key. */
function secretsDir(values: Partial<Record<keyof typeof RECEIVER_SECRET_KEYS, string>> = {}): string {
  const dir = tempDir("am-secrets");
  for (const [key, file] of Object.entries(RECEIVER_SECRET_KEYS)) {
    fs.writeFileSync(path.join(dir, file), values[key as keyof typeof RECEIVER_SECRET_KEYS] ?? `placeholder-${file}`);
  }
  return dir;
}

describe.each(["dev", "prod"] as const)("%s stack", (stack) => {
  const c = platformConfig(stack).alertmanager;
  const dir = tempDir("am-config");
  const file = path.join(dir, "alertmanager.yml");
  const secrets = secretsDir();
  fs.writeFileSync(file, alertmanagerConfigYaml({ slackChannel: c.slackChannel, email: c.email, secretsDir: secrets }));
  afterAll(() => [dir, secrets].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test("amtool check-config accepts it", () => {
    const r = run(tool("amtool"), ["check-config", file]);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.output).toMatch(/2 receivers/);
    expect(r.status).toBe(0);
  });

  test.each([
    ["severity=critical", RECEIVERS.pager],
    ["severity=warning", RECEIVERS.chatAndEmail],
    ["alertname=Unlabelled", RECEIVERS.chatAndEmail],
  ])("routes %s to %s", (labels, receiver) => {
    const r = run(tool("amtool"), ["config", "routes", "test", `--config.file=${file}`, "alertname=X", labels]);
    expect(r.status).toBe(0);
    expect(r.output.trim()).toBe(receiver);
  });
});

test("every receiver credential is a file in the secrets directory; the configuration holds none", () => {
  const cfg = alertmanagerConfig({ slackChannel: "#a", email: { to: "a@b.io", from: "c@b.io", smarthost: "smtp.b.io:587", authUsername: "c@b.io" }, secretsDir: "/s" }) as any;
  const pager = cfg.receivers.find((r: any) => r.name === RECEIVERS.pager);
  const chat = cfg.receivers.find((r: any) => r.name === RECEIVERS.chatAndEmail);
  expect(pager.pagerduty_configs[0].routing_key_file).toBe(`/s/${RECEIVER_SECRET_KEYS.pagerdutyRoutingKey}`);
  expect(chat.slack_configs[0].api_url_file).toBe(`/s/${RECEIVER_SECRET_KEYS.slackWebhookUrl}`);
  expect(chat.email_configs[0].auth_password_file).toBe(`/s/${RECEIVER_SECRET_KEYS.smtpPassword}`);
  const text = JSON.stringify(cfg);
  for (const inline of ['"routing_key"', '"service_key"', '"api_url"', '"auth_password"', '"slack_api_url"', '"auth_secret"']) expect(text).not.toContain(inline);
});

test("without an SMTP user, e-mail is sent without authentication and needs no password file", () => {
  const cfg = alertmanagerConfig({ slackChannel: "#a", email: { to: "a@b.io", from: "c@b.io", smarthost: "smtp.b.io:25" } }) as any;
  const email = cfg.receivers.find((r: any) => r.name === RECEIVERS.chatAndEmail).email_configs[0];
  expect(email.auth_username).toBeUndefined();
  expect(email.auth_password_file).toBeUndefined();
});

describe("a real Alertmanager with the generated configuration", () => {
  jest.setTimeout(120_000);
  let am: ChildProcess | undefined;
  let slack: http.Server | undefined;
  const received: Array<{ url: string; body: any }> = [];
  let dir = "";
  let secrets = "";
  let base = "";
  let log = "";

  beforeAll(async () => {
    const [amPort, slackPort, deadSmtpPort] = [await freePort(), await freePort(), await freePort()];
    slack = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        received.push({ url: req.url ?? "", body: JSON.parse(body) });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => slack!.listen(slackPort, "127.0.0.1", r));
    dir = tempDir("am-live");
    secrets = secretsDir({ slackWebhookUrl: `http://127.0.0.1:${slackPort}/services/T000/B000/placeholder` });
    const c = platformConfig("prod").alertmanager;
    const configFile = path.join(dir, "alertmanager.yml");
    fs.writeFileSync(configFile, alertmanagerConfigYaml({ slackChannel: c.slackChannel, email: { ...c.email, smarthost: `127.0.0.1:${deadSmtpPort}` }, secretsDir: secrets }));
    base = `http://127.0.0.1:${amPort}`;
    am = spawn(tool("alertmanager"), [`--config.file=${configFile}`, `--storage.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${amPort}`, "--cluster.listen-address="]);
    am.stdout!.on("data", (d) => (log += d));
    am.stderr!.on("data", (d) => (log += d));
  });

  afterAll(async () => {
    if (am && am.exitCode === null) {
      const exited = new Promise((r) => am!.once("exit", r));
      am.kill("SIGTERM");
      await exited;
    }
    await new Promise((r) => slack?.close(r));
    [dir, secrets].forEach((d) => d && fs.rmSync(d, { recursive: true, force: true }));
  });

  async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (am && am.exitCode !== null) throw new Error(`alertmanager exited (${am.exitCode}):\n${log.slice(-3000)}`);
      const v = await check().catch(() => undefined);
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`timed out waiting for ${what}; alertmanager log:\n${log.slice(-3000)}`);
  }

  test("delivers a warning to Slack through the URL from the secret file, and keeps the critical alert off chat", async () => {
    await until("/-/ready", 30_000, async () => ((await fetch(`${base}/-/ready`)).ok ? true : undefined));
    const alert = (name: string, severity: string) => ({
      labels: { alertname: name, severity, namespace: "platform", job: "gateway" },
      annotations: { summary: `${name} summary`, runbook_url: "docs/runbooks.md#alert-grpcerrorratehigh" },
      startsAt: new Date().toISOString(),
    });
    const posted = await fetch(`${base}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([alert("GrpcErrorRateHigh", "warning"), alert("GrpcServiceDown", "critical")]),
    });
    expect(posted.status).toBe(200);

    // group_wait is 30 s: the first notification of a new group leaves after it.
    const message = await until("a Slack message", 60_000, async () => received[0]);
    expect(message.url).toBe("/services/T000/B000/placeholder");
    expect(message.body.channel).toBe("#platform-alerts");
    const text = JSON.stringify(message.body);
    expect(text).toContain("GrpcErrorRateHigh summary");
    expect(text).toContain("Runbook: docs/runbooks.md#alert-grpcerrorratehigh");
    expect(received.map((m) => JSON.stringify(m.body)).join()).not.toContain("GrpcServiceDown");
  });

  test("exposes the metrics the catalogue lists for Alertmanager", async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const names = new Set([...text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1]));
    expect(metricSources().alertmanager.metrics.filter((m) => !names.has(m))).toEqual([]);
  });
});
