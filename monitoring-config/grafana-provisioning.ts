/**
 * Grafana provisioning: the Prometheus datasource, the dashboard provider, and the dashboards from
 * monitoring-config/dashboards/. `grpc-service.json` is a template instantiated once per gRPC service
 * (its constant `service` variable set to the service's name).
 */
import * as fs from "fs";
import * as path from "path";
import { PATHS, PROMETHEUS, PROMETHEUS_DATASOURCE_UID } from "./endpoints";

export const DASHBOARDS_DIR = path.join(__dirname, "dashboards");
export const SERVICE_TEMPLATE = "grpc-service.json";

export interface Dashboard {
  uid: string;
  title: string;
  templating?: { list: Array<{ name: string; type: string; query?: string; current?: unknown; options?: unknown[]; hide?: number }> };
  [key: string]: unknown;
}

/** The Prometheus datasource; its minimum interval is Prometheus' scrape interval (platform:prometheus.scrapeInterval). */
export function datasources(scrapeInterval: string) {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        uid: PROMETHEUS_DATASOURCE_UID,
        type: "prometheus",
        access: "proxy",
        url: `http://${PROMETHEUS.name}:${PROMETHEUS.port}`,
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: scrapeInterval, httpMethod: "POST" },
      },
    ],
  };
}

export function dashboardProviders() {
  return {
    apiVersion: 1,
    providers: [
      {
        name: "platform",
        folder: "Platform",
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: PATHS.grafanaDashboardsDir, foldersFromFilesStructure: false },
      },
    ],
  };
}

function readDashboard(file: string): Dashboard {
  return JSON.parse(fs.readFileSync(path.join(DASHBOARDS_DIR, file), "utf8")) as Dashboard;
}

/** The per-service dashboard: the template with its `service` constant set. */
export function serviceDashboard(service: string): Dashboard {
  const d = readDashboard(SERVICE_TEMPLATE);
  const list = (d.templating?.list ?? []).map((v) =>
    v.name === "service" ? { ...v, query: service, current: { text: service, value: service }, options: [{ text: service, value: service, selected: true }] } : v,
  );
  return { ...d, uid: `grpc-${service}`.slice(0, 40), title: `gRPC service: ${service}`, templating: { list } };
}

/** File name -> dashboard for every dashboard Grafana gets. */
export function dashboards(services: string[]): Record<string, Dashboard> {
  const fixed = fs
    .readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith(".json") && f !== SERVICE_TEMPLATE)
    .sort();
  return {
    ...Object.fromEntries(fixed.map((f) => [f, readDashboard(f)])),
    ...Object.fromEntries(services.map((s) => [`grpc-${s}.json`, serviceDashboard(s)])),
  };
}
