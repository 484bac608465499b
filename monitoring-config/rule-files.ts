/**
 * The Prometheus rule files kept in monitoring-config/rules/. Runbook links in them are anchors of docs/runbooks.md
 * (`docs/runbooks.md#alert-...`); with a base URL they become absolute links for Alertmanager and Grafana.
 */
import * as fs from "fs";
import * as path from "path";

export const RULES_DIR = path.join(__dirname, "rules");
const RUNBOOK_PREFIX = "docs/runbooks.md#";

/** File name -> content of every *.rules.yml, in name order. */
export function ruleFiles(runbookBaseUrl?: string): Record<string, string> {
  const names = fs
    .readdirSync(RULES_DIR)
    .filter((f) => f.endsWith(".rules.yml"))
    .sort();
  return Object.fromEntries(
    names.map((n) => {
      const text = fs.readFileSync(path.join(RULES_DIR, n), "utf8");
      return [n, runbookBaseUrl === undefined ? text : text.split(`runbook_url: ${RUNBOOK_PREFIX}`).join(`runbook_url: ${runbookBaseUrl}${RUNBOOK_PREFIX}`)];
    }),
  );
}
