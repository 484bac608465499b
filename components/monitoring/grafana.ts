/**
 * Grafana: a Deployment whose datasource and dashboards are all provisioned from files in the
 * repository (monitoring-config/dashboards), so its own database holds nothing that must survive a
 * restart. The admin user and password come from the generated Secret, never inlined.
 */
import * as pulumi from "@pulumi/pulumi";
import type { GrafanaConfig } from "../../config/schema";
import { GRAFANA, PATHS, PROMETHEUS } from "../../monitoring-config/endpoints";
import { dashboardProviders, dashboards, datasources } from "../../monitoring-config/grafana-provisioning";
import { toYaml } from "../../monitoring-config/yaml";
import type { Credential } from "../secrets/generated-secrets";
import type { Traffic } from "../network/traffic";
import type { HealthCheck } from "../shared/health-check";
import { clusterIpService, container, deployment, fromSecret, resourceRequirements } from "../shared/workload";
import { COMPONENT, configChecksum, configMap, httpProbe } from "./common";

export interface GrafanaArgs {
  namespace: pulumi.Input<string>;
  config: GrafanaConfig;
  admin: Credential;
  /** Prometheus' scrape interval: the datasource's minimum interval, so panels never ask finer than the data. */
  scrapeInterval: string;
  /** The gRPC services, one dashboard row each. */
  services: string[];
}

/** The grafana/grafana image's user. */
const UID = 472;
const NAME = GRAFANA.name;
/** Key of the generated Secret holding the admin user name (stored beside the password). */
const ADMIN_USER_KEY = "admin-user";

export class Grafana extends pulumi.ComponentResource {
  public readonly endpoint = { service: NAME, port: GRAFANA.port };
  public readonly healthCheck: HealthCheck = { check: NAME, target: { kind: "grafana", name: NAME, serviceName: this.endpoint.service, servicePort: this.endpoint.port } };
  public readonly traffic: Traffic;

  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:monitoring:Grafana", name, {}, opts);
    const g = args.config;
    const child = { parent: this };
    const ns = args.namespace;

    const datasourcesYaml = toYaml(datasources(args.scrapeInterval));
    const providersYaml = toYaml(dashboardProviders());
    const boards = Object.fromEntries(Object.entries(dashboards(args.services)).map(([f, d]) => [f, JSON.stringify(d, null, 2)]));
    const datasourcesCm = configMap(NAME, `${NAME}-datasources`, ns, { "datasources.yaml": datasourcesYaml }, child);
    const providersCm = configMap(NAME, `${NAME}-dashboard-providers`, ns, { "dashboards.yaml": providersYaml }, child);
    const dashboardsCm = configMap(NAME, `${NAME}-dashboards`, ns, boards, child);

    clusterIpService(NAME, ns, COMPONENT, [{ name: "http", port: GRAFANA.port }], child);

    deployment(
      {
        name: NAME,
        namespace: ns,
        component: COMPONENT,
        annotations: { "policy.platform/exempt.workload-autoscaling": "one Grafana instance with an embedded database; it is not scaled horizontally" },
        replicas: 1,
        // One embedded SQLite database: never two pods at once.
        strategy: { type: "Recreate" },
        uid: UID,
        metrics: { port: GRAFANA.port },
        podAnnotations: configChecksum(datasourcesYaml, providersYaml, ...Object.values(boards)),
        containers: [
          container({
            name: NAME,
            image: g.image,
            env: [
              fromSecret("GF_SECURITY_ADMIN_USER", args.admin.ref, ADMIN_USER_KEY),
              fromSecret("GF_SECURITY_ADMIN_PASSWORD", args.admin.ref),
              { name: "GF_PATHS_PROVISIONING", value: PATHS.grafanaProvisioningDir },
              // Everything Grafana writes stays on the emptyDir: the root filesystem is read-only.
              { name: "GF_PATHS_DATA", value: "/var/lib/grafana" },
              { name: "GF_PATHS_LOGS", value: "/var/lib/grafana/logs" },
              { name: "GF_PATHS_PLUGINS", value: "/var/lib/grafana/plugins" },
              { name: "GF_SERVER_HTTP_PORT", value: String(GRAFANA.port) },
              { name: "GF_LOG_MODE", value: "console" },
              { name: "GF_AUTH_ANONYMOUS_ENABLED", value: "false" },
              { name: "GF_USERS_ALLOW_SIGN_UP", value: "false" },
              { name: "GF_SECURITY_DISABLE_GRAVATAR", value: "true" },
              // No calls out of the cluster: the namespace denies that egress anyway.
              { name: "GF_ANALYTICS_REPORTING_ENABLED", value: "false" },
              { name: "GF_ANALYTICS_CHECK_FOR_UPDATES", value: "false" },
              { name: "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES", value: "false" },
              { name: "GF_NEWS_NEWS_FEED_ENABLED", value: "false" },
            ],
            ports: [{ name: "http", containerPort: GRAFANA.port }],
            resources: resourceRequirements(g.resources),
            livenessProbe: { ...httpProbe("/api/health", GRAFANA.port, 15, 4), initialDelaySeconds: 30 },
            readinessProbe: httpProbe("/api/health", GRAFANA.port, 5),
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/grafana" },
              { name: "tmp", mountPath: "/tmp" },
              { name: "datasources", mountPath: `${PATHS.grafanaProvisioningDir}/datasources`, readOnly: true },
              { name: "dashboard-providers", mountPath: `${PATHS.grafanaProvisioningDir}/dashboards`, readOnly: true },
              { name: "dashboards", mountPath: PATHS.grafanaDashboardsDir, readOnly: true },
            ],
          }),
        ],
        volumes: [
          { name: "data", emptyDir: {} },
          { name: "tmp", emptyDir: {} },
          { name: "datasources", configMap: { name: datasourcesCm.metadata.name } },
          { name: "dashboard-providers", configMap: { name: providersCm.metadata.name } },
          { name: "dashboards", configMap: { name: dashboardsCm.metadata.name } },
        ],
      },
      child,
    );

    this.traffic = {
      workloads: [{ name: NAME, metricsPort: GRAFANA.port }],
      flows: [{ from: NAME, to: PROMETHEUS.name, port: PROMETHEUS.port, why: "Grafana queries Prometheus" }],
    };
    this.registerOutputs({ service: NAME, port: GRAFANA.port });
  }
}
