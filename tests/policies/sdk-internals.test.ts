/**
 * The SDK internals the policy pack relies on (policies/lib/policy-sdk-internals.ts), each checked on its
 * own so an upgrade of @pulumi/policy or @grpc/grpc-js that breaks one fails here, naming it.
 */
import { onConfigureStack, rawProps, UNKNOWN_SENTINELS } from "../../policies/lib/policy-sdk-internals";

const grpc = require("@grpc/grpc-js");
const pb = require("@pulumi/pulumi/proto/analyzer_pb");

test("the installed SDKs are the versions policies/lib/policy-sdk-internals.ts was checked against (re-check the module, then move the pin)", () => {
  expect(require("@pulumi/policy/package.json").version).toBe("v1.21.0");
  expect(require("@grpc/grpc-js/package.json").version).toBe("1.14.7");
});

test("the policy SDK still exports seven distinct unknown-value sentinels", () => {
  expect([...UNKNOWN_SENTINELS].every((s) => typeof s === "string" && s.length > 0)).toBe(true);
  expect(UNKNOWN_SENTINELS.size).toBe(7);
});

test("rawProps reaches through the SDK's unknown-checking proxy to the plain object", () => {
  const { unknownCheckingProxy } = require("@pulumi/policy/proxy");
  const target = { spec: { replicas: 3 } };
  const wrapped = unknownCheckingProxy(target);
  expect(rawProps(wrapped)).toBe(target);
  expect(rawProps(undefined)).toEqual({});
});

test("onConfigureStack sees the stack and configuration of a ConfigureStack request, and the SDK's own handler still runs", () => {
  const original = grpc.Server.prototype.addService;
  const registered: Array<Record<string, any>> = [];
  grpc.Server.prototype.addService = (_service: unknown, impl: Record<string, any>) => registered.push(impl);
  try {
    const seen: Array<[string, Record<string, string>]> = [];
    onConfigureStack((stack, config) => seen.push([stack, config]));
    const inner = jest.fn();
    new grpc.Server().addService({}, { configureStack: inner });
    const req = new pb.AnalyzerStackConfigureRequest();
    req.setStack("prod");
    req.getConfigMap().set("platform:environment", "prod");
    registered[0].configureStack({ request: req }, "callback");
    expect(seen).toEqual([["prod", { "platform:environment": "prod" }]]);
    expect(inner).toHaveBeenCalledWith({ request: req }, "callback");
  } finally {
    grpc.Server.prototype.addService = original;
  }
});
