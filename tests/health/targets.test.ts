/** The targets file: what an operator sees when it is wrong. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTargetsFile, parseTargets } from "../../health";
import { addressOf } from "../../health/targets";

const SECRET = "Sup3r-secret-pw";
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "health-targets-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string): () => unknown {
  const path = join(dir, "targets.yaml");
  writeFileSync(path, text);
  return () => loadTargetsFile(path);
}

const head = "targets:\n  - kind: redis\n    name: redis\n    host: redis.internal\n    port: 6379\n";

describe("a YAML syntax error names the file and the line, never a value", () => {
  test.each([
    // The parser notices an unclosed quote at the end of the file.
    ["an unclosed quote in the password", `${head}    password: "${SECRET}\n`, 7],
    ["a mis-indented key after the password", `${head}    password: ${SECRET}\n   username: app: x\n`, 7],
    ["an invalid escape inside the password", `${head}    password: "${SECRET}\\q"\n`, 6],
    ["a duplicate password key", `${head}    password: ${SECRET}\n    password: ${SECRET}2\n`, 7],
    ["an unclosed flow mapping", `targets: [ { kind: redis, password: ${SECRET} }\n`, 2],
  ])("%s", (_, text, line) => {
    const run = load(text);
    expect(run).toThrow(join(dir, "targets.yaml"));
    expect(run).toThrow(`line ${line}, column`);
    expect(run).toThrow(/is not valid YAML/);
    expect(run).not.toThrow(SECRET.slice(0, 6));
  });

  test("an alias without its anchor is refused without naming it", () => {
    const run = load(`${head}    password: *${SECRET}\n`);
    expect(run).toThrow(/is not valid YAML/);
    expect(run).not.toThrow(SECRET.slice(0, 6));
  });
});

test.each([
  ["a numeric password", `${head}    password: 12345678901\n`, "targets.0.password", "12345678901"],
  ["a misspelt password key", `${head}    passwd: ${SECRET}\n`, "targets.0", SECRET],
  ["a password given as a list", `${head}    password: [${SECRET}]\n`, "targets.0.password", SECRET],
  ["an unknown kind next to a password", `targets:\n  - { kind: memcached, name: m, host: m, port: 1, password: ${SECRET} }\n`, "targets.0.kind", SECRET],
])("an invalid field (%s) is named by its path, its value is not printed", (_, text, path, value) => {
  const run = load(text);
  expect(run).toThrow(path);
  expect(run).toThrow(/is not a valid targets file/);
  expect(run).not.toThrow(value);
});

test("a number where text is expected says to quote it", () => {
  expect(load(`${head}    password: 12345678901\n`)).toThrow("targets.0.password: Invalid input: expected string, received number (quote the value to make it text)");
});

describe("host is a host name or an IP address, nothing more", () => {
  const target = (host: string) => ({ kind: "grafana" as const, name: "grafana", host, port: 3000 });
  test.each(["127.0.0.1:3000", "grafana:3000", "http://grafana", "grafana.platform.svc/", "[::1]", "", "-grafana"])("%j is refused naming the field", (host) => {
    expect(() => parseTargets([target(host)])).toThrow(/host.*is not a host name or IP address; give it without port or scheme/s);
  });

  test.each(["127.0.0.1", "::1", "localhost", "grafana.platform.svc.cluster.local", "grafana.platform.svc.cluster.local."])("%j is accepted", (host) => {
    expect(parseTargets([target(host)])[0].host).toBe(host);
  });

  test("clients get IPv6 addresses in brackets", () => {
    expect(addressOf({ host: "::1", port: 3000 })).toBe("[::1]:3000");
    expect(addressOf({ host: "127.0.0.1", port: 3000 })).toBe("127.0.0.1:3000");
  });
});
