/** Every rule of the pack, in evaluation order; the exemption rule comes first (see lib/pack.ts). */
import type { Rule } from "../lib/engine";
import { debugEndpoints, logLevel } from "./app-config";
import { workloadAutoscaling, workloadDisruptionBudget, workloadSpread } from "./availability";
import { containerProbes, containerResources, imagePinned, imagePullPolicy } from "./containers";
import { datastoreAccess, datastorePersistence, kafkaReplication, postgresBackup } from "./datastores";
import { stackEnvironment } from "./environment";
import { exemptionAnnotations } from "./exemptions";
import { ingressTls, serviceExposure } from "./exposure";
import { alertRules, monitoringLabels } from "./monitoring";
import { namespacePodSecurity, namespaceQuota, networkDefaultDeny, workloadNamespace } from "./namespaces";
import { configMapSecrets, envPlainSecrets, jwtSecretStrength, weakCredentials } from "./secrets";
import { capabilities, hostAccess, privilegeEscalation, readOnlyRootFilesystem, runAsNonRoot, seccompProfile } from "./security-context";
import { serviceAccountToken } from "./service-accounts";

export const CHECK_RULES: Rule[] = [
  containerResources,
  containerProbes,
  runAsNonRoot,
  privilegeEscalation,
  capabilities,
  seccompProfile,
  readOnlyRootFilesystem,
  hostAccess,
  imagePinned,
  imagePullPolicy,
  workloadNamespace,
  namespacePodSecurity,
  serviceExposure,
  ingressTls,
  configMapSecrets,
  envPlainSecrets,
  weakCredentials,
  jwtSecretStrength,
  workloadSpread,
  datastorePersistence,
  kafkaReplication,
  monitoringLabels,
  logLevel,
  debugEndpoints,
  serviceAccountToken,
  workloadAutoscaling,
  workloadDisruptionBudget,
  networkDefaultDeny,
  namespaceQuota,
  datastoreAccess,
  postgresBackup,
  alertRules,
  stackEnvironment,
];

export const EXEMPTION_ANNOTATIONS = exemptionAnnotations(CHECK_RULES.map((r) => r.name));

/** All rules; the exemption rule first because it carries the pack-wide allowAnnotations switch. */
export const RULES: Rule[] = [EXEMPTION_ANNOTATIONS, ...CHECK_RULES];

export function ruleByName(name: string): Rule {
  const r = RULES.find((x) => x.name === name);
  if (!r) throw new Error(`no rule ${name}`);
  return r;
}
