/**
 * What a `pulumi preview --json` of the current code over a stack of the previous release
 * (tools/previous-release.ts) does, by resource: the upgrade tests on KWOK (kwok/upgrade.e2e.ts)
 * and on the real node with data (real-node/platform.e2e.ts) judge and print it the same way.
 */
import Table from "cli-table3";
import { mayDrop, PREVIOUS_RELEASE, urnType } from "../../tools/previous-release";

/** Types whose replacement or deletion loses data or the secret that opens it. */
const HOLDS_DATA = /^(kubernetes:core\/v1:(Namespace|PersistentVolumeClaim|Secret)|kubernetes:apps\/v1:StatefulSet|random:.*)$/;

export type Change = "same" | "updated" | "replaced" | "deleted" | "created";
const CHANGES: Change[] = ["same", "updated", "replaced", "deleted", "created"];
const OP_CHANGE: Record<string, Change> = {
  same: "same",
  update: "updated",
  replace: "replaced",
  "create-replacement": "replaced",
  "delete-replaced": "replaced",
  delete: "deleted",
  "discard-replaced": "replaced",
  create: "created",
};

/** What the preview does to each resource, by URN (a replacement's several steps count once). */
export function changesOf(previewJson: string): Map<string, Change> {
  const steps = (JSON.parse(previewJson).steps ?? []) as Array<{ op: string; urn: string }>;
  const changes = new Map<string, Change>();
  for (const s of steps) {
    const change = OP_CHANGE[s.op];
    if (!change) throw new Error(`unexpected step ${s.op} for ${s.urn}`);
    if (changes.get(s.urn) !== "replaced") changes.set(s.urn, change);
  }
  return changes;
}

/** Resources that hold data and would be replaced or deleted: must be empty. */
export function dataLost(changes: Map<string, Change>): string[] {
  return [...changes].filter(([urn, c]) => (c === "replaced" || c === "deleted") && HOLDS_DATA.test(urnType(urn))).map(([urn, c]) => `${c}: ${urn}`);
}

/** Resources of the release deleted without an alias or a reason (REMOVED_SINCE_PREVIOUS_RELEASE): must be empty. */
export function droppedWithoutAlias(changes: Map<string, Change>): string[] {
  return [...changes].filter(([urn, c]) => c === "deleted" && !mayDrop(urn)).map(([urn]) => urn);
}

/** The changes counted by kind, as printed in the test output and docs/upgrades.md. */
export function changeTable(stack: string, changes: Map<string, Change>): string {
  const byKind = new Map<string, Record<Change, number>>();
  for (const [urn, change] of changes) {
    const kind = urnType(urn);
    const row = byKind.get(kind) ?? { same: 0, updated: 0, replaced: 0, deleted: 0, created: 0 };
    row[change]++;
    byKind.set(kind, row);
  }
  const t = new Table({ head: ["kind", ...CHANGES], style: { head: [], border: [] } });
  for (const [kind, row] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) t.push([kind, ...CHANGES.map((c) => String(row[c]))]);
  return `upgrade of the ${stack} stack from ${PREVIOUS_RELEASE.slice(0, 7)} (pulumi preview):\n${t.toString()}`;
}
