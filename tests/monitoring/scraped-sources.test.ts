/**
 * Each metric source in monitoring-config/metrics/sources.yml is really scraped in the deployed program:
 * the workloads it names carry the scrape annotations for its port (or have their own job), and
 * the node-level and self jobs exist. So the datastore alerts have metrics to fire on.
 */
import { metricSources } from "../../monitoring-config/metric-sources";
import { prometheusConfig } from "../../monitoring-config/prometheus-config";
import { ProgramRun, runProgram } from "../helpers/program";
import { platformConfig } from "./tools";

const POD_OWNERS = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];

const runs: Partial<Record<"dev" | "prod", ProgramRun>> = {};
beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod");
}, 120_000);

/** Pod templates of the program's workloads, by app.kubernetes.io/name. */
function podTemplates(run: ProgramRun): Map<string, any> {
  return new Map(run.resources.filter((r) => POD_OWNERS.includes(r.type)).map((r) => [r.inputs.spec.template.metadata.labels["app.kubernetes.io/name"], r.inputs.spec.template]));
}

describe.each(["dev", "prod"] as const)("%s stack", (stack) => {
  const c = platformConfig(stack);
  const jobs = (
    prometheusConfig({ namespace: c.namespace, environment: c.environment, scrapeInterval: "30s", alertmanagerReplicas: 1 }) as { scrape_configs: Array<{ job_name: string }> }
  ).scrape_configs.map((j) => j.job_name);
  const sources = Object.entries(metricSources());

  test.each(sources.filter(([, s]) => s.workloads !== undefined))("source %s: its pods are annotated for scraping on its port", (_name, s) => {
    const pods = podTemplates(runs[stack]!);
    const targets = s.workloads === "services" ? Object.entries(c.services).map(([n, svc]) => [n, svc.metricsPort] as const) : s.workloads!.map((w) => [w, s.port!] as const);
    for (const [workload, port] of targets) {
      const pod = pods.get(workload);
      expect({ workload, annotations: pod?.metadata.annotations }).toEqual({
        workload,
        annotations: expect.objectContaining({ "prometheus.io/scrape": "true", "prometheus.io/port": String(port) }),
      });
      const ports = pod.spec.containers.flatMap((ct: any) => (ct.ports ?? []).map((p: any) => p.containerPort));
      expect(ports).toContain(port);
      // The pods job names the series after the workload; the catalogue must use that job name.
      if (s.workloads !== "services") expect(s.job).toBe(workload);
    }
  });

  test.each(sources.filter(([, s]) => s.workloads === undefined))("source %s: has its own scrape job", (_name, s) => {
    expect(jobs).toContain(s.job);
  });
});
