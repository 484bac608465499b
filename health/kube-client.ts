/**
 * The Kubernetes client with a loaded kubeconfig, for the port-forwards and the rollout wait. The
 * client is an ES module, loaded on first use, so the rest of the library works without it.
 */
export async function kubeClient(kubeconfig?: string): Promise<{ k8s: typeof import("@kubernetes/client-node"); kc: import("@kubernetes/client-node").KubeConfig }> {
  const k8s = await import("@kubernetes/client-node");
  const kc = new k8s.KubeConfig();
  // Default: KUBECONFIG or ~/.kube/config, or the in-cluster service account.
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  return { k8s, kc };
}
