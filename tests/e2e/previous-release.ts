/**
 * The last landed release. Stacks deployed from it exist, so the current code must upgrade them
 * without replacing or deleting what holds data (tests/e2e/upgrade.e2e.ts deploys it, then updates
 * with the current code). Move it forward when a release lands; it must stay reachable from main.
 */
export const PREVIOUS_RELEASE = "515ef5ff180c5d56cb7f6b394029dc41aa420edf";

/**
 * Resources of the previous release that the current code removes on purpose, by URN suffix
 * (`<type>::<name>`), each with the reason. Any other resource the release had must still exist
 * under its URN or an alias: a rename without an alias is a delete and a create.
 */
export const REMOVED_SINCE_PREVIOUS_RELEASE: Record<string, string> = {};
