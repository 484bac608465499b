/**
 * Bad configuration stops the program before any resource is registered, with one line per
 * problem naming the key, the value given and what is allowed.
 */
import { runProgram } from "../helpers/program";

type Edit = (c: Record<string, any>) => void;

const svc = (c: Record<string, any>, name = "gateway") => c.services[name];

const cases: Array<{ what: string; stack?: "dev" | "prod"; edit: Edit; key: string; value: string; allowed: RegExp }> = [
  { what: "speed out of range", edit: (c) => (c.app.maxSpeedKmh = 400), key: "platform:app.maxSpeedKmh", value: "400", allowed: /between 1 and 300 km\/h/ },
  { what: "speed of the wrong type", edit: (c) => (c.app.maxSpeedKmh = "fast"), key: "platform:app.maxSpeedKmh", value: '"fast"', allowed: /expected number/ },
  { what: "malformed duration", edit: (c) => (c.app.maxTimeDiff = "12 hours"), key: "platform:app.maxTimeDiff", value: '"12 hours"', allowed: /Go duration/ },
  { what: "duration out of range", edit: (c) => (c.app.maxTimeDiff = "72h"), key: "platform:app.maxTimeDiff", value: '"72h"', allowed: /between 1m and 48h/ },
  { what: "min replicas above max", edit: (c) => (svc(c).replicas = { min: 5, max: 3 }), key: "platform:services.gateway.replicas.min", value: "5", allowed: /min replicas no greater than max/ },
  {
    what: "latest tag in prod",
    edit: (c) => (svc(c).image = "registry.example.com/platform/gateway:latest"),
    key: "platform:services.gateway.image",
    value: "gateway:latest",
    allowed: /not 'latest'/,
  },
  { what: "untagged image", edit: (c) => (c.redis.image = "redis"), key: "platform:redis.image", value: '"redis"', allowed: /pinned to a tag or digest/ },
  { what: "unknown key", edit: (c) => (c.replicaCount = 3), key: "platform:replicaCount", value: "a value (not shown", allowed: /no such key/ },
  { what: "unknown nested key", edit: (c) => (svc(c).replicas.desired = 2), key: "platform:services.gateway.replicas.desired", value: "a value (not shown", allowed: /no such key/ },
  { what: "missing image", edit: (c) => delete svc(c, "learning-api").image, key: "platform:services.learning-api.image", value: "nothing (key missing)", allowed: /an image reference/ },
  { what: "bad port", edit: (c) => (svc(c).port = 70000), key: "platform:services.gateway.port", value: "70000", allowed: /between 1 and 65535/ },
  { what: "duplicate port", edit: (c) => (svc(c, "learning-api").port = 50051), key: "platform:services.learning-api.port", value: "50051", allowed: /not already used by refinement-api/ },
  { what: "missing required section", edit: (c) => delete c.environment, key: "platform:environment", value: "nothing (key missing)", allowed: /a value is required/ },
  { what: "unknown environment", edit: (c) => (c.environment = "staging"), key: "platform:environment", value: '"staging"', allowed: /"dev"\|"prod"/ },
  { what: "prod Kafka replication below 2", edit: (c) => (c.kafka.topics[0].replicationFactor = 1), key: "platform:kafka.topics.0.replicationFactor", value: "1", allowed: /at least 2 in prod/ },
  {
    what: "replication above broker count",
    stack: "dev",
    edit: (c) => (c.kafka.topics[0].replicationFactor = 3),
    key: "platform:kafka.topics.0.replicationFactor",
    value: "3",
    allowed: /no larger than the broker count \(1\)/,
  },
  {
    what: "request above limit",
    edit: (c) => (svc(c).resources.requests.memory = "4Gi"),
    key: "platform:services.gateway.resources.requests.memory",
    value: '"4Gi"',
    allowed: /no larger than the limit \(512Mi\)/,
  },
  { what: "malformed memory quantity", edit: (c) => (c.redis.storage = "10 gigs"), key: "platform:redis.storage", value: '"10 gigs"', allowed: /memory quantity/ },
  {
    what: "dependency on an unknown service",
    edit: (c) => (svc(c).uses[0].target = "billing-api"),
    key: "platform:services.gateway.uses.0.target",
    value: '"billing-api"',
    allowed: /one of the services or datastores/,
  },
  { what: "no public service", edit: (c) => (svc(c).public = false), key: "platform:services", value: "gateway", allowed: /exactly one service with public: true/ },
  { what: "debug log level in prod", edit: (c) => (c.app.logLevel = "DEBUG"), key: "platform:app.logLevel", value: '"DEBUG"', allowed: /INFO or WARN in prod/ },
  { what: "debug endpoints in prod", edit: (c) => (c.app.debugEndpoints = true), key: "platform:app.debugEndpoints", value: "true", allowed: /false in prod/ },
  { what: "single broker in prod", edit: (c) => (c.kafka.brokers = 1), key: "platform:kafka.brokers", value: "1", allowed: /at least 3 brokers in prod/ },
  { what: "malformed cron schedule", edit: (c) => (c.postgres.backup.schedule = "hourly"), key: "platform:postgres.backup.schedule", value: '"hourly"', allowed: /cron schedule/ },
  { what: "default Grafana admin user", edit: (c) => (c.grafana.adminUser = "admin"), key: "platform:grafana.adminUser", value: '"admin"', allowed: /other than the default 'admin'/ },
  { what: "a reserved namespace", edit: (c) => (c.namespace = "kube-system"), key: "platform:namespace", value: '"kube-system"', allowed: /not default, kube-system/ },
  {
    what: "env redefining a generated variable",
    edit: (c) => (svc(c).env = { SERVER_PORT: "8080" }),
    key: "platform:services.gateway.env.SERVER_PORT",
    value: "not shown",
    allowed: /already written by the program/,
  },
  { what: "a quota the peak does not fit", edit: (c) => (c.quota.cpu = "16"), key: "platform:quota.cpu", value: '"16"', allowed: /at least 57 cores/ },
  {
    what: "a CPU limit over the LimitRange",
    stack: "dev",
    edit: (c) => (c.redis.resources.limits.cpu = "250"),
    key: "platform:redis.resources.limits.cpu",
    value: '"250"',
    allowed: /at most 4 cores/,
  },
  {
    what: "image and build both set",
    edit: (c) => (svc(c).build = { context: "./services/gateway", repository: "registry.example.com/platform/gateway" }),
    key: "platform:services.gateway.build",
    value: "context",
    allowed: /either `image` or `build`/,
  },
];

