/**
 * Resource options for what holds the platform's data or the means to read it: the namespace, the
 * generated secrets (random values and the Secrets holding them), the Kafka cluster id, the
 * datastores' StatefulSets and the backup volume. With protection on (`platform:protectData`, on by
 * default in prod) Pulumi refuses to delete or replace them, so `pulumi destroy`, a rename without an
 * alias or a change that forces a replacement stops with an error naming the resource instead of
 * losing data or a password the data on a volume still expects.
 *
 * `retain` adds retainOnDelete to Kubernetes objects that should outlive the stack once an operator
 * has unprotected it (README "Tearing down a prod stack"): the namespace, the backup volume and the
 * credentials stay in the cluster next to the datastores' volumes.
 *
 * Renames: a changed name, type or parent gives a resource a new URN, which Pulumi runs as a delete
 * and a create. Whoever renames a resource adds `aliases` with its old name/parent and a comment
 * naming the release it comes from, kept while stacks of that release may exist; the upgrade tests
 * (tests/program/upgrade-urns.test.ts, tests/e2e/kwok/upgrade.e2e.ts) fail otherwise (docs/upgrades.md).
 */
import type * as pulumi from "@pulumi/pulumi";

export function keepData(protect: boolean, opts: pulumi.CustomResourceOptions, retain = false): pulumi.CustomResourceOptions {
  return protect ? { ...opts, protect: true, ...(retain ? { retainOnDelete: true } : {}) } : opts;
}
