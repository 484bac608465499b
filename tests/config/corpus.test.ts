/**
 * Every mistake in the bad-configuration corpus is refused before any resource, on the right key,
 * with the value given (never a credential) and what is allowed; every good entry is accepted.
 */
import { configSchema, SECRET_KEYS } from "../../config/schema";
import { CorpusEntry, loadCorpus, problemsOf } from "../../tools/config-corpus";

const { bad, good } = loadCorpus();

/** Values that may be credentials: under a credential or unknown key, in a plain env, or outside platform:. */
function mayBeSecret(e: CorpusEntry): string[] {
  const leaves = (v: unknown): string[] => (typeof v === "string" ? [v] : v && typeof v === "object" ? Object.values(v).flatMap(leaves) : []);
  const set = Object.entries(e.set ?? {}).filter(([k]) => {
    const root = k.split(".")[0];
    return (SECRET_KEYS as readonly string[]).includes(root) || !(root in configSchema.shape) || /^services\.[^.]+\.env\./.test(k);
  });
  return [...set.flatMap(([, v]) => leaves(v)), ...Object.values(e.extra ?? {})].filter((v) => v.trim().length >= 6);
}

test("the corpus covers every class with several realistic mistakes", () => {
  expect(bad.length).toBeGreaterThanOrEqual(40);
  for (const c of [1, 2, 3, 4, 5, 6, 7, 8, 10]) expect(bad.filter((e) => e.class === c).length).toBeGreaterThanOrEqual(3);
  expect(good.filter((e) => e.class === 9).length).toBeGreaterThanOrEqual(3);
});

describe.each([1, 2, 3, 4, 5, 6, 7, 8, 10])("class %i", (c) => {
  test.each(bad.filter((e) => e.class === c).map((e) => [e.what, e] as const))("%s is refused on its key", (_what, e) => {
    const problems = problemsOf(e);
    const line = problems.find((p) => p.startsWith(`${e.key}:`));
    expect({ line, problems }).toEqual({ line: expect.stringContaining(`got ${e.got}`), problems });
    expect(line).toContain(`allowed: `);
    expect(line!.split("allowed: ")[1]).toContain(e.allowed);
    const text = problems.join("\n");
    for (const v of mayBeSecret(e)) expect(text).not.toContain(v);
  });
});

test.each(good.map((e) => [e.what, e] as const))("accepted: %s", (_what, e) => {
  expect(problemsOf(e)).toEqual([]);
});