describe("configuration validation", () => {
  test.each(cases)("$what", async ({ stack = "prod", edit, key, value, allowed }) => {
    const error = await runProgram(stack, edit).then(
      () => undefined,
      (e: Error & { registered?: number }) => e,
    );
    expect(error).toBeDefined();
    expect(error!.name).toBe("ConfigError");
    expect(error!.registered).toBe(0);
    const line = error!.message.split("\n").find((l) => l.includes(`${key}:`));
    expect(line).toBeDefined();
    expect(line).toContain(`got `);
    expect(line).toContain(value);
    expect(line).toMatch(allowed);
  });

  test("a weak secret override is rejected without echoing it", async () => {
    const error = await runProgram("prod", (c) => (c.redisPassword = "password123")).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/platform:redisPassword: got \[secret\]; allowed: .*(at least 16|weak password)/);
    expect(message).not.toContain("password123");
  });

  test("a JWT secret override shorter than 256 bits is rejected", async () => {
    const error = await runProgram("prod", (c) => (c.jwtSecret = "Zq8xv2Lm4Np6Rt0Y")).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/platform:jwtSecret: got \[secret\]; allowed: a JWT secret of at least 256 bits/);
  });

  test("every problem is reported at once", async () => {
    const error = await runProgram("prod", (c) => {
      c.app.maxSpeedKmh = 0;
      c.redis.image = "redis:latest";
      c.kafka.brokers = 2;
    }).catch((e: Error) => e);
    const lines = (error as Error).message.split("\n").filter((l) => l.trim().startsWith("- "));
    expect(lines.map((l) => l.split(":").slice(0, 2).join(":").trim())).toEqual(expect.arrayContaining(["- platform:app.maxSpeedKmh", "- platform:redis.image", "- platform:kafka.brokers"]));
  });

  test.each(["dev", "prod"] as const)("the %s stack file is valid", async (stack) => {
    const run = await runProgram(stack);
    expect(run.resources.length).toBeGreaterThan(50);
  });
});
