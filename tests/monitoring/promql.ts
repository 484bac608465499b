/** Metric names in PromQL expressions, read with Prometheus' own PromQL grammar (lezer-promql). */
import { parser } from "@prometheus-io/lezer-promql";

export interface ParsedQuery {
  metrics: string[];
  /** Parse errors and constructs the checker cannot follow (selection by {__name__=...}). */
  problems: string[];
}

/** Grafana's built-in interval variables become a fixed range; dashboard variables their value. */
export function substituteVariables(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, "5m").replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => values[(a ?? b)!] ?? m);
}

export function parseQuery(expr: string): ParsedQuery {
  const tree = parser.parse(expr);
  const metrics: string[] = [];
  const problems: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) problems.push(`syntax error at ${node.from} in ${JSON.stringify(expr)}`);
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") metrics.push(expr.slice(node.from, node.to));
      if (node.name === "LabelName" && expr.slice(node.from, node.to) === "__name__") problems.push(`selection by __name__ in ${JSON.stringify(expr)}`);
    },
  });
  return { metrics, problems };
}
