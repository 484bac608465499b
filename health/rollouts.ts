/**
 * Waits, as `kubectl rollout status` does, until every Deployment and StatefulSet of a namespace has
 * rolled out: the controller has seen the latest spec, every replica runs it and is ready, and no
 * replica of an older revision is left. The post-deploy gate runs it before its checks, because the
 * kubernetes provider may report a StatefulSet update done before its pods are replaced.
 */
import type { V1Deployment, V1StatefulSet } from "@kubernetes/client-node";
import { setTimeout as sleep } from "node:timers/promises";
import { kubeClient } from "./kube-client";

export interface RolloutOptions {
  /** Kubeconfig file; default: KUBECONFIG or ~/.kube/config (or the in-cluster service account). */
  kubeconfig?: string;
  namespace: string;
  timeoutMs: number;
  /** How often the workloads are read again. */
  pollMs?: number;
}

/** Why a workload has not rolled out yet, or undefined when it has. */
export function rolloutPending(kind: "Deployment" | "StatefulSet", w: V1Deployment | V1StatefulSet): string | undefined {
  const want = w.spec?.replicas ?? 1;
  const s = w.status ?? {};
  const name = `${kind}/${w.metadata?.name}`;
  if ((s.observedGeneration ?? 0) < (w.metadata?.generation ?? 0)) return `${name}: the controller has not seen the latest spec yet`;
  const updated = s.updatedReplicas ?? 0;
  const ready = s.readyReplicas ?? 0;
  const counts = `${updated}/${want} updated, ${ready}/${want} ready`;
  if (updated < want || ready < want) return `${name}: ${counts}`;
  if (kind === "Deployment") {
    // Old pods still terminating count in status.replicas until they are gone.
    const total = s.replicas ?? 0;
    const available = (s as V1Deployment["status"] & object).availableReplicas ?? 0;
    if (total > updated) return `${name}: ${total - updated} pod(s) of the old revision still running`;
    if (available < want) return `${name}: ${available}/${want} available`;
  } else {
    const st = s as V1StatefulSet["status"] & object;
    const partition = (w as V1StatefulSet).spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    // With a partition, pods below it keep the old revision on purpose.
    if (partition === 0 && st.currentRevision !== st.updateRevision) return `${name}: ${counts}, revision ${st.updateRevision} not current yet`;
  }
  return undefined;
}

/** Resolves when every Deployment and StatefulSet has rolled out; rejects after the timeout, naming what has not. */
export async function waitForRollouts(opts: RolloutOptions): Promise<void> {
  const { k8s, kc } = await kubeClient(opts.kubeconfig);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const [deployments, statefulSets] = await Promise.all([apps.listNamespacedDeployment({ namespace: opts.namespace }), apps.listNamespacedStatefulSet({ namespace: opts.namespace })]);
    const pending = [...deployments.items.map((d) => rolloutPending("Deployment", d)), ...statefulSets.items.map((s) => rolloutPending("StatefulSet", s))].filter((p): p is string => p !== undefined);
    if (pending.length === 0) return;
    if (Date.now() >= deadline) throw new Error(`workloads in namespace ${opts.namespace} not rolled out after ${Math.round(opts.timeoutMs / 1000)} s:\n  ${pending.join("\n  ")}`);
    await sleep(Math.min(opts.pollMs ?? 2000, Math.max(0, deadline - Date.now())));
  }
}
