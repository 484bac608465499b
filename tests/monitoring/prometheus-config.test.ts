/** The generated prometheus.yml: clean under promtool for both stacks, and shaped as documented. */
import * as fs from "fs";
import * as path from "path";
import { metricSources } from "../../monitoring-config/metric-sources";
import { prometheusConfig, prometheusConfigYaml } from "../../monitoring-config/prometheus-config";
import { RULES_DIR } from "../../monitoring-config/rule-files";
import { fakeServiceAccountDir, platformConfig, run, tempDir, tool } from "./tools";

type Job = Record<string, any>;

describe.each(["dev", "prod"] as const)("%s stack", (stack) => {
  const c = platformConfig(stack);
  const options = { namespace: c.namespace, environment: c.environment, scrapeInterval: c.prometheus.scrapeInterval, alertmanagerReplicas: c.alertmanager.replicas };

  test("promtool check config accepts the generated configuration with its rule files", () => {
    const dir = tempDir("prom-config");
    const file = path.join(dir, "prometheus.yml");
    fs.writeFileSync(file, prometheusConfigYaml({ ...options, rulesDir: RULES_DIR, serviceAccountDir: fakeServiceAccountDir() }));
    const r = run(tool("promtool"), ["check", "config", file]);
    expect(r.output).toMatch(/SUCCESS: \d+ rule files found/);
    expect(r.output).not.toMatch(/FAILED/);
    expect(r.status).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("promtool rejects the configuration when a file it names is missing", () => {
    const dir = tempDir("prom-config");
    const file = path.join(dir, "prometheus.yml");
    fs.writeFileSync(file, prometheusConfigYaml({ ...options, rulesDir: RULES_DIR, serviceAccountDir: path.join(dir, "no-such-dir") }));
    const r = run(tool("promtool"), ["check", "config", file]);
    expect(r.status).not.toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cfg = prometheusConfig(options) as { scrape_configs: Job[]; alerting: any; rule_files: string[]; global: any };
  const job = (name: string) => cfg.scrape_configs.find((j) => j.job_name === name)!;

  test("every job but Prometheus' own uses Kubernetes service discovery, pods only in the platform namespace", () => {
    expect(cfg.scrape_configs.map((j) => j.job_name).sort()).toEqual(["cadvisor", "kube-state-metrics", "kubelet", "kubernetes-pods", "prometheus"]);
    for (const j of cfg.scrape_configs.filter((j) => j.job_name !== "prometheus")) {
      const [sd] = j.kubernetes_sd_configs;
      if (sd.role === "pod") expect(sd.namespaces).toEqual({ names: [c.namespace] });
      else expect(sd.role).toBe("node");
      expect(sd.api_server).toBeUndefined();
    }
  });

  test("annotated pods are scraped at their annotated port and path, labelled by their app name", () => {
    const relabel = job("kubernetes-pods").relabel_configs as Job[];
    expect(relabel[0]).toEqual({ source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], regex: "true", action: "keep" });
    expect(relabel).toContainEqual({ source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"], regex: "(.+)", target_label: "__metrics_path__" });
    expect(relabel).toContainEqual(expect.objectContaining({ source_labels: ["__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"], target_label: "__address__" }));
    expect(relabel).toContainEqual({ source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], target_label: "job" });
    expect(relabel).toContainEqual({ source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_component"], target_label: "component" });
  });

  test("kube-state-metrics has its own job, keeping the labels of the objects it describes", () => {
    expect(job("kube-state-metrics").honor_labels).toBe(true);
    expect(job("kubernetes-pods").honor_labels).toBeUndefined();
    expect(job("kubernetes-pods").relabel_configs).toContainEqual({ source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], regex: "kube-state-metrics", action: "drop" });
  });

  test("node-level jobs keep only the catalogued metrics of the platform namespace", () => {
    const sources = metricSources();
    for (const name of ["kubelet", "cadvisor"]) {
      const j = job(name);
      expect(j.scheme).toBe("https");
      expect(j.metric_relabel_configs[0]).toEqual({ source_labels: ["__name__"], regex: sources[name].metrics.join("|"), action: "keep" });
      expect(j.metric_relabel_configs[1]).toEqual({ source_labels: ["namespace"], regex: c.namespace, action: "keep" });
    }
  });

  test("alerts go to every Alertmanager replica and rules come from the mounted rule files", () => {
    expect(cfg.alerting.alertmanagers[0].static_configs[0].targets).toHaveLength(c.alertmanager.replicas);
    expect(cfg.alerting.alertmanagers[0].static_configs[0].targets[0]).toBe(`alertmanager-0.alertmanager-headless.${c.namespace}.svc:9093`);
    expect(cfg.rule_files).toEqual(["/etc/prometheus/rules/*.rules.yml"]);
    expect(cfg.global.external_labels).toEqual({ environment: stack });
  });
});
