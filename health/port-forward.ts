/**
 * Reaches in-cluster Services the way an operator does with `kubectl port-forward svc/...`: find a
 * ready pod behind the Service, listen on a free loopback port, and tunnel each connection through
 * the Kubernetes API's pod port-forward.
 */
import { AddressInfo, createServer, Server, Socket } from "node:net";
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { kubeClient } from "./kube-client";
import { HealthReport, runChecks, RunOptions } from "./runner";
import { HealthTarget, InClusterTarget, parseInClusterTargets, parseTargets } from "./targets";

export interface PortForwardOptions {
  /** Kubeconfig file; default: KUBECONFIG or ~/.kube/config (or the in-cluster service account). */
  kubeconfig?: string;
  namespace: string;
  targets: readonly InClusterTarget[];
}

/**
 * Opens one local port per target, runs `fn` with targets pointing at them, and closes them after.
 * Each connection looks up the Service's ready pod anew, so a check's retries reach a pod that
 * restarted meanwhile; `tunnelError(name)` tells why the last connection to a target could not be
 * tunnelled (no ready pod, the kubelet refused), for the report.
 */
async function withPortForwards<T>(opts: PortForwardOptions, fn: (resolved: HealthTarget[], tunnelError: (name: string) => string | undefined) => Promise<T>): Promise<T> {
  const { k8s, kc } = await kubeClient(opts.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const forward = new k8s.PortForward(kc);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const errors = new Map<string, string>();
  try {
    const targets = parseInClusterTargets(opts.targets);
    const resolved = await Promise.all(
      targets.map(async ({ serviceName, servicePort, ...rest }) => {
        const server = createServer((socket) => {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          // The check's client or the pod side may hang up while the tunnel still writes: that ends
          // this connection, and the check reports what it saw; it must not crash the process.
          socket.on("error", () => socket.destroy());
          backendOf(core, opts.namespace, serviceName, servicePort)
            .then((backend) => forward.portForward(opts.namespace, backend.pod, [backend.port], socket, null, socket))
            .then((ws) => {
              errors.delete(rest.name);
              socket.on("close", () => (typeof ws === "function" ? ws() : ws)?.close());
            })
            .catch((err: unknown) => {
              errors.set(rest.name, err instanceof Error ? err.message.split("\n")[0] : String(err));
              socket.destroy();
            });
        });
        servers.push(server);
        const port = await new Promise<number>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
        });
        return { ...rest, host: "127.0.0.1", port };
      }),
    );
    return await fn(parseTargets(resolved), (name) => errors.get(name));
  } finally {
    sockets.forEach((s) => s.destroy());
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * The checks of in-cluster targets through port-forwards, beside any direct ones (the gate and
 * `verify`). A failed row whose tunnel could not be opened says why first: "no ready pod behind
 * Service ns/redis" tells an operator more than the client's "Connection is closed".
 */
export async function checkThroughPortForwards(opts: PortForwardOptions, direct: readonly HealthTarget[], run: Partial<RunOptions>): Promise<HealthReport> {
  return withPortForwards(opts, async (resolved, tunnelError) => {
    const report = await runChecks([...direct, ...resolved], run);
    const results = report.results.map((r) => {
      const why = r.status === "fail" ? tunnelError(r.component) : undefined;
      return why ? { ...r, detail: `${why}; ${r.detail}` } : r;
    });
    return { ...report, results };
  });
}

async function backendOf(core: CoreV1Api, namespace: string, serviceName: string, servicePort: number): Promise<{ pod: string; port: number }> {
  const svc = await core.readNamespacedService({ name: serviceName, namespace }).catch((err: unknown) => {
    throw new Error(`Service ${namespace}/${serviceName}: ${(err as Error).message.split("\n")[0]}`);
  });
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) throw new Error(`Service ${namespace}/${serviceName} has no selector to find pods by`);
  const svcPort = svc.spec?.ports?.find((p) => p.port === servicePort);
  if (!svcPort) throw new Error(`Service ${namespace}/${serviceName} has no port ${servicePort}`);
  const labelSelector = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items;
  const pod = pods.filter(isReady).sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))[0];
  if (!pod?.metadata?.name) throw new Error(`no ready pod behind Service ${namespace}/${serviceName} (${pods.length} pods match ${labelSelector})`);
  return { pod: pod.metadata.name, port: containerPort(pod, svcPort.targetPort ?? servicePort, serviceName) };
}

/** Ready and not terminating: a pod being deleted has left the Service's endpoints even while its Ready condition still says True. */
function isReady(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase === "Running" && (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** A Service's targetPort may be a number or the name of a container port. */
function containerPort(pod: V1Pod, targetPort: number | string, serviceName: string): number {
  if (typeof targetPort === "number") return targetPort;
  if (/^\d+$/.test(targetPort)) return Number(targetPort);
  const named = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((p) => p.name === targetPort);
  if (!named) throw new Error(`pod ${pod.metadata?.name} behind Service ${serviceName} has no container port named ${targetPort}`);
  return named.containerPort;
}
