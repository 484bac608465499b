/**
 * The schema's knowledge of what the program creates agrees with what the program registers: the
 * LimitRange and ResourceQuota admit every pod of an accepted config, and the reserved variable,
 * workload and Secret names and Kafka's internal replication are the ones the components use.
 */
import { CLAIM_MAX_STORAGE, CONTAINER_MAX, footprint } from "../../config/admission";
import { parseConfig } from "../../config/load";
import { parseCpu, parseMemory } from "../../config/quantities";
import { DATASTORE_CLIENT_ENV, DatastoreName, internalTopicReplication, PROGRAM_ENV, PROGRAM_SECRETS, PROGRAM_WORKLOADS } from "../../config/schema";
import { ofType, ProgramRun, Registered, runProgram, Stack, stackConfig } from "../helpers/program";

const K = {
  deploy: "kubernetes:apps/v1:Deployment",
  sts: "kubernetes:apps/v1:StatefulSet",
  job: "kubernetes:batch/v1:Job",
  cron: "kubernetes:batch/v1:CronJob",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
};

/** Pod template and the most pods of it that exist at once (HPA maximum, plus a surge pod while rolling). */
function peaks(run: ProgramRun): Array<{ name: string; pods: number; containers: any[] }> {
  const hpaMax = Object.fromEntries(ofType(run, K.hpa).map((h) => [h.inputs.spec.scaleTargetRef.name, h.inputs.spec.maxReplicas]));
  const of = (r: Registered, pods: number, spec: any) => ({ name: r.inputs.metadata.name, pods, containers: [...spec.containers, ...(spec.initContainers ?? [])] });
  return [
    ...ofType(run, K.deploy).map((d) => of(d, (hpaMax[d.inputs.metadata.name] ?? d.inputs.spec.replicas ?? 1) + (d.inputs.spec.strategy?.type === "Recreate" ? 0 : 1), d.inputs.spec.template.spec)),
    ...ofType(run, K.sts).map((s) => of(s, s.inputs.spec.replicas ?? 1, s.inputs.spec.template.spec)),
    ...ofType(run, K.job).map((j) => of(j, 1, j.inputs.spec.template.spec)),
    ...ofType(run, K.cron).map((c) => of(c, 1, c.inputs.spec.jobTemplate.spec.template.spec)),
  ];
}

function actualPeak(run: ProgramRun): { cpu: number; memory: number; pods: number } {
  const all = peaks(run);
  const sum = (f: (c: any) => number) => all.reduce((t, p) => t + p.pods * p.containers.reduce((s, c) => s + f(c), 0), 0);
  return { cpu: sum((c) => parseCpu(c.resources.limits.cpu)!), memory: sum((c) => parseMemory(c.resources.limits.memory)!), pods: all.reduce((t, p) => t + p.pods, 0) };
}

const runs: Partial<Record<Stack, ProgramRun>> = {};
beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod", (c) => {
    c.services.gateway.uses.push({ target: "postgres", env: "POSTGRES_ADDR" });
    c.alertReceiverSecrets = { smtpPassword: "Kq7Wz2Lp9Xv4Nm8" };
  });
}, 120_000);

describe.each(["dev", "prod"] as const)("%s", (stack) => {
  const run = () => runs[stack]!;
  const config = () => parseConfig(stackConfig(stack));

  test("every container and claim is within the LimitRange", () => {
    const containers = peaks(run()).flatMap((p) => p.containers);
    expect(containers.length).toBeGreaterThan(10);
    for (const c of containers) {
      expect(parseCpu(c.resources.limits.cpu)).toBeLessThanOrEqual(parseCpu(CONTAINER_MAX.cpu)!);
      expect(parseMemory(c.resources.limits.memory)).toBeLessThanOrEqual(parseMemory(CONTAINER_MAX.memory)!);
    }
    const claims = [...ofType(run(), K.sts).flatMap((s) => s.inputs.spec.volumeClaimTemplates ?? []), ...ofType(run(), "kubernetes:core/v1:PersistentVolumeClaim").map((p) => p.inputs)];
    expect(claims.length).toBeGreaterThanOrEqual(4);
    for (const c of claims) expect(parseMemory(c.spec.resources.requests.storage)).toBeLessThanOrEqual(parseMemory(CLAIM_MAX_STORAGE)!);
  });

  test("the schema's peak covers every pod the program creates, and the quota holds it", () => {
    const actual = actualPeak(run());
    const estimate = footprint(config());
    const quota = config().quota;
    for (const kind of ["cpu", "memory", "pods"] as const) expect(actual[kind]).toBeLessThanOrEqual(estimate[kind]);
    expect(estimate.cpu).toBeLessThanOrEqual(parseCpu(quota.cpu)!);
    expect(estimate.memory).toBeLessThanOrEqual(parseMemory(quota.memory)!);
    expect(estimate.pods).toBeLessThanOrEqual(quota.pods);
  });

  test("Kafka's internal topics are replicated as the schema assumes", () => {
    const kafka = ofType(run(), K.sts).find((s) => s.inputs.metadata.name === "kafka")!;
    const env = Object.fromEntries(kafka.inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(Number(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR)).toBe(internalTopicReplication(config().kafka.brokers));
    expect(Number(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR)).toBe(internalTopicReplication(config().kafka.brokers));
  });
});

test("a service's variables are its own env, its secretEnv, its uses with their datastore companions and PROGRAM_ENV", () => {
  const c = stackConfig("prod") as any;
  c.services.gateway.uses.push({ target: "postgres", env: "POSTGRES_ADDR" });
  const used = new Set<string>();
  for (const d of ofType(runs.prod!, K.deploy).filter((x) => x.inputs.metadata.name in c.services)) {
    const svc = c.services[d.inputs.metadata.name];
    const names: string[] = d.inputs.spec.template.spec.containers[0].env.map((e: any) => e.name);
    const fromUses = (svc.uses ?? []).flatMap((u: any) => [u.env, ...(DATASTORE_CLIENT_ENV[u.target as DatastoreName] ?? [])]);
    (svc.uses ?? []).forEach((u: any) => used.add(u.target));
    const configured = [...fromUses, ...Object.keys(svc.secretEnv ?? {}), ...Object.keys(svc.env ?? {})];
    expect(names).toEqual(expect.arrayContaining(configured));
    expect(names.filter((n) => !configured.includes(n)).every((n) => PROGRAM_ENV.includes(n))).toBe(true);
  }
  expect([...used]).toEqual(expect.arrayContaining(["redis", "clickhouse", "kafka", "postgres"]));
});

test("every workload, Service and ServiceAccount not configured is a reserved name, and every Secret a reserved one", () => {
  const services = Object.keys((stackConfig("prod") as any).services);
  const kinds = [K.deploy, K.sts, K.job, K.cron, "kubernetes:core/v1:Service", "kubernetes:core/v1:ServiceAccount"];
  const names = kinds.flatMap((k) => ofType(runs.prod!, k).map((r) => r.inputs.metadata.name as string)).filter((n) => !services.includes(n));
  expect(names.length).toBeGreaterThan(15);
  const reserved = (n: string) => PROGRAM_WORKLOADS.some((w) => n === w || n === `${w}-headless` || (n.startsWith(`${w}-`) && /^[0-9a-f]{8}$/.test(n.slice(w.length + 1))));
  expect(names.filter((n) => !reserved(n))).toEqual([]);
  const secrets = ofType(runs.prod!, "kubernetes:core/v1:Secret").map((s) => s.inputs.metadata.name);
  expect(secrets.sort()).toEqual([...PROGRAM_SECRETS, "alertmanager-receivers"].sort());
});
