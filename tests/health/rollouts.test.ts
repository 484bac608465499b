/** When a Deployment or StatefulSet counts as rolled out (the gate waits for it before its checks). */
import type { V1Deployment, V1StatefulSet } from "@kubernetes/client-node";
import { rolloutPending } from "../../health";

const deployment = (status: V1Deployment["status"], generation = 2, replicas = 2): V1Deployment => ({ metadata: { name: "gateway", generation }, spec: { replicas } as any, status });
const statefulSet = (status: V1StatefulSet["status"], partition?: number): V1StatefulSet => ({
  metadata: { name: "kafka", generation: 5 },
  spec: { replicas: 1, updateStrategy: partition === undefined ? undefined : { rollingUpdate: { partition } } } as any,
  status,
});

describe("a Deployment", () => {
  test.each([
    ["rolled out", { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }, undefined],
    [
      "spec not seen by the controller",
      { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
      "Deployment/gateway: the controller has not seen the latest spec yet",
    ],
    ["new pods not ready", { observedGeneration: 2, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 }, "Deployment/gateway: 1/2 updated, 2/2 ready"],
    ["an old pod still running", { observedGeneration: 2, replicas: 3, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }, "Deployment/gateway: 1 pod(s) of the old revision still running"],
    ["ready but not yet available (minReadySeconds)", { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 1 }, "Deployment/gateway: 1/2 available"],
    ["no status yet", undefined, "Deployment/gateway: the controller has not seen the latest spec yet"],
  ])("%s", (_what, status, expected) => {
    expect(rolloutPending("Deployment", deployment(status))).toBe(expected);
  });
});

describe("a StatefulSet", () => {
  test.each([
    ["rolled out", { observedGeneration: 5, replicas: 1, updatedReplicas: 1, readyReplicas: 1, currentRevision: "kafka-b", updateRevision: "kafka-b" }, undefined, undefined],
    // What the provider reported as done on the real node: the update seen, the pod not replaced yet.
    [
      "seen, its pod not replaced yet",
      { observedGeneration: 5, replicas: 1, updatedReplicas: 0, readyReplicas: 1, currentRevision: "kafka-a", updateRevision: "kafka-b" },
      undefined,
      "StatefulSet/kafka: 0/1 updated, 1/1 ready",
    ],
    [
      "updated and ready, revision not current yet",
      { observedGeneration: 5, replicas: 1, updatedReplicas: 1, readyReplicas: 1, currentRevision: "kafka-a", updateRevision: "kafka-b" },
      undefined,
      "StatefulSet/kafka: 1/1 updated, 1/1 ready, revision kafka-b not current yet",
    ],
    ["a partition keeps old pods on purpose", { observedGeneration: 5, replicas: 1, updatedReplicas: 1, readyReplicas: 1, currentRevision: "kafka-a", updateRevision: "kafka-b" }, 1, undefined],
  ])("%s", (_what, status, partition, expected) => {
    expect(rolloutPending("StatefulSet", statefulSet(status, partition))).toBe(expected);
  });
});
