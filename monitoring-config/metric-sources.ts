/** The metric catalogue in monitoring-config/metrics/sources.yml: which scrape job produces which names. */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export interface MetricSource {
  /** Value of the `job` label on its series. */
  job: string;
  /** Workloads (app.kubernetes.io/name) whose pods expose it on `port`; "services" means every gRPC service. */
  workloads?: string[] | "services";
  port?: number;
  origin: string;
  metrics: string[];
}

export const SOURCES_FILE = path.join(__dirname, "metrics", "sources.yml");

export function metricSources(): Record<string, MetricSource> {
  return (parse(fs.readFileSync(SOURCES_FILE, "utf8")) as { sources: Record<string, MetricSource> }).sources;
}

/** Every metric name some scrape target produces. */
export function knownMetrics(): Set<string> {
  return new Set(Object.values(metricSources()).flatMap((s) => s.metrics));
}
