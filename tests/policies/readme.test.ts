/** policies/README.md documents every rule with its checklist sources and levels, and the parameters. */
import * as fs from "fs";
import * as path from "path";
import { SEEDS } from "../../policies/lib/engine";
import { RULES } from "../../policies/rules";

const readme = fs.readFileSync(path.join(__dirname, "..", "..", "policies", "README.md"), "utf8");

test.each(RULES.map((r) => [r.name, r] as const))("the rule table has a row for %s with its sources and levels", (name, rule) => {
  const row = readme.split("\n").find((l) => l.startsWith(`| \`${name}\``) && l.split(" | ").length >= 6);
  expect(row).toBeDefined();
  const cells = row!.split(" | ");
  for (const s of rule.sources) expect(cells[1]).toContain(`${SEEDS[s.seed]} "${s.heading}"`);
  expect(cells.slice(-3, -1)).toEqual([rule.levels.dev, rule.levels.prod]);
});

test("every parameter is documented with its rule", () => {
  for (const r of RULES) for (const k of Object.keys(r.schema)) expect(readme).toMatch(new RegExp(`\\| \`${r.name}\` \\|[^\\n]*\`${k}\``));
});
