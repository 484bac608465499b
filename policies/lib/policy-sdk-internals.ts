/**
 * Every place the policy pack relies on internals of its SDKs, in one module. Pinned to
 * @pulumi/policy 1.21.0 (its package.json says v1.21.0) and @grpc/grpc-js 1.14.7: tests/policies/sdk-internals.test.ts fails, naming
 * what moved, when an upgrade breaks one of them. The loader switch in policies/index.js (ts-node's
 * registration symbol) is the one left outside: it runs before TypeScript can be loaded.
 */
// Internal to @pulumi/policy (its typings leave the module out), hence require().
const proxy: Record<string, string> = require("@pulumi/policy/proxy");

/** The policy SDK's sentinels for values the engine does not know yet (preview of a create). */
export const UNKNOWN_SENTINELS: ReadonlySet<unknown> = new Set<unknown>([
  proxy.unknownBooleanValue,
  proxy.unknownNumberValue,
  proxy.unknownStringValue,
  proxy.unknownArrayValue,
  proxy.unknownAssetValue,
  proxy.unknownArchiveValue,
  proxy.unknownObjectValue,
]);

/** The SDK wraps props in a proxy that throws on unknown values; the rules read the plain target. */
export function rawProps(props: any): Record<string, any> {
  return (props && props[proxy.getSpecialProxyTarget]) ?? props ?? {};
}

/**
 * Calls `listener` with the stack name and configuration the engine sends in ConfigureStack.
 * @pulumi/policy 1.21 answers that call but reads only the stack tags from it; a language host that
 * does not pass the configuration to the pack's environment (PULUMI_CONFIG) leaves this as the only
 * way for the pack to learn its stack. Wraps the handler when the SDK registers its gRPC service.
 */
export function onConfigureStack(listener: (stack: string, config: Record<string, string>) => void): void {
  const grpc = require("@grpc/grpc-js");
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service: unknown, impl: Record<string, any>) {
    const inner = impl?.configureStack;
    if (typeof inner !== "function") return addService.call(this, service, impl);
    const configureStack = (call: any, callback: unknown) => {
      try {
        const req = call.request;
        const config: Record<string, string> = {};
        req.getConfigMap().forEach((v: string, k: string) => (config[k] = v));
        listener(req.getStack(), config);
      } catch {
        // An older engine without these fields: keep the environment decided at start.
      }
      return inner(call, callback);
    };
    return addService.call(this, service, { ...impl, configureStack });
  };
}
