/**
 * Every metric a rule or a dashboard panel uses is produced by a catalogued source
 * (monitoring-config/metrics/sources.yml) or recorded by a rule; every dashboard uses the provisioned
 * datasource; one dashboard per gRPC service.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROMETHEUS_DATASOURCE_UID } from "../../monitoring-config/endpoints";
import { Dashboard, DASHBOARDS_DIR, dashboards, datasources, SERVICE_TEMPLATE, serviceDashboard } from "../../monitoring-config/grafana-provisioning";
import { knownMetrics, metricSources } from "../../monitoring-config/metric-sources";
import { ruleFiles } from "../../monitoring-config/rule-files";
import { parseQuery, substituteVariables } from "./promql";
import { platformConfig } from "./tools";

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
interface Panel {
  id: number;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
  panels?: Panel[];
}

const rules: Rule[] = Object.values(ruleFiles()).flatMap((t) => (parse(t) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules));
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
const known = knownMetrics();
const services = Object.keys(platformConfig("prod").services);
const provisioned = dashboards(services);
const datasourceUids = new Set(datasources("30s").datasources.map((d) => d.uid));

/** Names used by an expression that nothing produces, plus parse problems. */
function unknownNames(expr: string): string[] {
  const { metrics, problems } = parseQuery(expr);
  return [...problems, ...metrics.filter((m) => !known.has(m) && !recorded.has(m)).map((m) => `unknown metric ${m}`)];
}

function panelsOf(d: Dashboard): Panel[] {
  const walk = (ps: Panel[]): Panel[] => ps.flatMap((p) => [p, ...walk(p.panels ?? [])]);
  return walk((d.panels as Panel[]) ?? []);
}

function variables(d: Dashboard): Record<string, string> {
  return Object.fromEntries((d.templating?.list ?? []).map((v) => [v.name, v.query ?? ""]));
}

test("the catalogue lists each metric under one source only", () => {
  const all = Object.values(metricSources()).flatMap((s) => s.metrics);
  expect(all.filter((m, i) => all.indexOf(m) !== i)).toEqual([]);
  expect(known.size).toBe(all.length);
});

test("the checker finds metric names, and flags unknown names and syntax errors", () => {
  expect(parseQuery('sum by (job) (rate(grpc_server_handled_total{grpc_code!="OK"}[5m])) / on () group_left up').metrics).toEqual(["grpc_server_handled_total", "up"]);
  expect(unknownNames("rate(grpc_server_handled_totl[5m])")).toEqual(["unknown metric grpc_server_handled_totl"]);
  expect(unknownNames("sum(rate(up[5m])")).not.toEqual([]);
  expect(unknownNames('{__name__="up"}')).not.toEqual([]);
  expect(substituteVariables('rate(x{job="$service"}[$__rate_interval])', { service: "gateway" })).toBe('rate(x{job="gateway"}[5m])');
});

test.each(rules.map((r) => [r.alert ?? r.record!, r.expr] as const))("rule %s uses only produced metrics", (_name, expr) => {
  expect(parseQuery(expr).metrics.length).toBeGreaterThan(0);
  expect(unknownNames(expr)).toEqual([]);
});

describe.each(Object.entries(provisioned))("dashboard %s", (_file, d) => {
  const panels = panelsOf(d);
  const queried = panels.filter((p) => p.targets?.length);

  test("has panels, each with a unique id and queries", () => {
    expect(queried.length).toBeGreaterThanOrEqual(4);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  });

  test("every panel and query uses a provisioned datasource", () => {
    for (const p of queried) {
      expect(datasourceUids.has(p.datasource?.uid ?? "")).toBe(true);
      for (const t of p.targets!) expect(datasourceUids.has(t.datasource?.uid ?? p.datasource!.uid)).toBe(true);
    }
  });

  test("every panel query parses and names only produced metrics", () => {
    const vars = variables(d);
    const problems = queried.flatMap((p) => p.targets!.flatMap((t) => unknownNames(substituteVariables(t.expr, vars)).map((u) => `${p.title}: ${u}`)));
    expect(problems).toEqual([]);
  });
});

test("Grafana gets the overview, datastores and alerts dashboards and one per gRPC service, all with distinct uids", () => {
  const uids = Object.values(provisioned).map((d) => d.uid);
  expect(new Set(uids).size).toBe(uids.length);
  expect(uids).toEqual(expect.arrayContaining(["platform-overview", "platform-datastores", "platform-alerts", ...services.map((s) => `grpc-${s}`)]));
  expect(Object.keys(provisioned)).not.toContain(SERVICE_TEMPLATE);
  expect(Object.keys(provisioned)).toHaveLength(3 + services.length);
});

test("a service's dashboard queries that service only", () => {
  const d = serviceDashboard("learning-api");
  expect(d.title).toBe("gRPC service: learning-api");
  expect(variables(d).service).toBe("learning-api");
  const exprs = panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => substituteVariables(t.expr, variables(d))));
  expect(exprs.every((e) => /(job|container|horizontalpodautoscaler)="learning-api"/.test(e))).toBe(true);
});

test("the template itself names the provisioned datasource, not a local one", () => {
  const raw = fs.readFileSync(path.join(DASHBOARDS_DIR, SERVICE_TEMPLATE), "utf8");
  expect(raw).toContain(`"uid": "${PROMETHEUS_DATASOURCE_UID}"`);
  expect(raw).not.toMatch(/\$\{DS_/);
});
