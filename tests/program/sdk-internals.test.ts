/**
 * The Pulumi SDK internals the program under mocks relies on (policies/lib/pulumi-sdk-internals.ts), each checked
 * on its own so an SDK upgrade that breaks one fails here, naming it, rather than somewhere deep in
 * a stack's test.
 */
import * as pulumi from "@pulumi/pulumi";
import { PINNED_SDK_VERSION, Recorded, recordRequests, unwrapSecrets } from "../../policies/lib/pulumi-sdk-internals";

test("the installed @pulumi/pulumi is the version policies/lib/pulumi-sdk-internals.ts was checked against (re-check the module, then move the pin)", () => {
  expect(require("@pulumi/pulumi/package.json").version).toBe(PINNED_SDK_VERSION);
});

test("the SDK still exports its secret wire marker, and unwrapSecrets removes it at any depth", () => {
  expect(pulumi.runtime.specialSigKey).toMatch(/^[0-9a-f]{32}$/);
  expect(pulumi.runtime.specialSecretSig).toMatch(/^[0-9a-f]{32}$/);
  const wire = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });
  expect(unwrapSecrets(pulumi, { a: wire({ b: [wire("x")] }), c: 1 })).toEqual({ a: { b: ["x"] }, c: 1 });
});

test("under setMocks the monitor takes hook registrations and the RegisterResourceRequest still carries hooks, dependencies, protection and aliases", async () => {
  const requests = new Map<string, Recorded>();
  await new Promise<void>((done, fail) => {
    jest.isolateModules(() => {
      const p: typeof pulumi = require("@pulumi/pulumi");
      p.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "project", "stack", false);
      const monitor = p.runtime.getMonitor();
      expect(typeof monitor?.registerResource).toBe("function");
      recordRequests(monitor, requests);
      class Part extends p.ComponentResource {
        constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
          super("test:index:Part", name, {}, opts);
          this.registerOutputs({});
        }
      }
      const hook = new p.ResourceHook("checks", async () => undefined);
      class Thing extends p.CustomResource {
        constructor(name: string) {
          super("test:index:Thing", name, {});
        }
      }
      const first = new Thing("first");
      new Part("second", { dependsOn: [first], protect: true, retainOnDelete: true, aliases: [{ name: "old-second" }], hooks: { beforeCreate: [hook] } });
      first.urn.apply(() => setTimeout(() => p.runtime.disconnect().then(done, fail), 100));
    });
  });
  const second = requests.get("test:index:Part::second")!;
  expect(second).toMatchObject({ hooks: { beforeCreate: ["checks"] }, protect: true, retainOnDelete: true, urn: "urn:pulumi:stack::project::test:index:Part::second" });
  expect(second.aliases).toEqual(["urn:pulumi:stack::project::test:index:Part::old-second"]);
  expect(second.dependsOn).toEqual([requests.get("test:index:Thing::first")!.urn]);
});
