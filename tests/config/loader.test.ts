/**
 * The loader reads the whole stack configuration as the Pulumi runtime hands it over: root scalars
 * keep the text they were written as, the stack's name is checked against its environment (an
 * override is warned about), and the runtime's list of encrypted keys decides what is plain text.
 */
import { ConfigError, validateStack } from "../../config/load";
import { environmentOfStack } from "../../config/schema";
import { flatConfig, stackConfig } from "../helpers/program";

const prodAll = (edit: (c: Record<string, any>) => void = () => undefined) => {
  const c = stackConfig("prod") as Record<string, any>;
  edit(c);
  return flatConfig(c);
};
const secretKeysOf = (all: Record<string, string>) => Object.keys(all);
const problems = (all: Record<string, string>, stack = "prod", secretKeys = secretKeysOf(all)): string[] => {
  try {
    validateStack(all, { stack, secretKeys });
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
};

describe("root values keep their text", () => {
  test.each([
    ["namespace", "123"],
    ["namespace", "2024"],
    ["redisPassword", "83920174650298317465"],
    ["jwtSecret", "5830129746018273645091827364509182736450"],
  ])("%s: %s", (key, value) => {
    const { config } = validateStack(
      prodAll((c) => (c[key] = value)),
      { stack: "prod", secretKeys: [`platform:${key}`] },
    );
    expect((config as Record<string, unknown>)[key]).toBe(value);
  });

  test("a root boolean is still read as a boolean", () => {
    const { config } = validateStack(
      prodAll((c) => ((c.environment = "dev"), (c.allowEnvironmentMismatch = true))),
      { stack: "prod", secretKeys: [] },
    );
    expect(config.allowEnvironmentMismatch).toBe(true);
  });
});

describe("stack name and environment", () => {
  test.each([
    ["prod", "prod"],
    ["production", "prod"],
    ["eu-prod-2", "prod"],
    ["live", "prod"],
    ["dev", "dev"],
    ["alice-dev", "dev"],
    ["test", "dev"],
    ["local", "dev"],
    ["staging", undefined],
    ["qa", undefined],
    ["prod-to-dev-copy", undefined],
  ])("the name %s says %s", (stack, env) => expect(environmentOfStack(stack)).toBe(env));

  test("a mismatch is refused without the override and warned about with it", () => {
    const dev = prodAll((c) => (c.environment = "dev"));
    expect(problems(dev, "prod")).toEqual([expect.stringMatching(/^platform:environment: got "dev"; allowed: "prod", as the stack's name "prod" says.*allowEnvironmentMismatch: true$/)]);
    const allowed = prodAll((c) => ((c.environment = "dev"), (c.allowEnvironmentMismatch = true)));
    expect(validateStack(allowed, { stack: "prod", secretKeys: [] }).warnings).toEqual([expect.stringContaining('stack "prod" runs as environment "dev" although its name says "prod"')]);
  });

  test("no warning when the name and environment agree, or the name says nothing", () => {
    for (const stack of ["prod", "prod-eu", "staging"]) expect(validateStack(prodAll(), { stack, secretKeys: [] }).warnings).toEqual([]);
  });
});

describe("the runtime's encrypted keys", () => {
  const secret = "Kq7Wz2Lp9Xv4Nm8Rt3Yb";
  test.each(["redisPassword", "clickhousePassword", "postgresPassword", "grafanaAdminPassword"])("%s in plain text is refused without being shown", (key) => {
    const all = prodAll((c) => (c[key] = secret));
    const found = problems(all, "prod", []);
    expect(found).toEqual([`platform:${key}: got [secret] in plain text; allowed: a value set with \`pulumi config set --secret platform:${key} <value>\`, stored encrypted`]);
    expect(problems(all, "prod", [`platform:${key}`])).toEqual([]);
  });

  test("inside pulumi up: loadConfig asks the runtime which keys are encrypted, and logs nothing secret", () => {
    jest.isolateModules(() => {
      const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
      pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs }, "platform", "prod", false);
      const { loadConfig } = require("../../config/load") as typeof import("../../config/load");
      pulumi.runtime.setAllConfig(
        prodAll((c) => (c.redisPassword = secret)),
        [],
      );
      expect(() => loadConfig()).toThrow(/platform:redisPassword: got \[secret\] in plain text/);
      pulumi.runtime.setAllConfig(
        prodAll((c) => (c.redisPassword = secret)),
        ["platform:redisPassword"],
      );
      expect(loadConfig().redisPassword).toBe(secret);
      pulumi.runtime.setAllConfig({ ...prodAll(), "platfrom:redisPassword": secret }, ["platfrom:redisPassword"]);
      expect(() => loadConfig()).toThrow(/platfrom:redisPassword: got a value \(not shown.*did you mean platform:redisPassword\?/);
      expect(() => loadConfig()).not.toThrow(new RegExp(secret));
    });
  });
});

test("provider keys are accepted, any other namespace is refused", () => {
  const all = { ...prodAll(), "kubernetes:context": "kind-platform", "pulumi:tags": "{}", "random:x": "1", "postgres:user": "app", "platfomr:redis": "{}" };
  expect(
    problems(all)
      .map((p) => p.split(": got")[0])
      .sort(),
  ).toEqual(["platfomr:redis", "postgres:user"]);
});
