/** The report as a table for people and as JSON for machines. */
import Table from "cli-table3";
import { HealthReport } from "./runner";

export function formatTable(report: HealthReport): string {
  // No colours: the table also ends up in Pulumi's error output and in CI logs.
  const table = new Table({ head: ["component", "check", "status", "latency", "detail"], style: { head: [], border: [] }, wordWrap: true, colWidths: [null, null, null, null, 80] });
  for (const r of report.results) {
    table.push([r.component, r.check, r.status === "pass" ? "PASS" : "FAIL", `${r.latencyMs} ms`, r.detail]);
  }
  const failed = report.results.filter((r) => r.status === "fail").length;
  const summary = report.ok
    ? `${report.results.length === 1 ? "the check" : `all ${report.results.length} checks`} passed in ${report.durationMs} ms`
    : `${failed} of ${report.results.length} checks failed (${report.durationMs} ms)`;
  return `${table.toString()}\n${summary}`;
}

export function formatJson(report: HealthReport): string {
  return JSON.stringify(report, null, 2);
}
