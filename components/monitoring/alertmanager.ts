/**
 * Alertmanager: a StatefulSet (silences and notification state on a small volume; replicas > 1
 * form a gossip cluster), the generated routing configuration in a ConfigMap, and receiver
 * credentials read as files from the receivers Secret. The program creates that Secret when
 * `alertReceiverSecrets` is set; otherwise the operator creates it (see the README, "Routing and receivers").
 */
import * as k8s from "../shared/k8s";
import * as pulumi from "@pulumi/pulumi";
import type { AlertmanagerConfig, AlertReceiverSecrets } from "../../config/schema";
import { alertmanagerConfigYaml } from "../../monitoring-config/alertmanager-config";
import { ALERTMANAGER, PATHS, PROMETHEUS, RECEIVER_SECRET_KEYS } from "../../monitoring-config/endpoints";
import type { Traffic } from "../network/traffic";
import { clusterIpService, container, resourceRequirements, statefulSet, workloadLabels } from "../shared/workload";
import { COMPONENT, configChecksum, configMap, httpProbe } from "./common";

export interface AlertmanagerArgs {
  namespace: pulumi.Input<string>;
  config: AlertmanagerConfig;
  /** Receiver credentials from the stack: written into the receivers Secret; without them the operator manages it. */
  receiverSecrets?: AlertReceiverSecrets;
  storageClassName?: string;
}

const UID = 65534;
const NAME = ALERTMANAGER.name;

export class Alertmanager extends pulumi.ComponentResource {
  public readonly endpoint = { service: NAME, port: ALERTMANAGER.port };
  public readonly traffic: Traffic;

  constructor(name: string, args: AlertmanagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:monitoring:Alertmanager", name, {}, opts);
    const a = args.config;
    const child = { parent: this };
    const ns = args.namespace;

    const configYaml = alertmanagerConfigYaml({ slackChannel: a.slackChannel, email: a.email });
    const configCm = configMap(NAME, `${NAME}-config`, ns, { "alertmanager.yml": configYaml }, child);
    if (args.receiverSecrets) this.receiversSecret(ns, a.receiversSecretName, args.receiverSecrets);

    const headless = clusterIpService(
      NAME,
      ns,
      COMPONENT,
      [
        { name: "http", port: ALERTMANAGER.port },
        { name: "cluster", port: ALERTMANAGER.clusterPort },
      ],
      child,
      true,
    );
    clusterIpService(NAME, ns, COMPONENT, [{ name: "http", port: ALERTMANAGER.port }], child);

    const peers = Array.from({ length: a.replicas }, (_, i) => `--cluster.peer=${NAME}-${i}.${NAME}-headless:${ALERTMANAGER.clusterPort}`);
    // A single replica has no peers; an empty listen address turns clustering off.
    const cluster = a.replicas > 1 ? [`--cluster.listen-address=:${ALERTMANAGER.clusterPort}`, ...peers] : ["--cluster.listen-address="];

    statefulSet(
      {
        name: NAME,
        namespace: ns,
        component: COMPONENT,
        replicas: a.replicas,
        uid: UID,
        metrics: { port: ALERTMANAGER.port },
        podAnnotations: configChecksum(configYaml),
        spread: true,
        serviceName: headless.metadata.name,
        podManagementPolicy: "Parallel",
        data: { storage: a.storage, storageClassName: args.storageClassName },
        containers: [
          container({
            name: NAME,
            image: a.image,
            args: [`--config.file=${PATHS.alertmanagerConfigDir}/alertmanager.yml`, "--storage.path=/alertmanager", `--web.listen-address=:${ALERTMANAGER.port}`, ...cluster],
            ports: [
              { name: "http", containerPort: ALERTMANAGER.port },
              { name: "cluster", containerPort: ALERTMANAGER.clusterPort },
            ],
            resources: resourceRequirements(a.resources),
            livenessProbe: httpProbe("/-/healthy", ALERTMANAGER.port, 15),
            readinessProbe: httpProbe("/-/ready", ALERTMANAGER.port, 5),
            volumeMounts: [
              { name: "data", mountPath: "/alertmanager" },
              { name: "config", mountPath: PATHS.alertmanagerConfigDir, readOnly: true },
              { name: "receivers", mountPath: PATHS.alertmanagerSecretsDir, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          }),
        ],
        volumes: [
          { name: "config", configMap: { name: configCm.metadata.name } },
          // Optional: Alertmanager runs (and records failed notifications) before the operator adds the Secret.
          { name: "receivers", secret: { secretName: a.receiversSecretName, optional: true, defaultMode: 0o440 } },
          { name: "tmp", emptyDir: {} },
        ],
      },
      child,
    );

    const smtpPort = Number(a.email.smarthost.split(":")[1]);
    this.traffic = {
      workloads: [{ name: NAME, metricsPort: ALERTMANAGER.port }],
      flows: [
        { from: PROMETHEUS.name, to: NAME, port: ALERTMANAGER.port, why: "alert delivery" },
        ...(a.replicas > 1 ? [{ from: NAME, to: NAME, port: ALERTMANAGER.clusterPort, why: "Alertmanager cluster gossip (silences, notification log)" }] : []),
      ],
      external: [{ from: NAME, cidr: a.egressCidr, ports: [...new Set([443, smtpPort])], why: "alert receivers (PagerDuty, Slack over HTTPS; SMTP)" }],
    };
    this.registerOutputs({ service: NAME, port: ALERTMANAGER.port });
  }

  /** Written only when the stack holds the receiver credentials as secrets. */
  private receiversSecret(ns: pulumi.Input<string>, secretName: string, s: AlertReceiverSecrets): void {
    const data: Record<string, string> = {};
    for (const [key, file] of Object.entries(RECEIVER_SECRET_KEYS) as Array<[keyof typeof RECEIVER_SECRET_KEYS, string]>) {
      const value = s[key];
      if (value !== undefined) data[file] = value;
    }
    new k8s.core.v1.Secret(
      secretName,
      {
        metadata: { name: secretName, namespace: ns, labels: workloadLabels(NAME, COMPONENT) },
        type: "Opaque",
        stringData: pulumi.secret(data),
      },
      { parent: this, additionalSecretOutputs: ["data", "stringData"] },
    );
  }
}
