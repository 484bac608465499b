/** What the program registers for each stack, checked on the resource specs. */
import { named, ofType, ProgramRun, runProgram } from "../helpers/program";

const K = {
  ns: "kubernetes:core/v1:Namespace",
  quota: "kubernetes:core/v1:ResourceQuota",
  limits: "kubernetes:core/v1:LimitRange",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  secret: "kubernetes:core/v1:Secret",
  sts: "kubernetes:apps/v1:StatefulSet",
  deploy: "kubernetes:apps/v1:Deployment",
  svc: "kubernetes:core/v1:Service",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  sa: "kubernetes:core/v1:ServiceAccount",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  cron: "kubernetes:batch/v1:CronJob",
  job: "kubernetes:batch/v1:Job",
};

const SERVICES = { gateway: 50050, "refinement-api": 50051, "learning-api": 50052, "storage-service": 50053 } as const;
const PROD_REPLICAS = { gateway: [2, 3], "refinement-api": [5, 10], "learning-api": [2, 3], "storage-service": [2, 2] };

const runs: Partial<Record<"dev" | "prod", ProgramRun>> = {};
beforeAll(async () => {
  runs.prod = await runProgram("prod");
  runs.dev = await runProgram("dev");
});
const prod = () => runs.prod!;
const dev = () => runs.dev!;

function env(container: any): Record<string, any> {
  return Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

describe("platform base", () => {
  test.each(["prod", "dev"] as const)("%s namespace is restricted, monitored, bounded and closed by default", (stack) => {
    const run = runs[stack]!;
    const [ns] = ofType(run, K.ns);
    const nsName = stack === "prod" ? "platform" : "platform-dev";
    expect(ns.inputs.metadata.name).toBe(nsName);
    expect(ns.inputs.metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted", monitoring: "enabled", environment: stack });
    const [quota] = ofType(run, K.quota);
    expect(quota.inputs.spec.hard).toMatchObject({ "services.loadbalancers": "0", "services.nodeports": "0" });
    expect(quota.inputs.spec.hard["requests.cpu"]).toBeDefined();
    expect(ofType(run, K.limits)[0].inputs.spec.limits[0].type).toBe("Container");
    const deny = named(run, K.netpol, "default-deny");
    expect(deny.inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });
});

describe("generated secrets", () => {
  test("every credential comes from @pulumi/random and lives only in a Secret", () => {
    const secrets = Object.fromEntries(ofType(prod(), K.secret).map((s) => [s.inputs.metadata.name, s.inputs.stringData]));
    expect(Object.keys(secrets).sort()).toEqual(["clickhouse-auth", "grafana-admin", "jwt-secret", "postgres-auth", "redis-auth"]);
    const generated = prod().generated;
    // The sixth generated value keys the credentials' checksums and is written nowhere (manifests.test.ts).
    expect(generated).toHaveLength(6);
    const values = [secrets["redis-auth"].password, secrets["clickhouse-auth"].password, secrets["postgres-auth"].password, secrets["grafana-admin"]["admin-password"], secrets["jwt-secret"].secret];
    expect(generated.filter((g) => !values.includes(g))).toHaveLength(1);
  });

  test("the JWT secret has at least 256 bits", () => {
    const jwt = named(prod(), K.secret, "jwt-secret").inputs.stringData.secret;
    expect(Buffer.from(jwt, "base64").length * 8).toBeGreaterThanOrEqual(256);
    const bytes = ofType(prod(), "random:index/randomBytes:RandomBytes")[0];
    expect(bytes.inputs.length * 8).toBeGreaterThanOrEqual(256);
  });

  test("a secret set in stack config replaces the generated one", async () => {
    const run = await runProgram("dev", (c) => (c.redisPassword = "S3cure-Override-Value-42"));
    expect(named(run, K.secret, "redis-auth").inputs.stringData.password).toBe("S3cure-Override-Value-42");
    expect(ofType(run, "random:index/randomPassword:RandomPassword").map((r) => r.name)).not.toContain("redis-password");
  });
});

describe("datastores", () => {
  test.each(["redis", "clickhouse", "kafka", "postgres"])("%s is a StatefulSet with a persistent volume and restricted pods", (name) => {
    const sts = named(prod(), K.sts, name).inputs;
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toMatch(/Gi$/);
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of pod.containers) {
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits).toBeDefined();
      expect(c.livenessProbe).toBeDefined();
      expect(c.readinessProbe).toBeDefined();
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    }
    for (const s of ofType(prod(), K.svc).filter((s) => s.inputs.metadata.name.startsWith(name))) {
      expect(s.inputs.spec.type).toBe("ClusterIP");
    }
  });

  test("Redis requires a password taken from its Secret", () => {
    const redis = named(prod(), K.sts, "redis").inputs.spec.template.spec.containers[0];
    expect(redis.args).toEqual(expect.arrayContaining(["--requirepass", "$(REDIS_PASSWORD)", "--appendonly", "yes"]));
    expect(env(redis).REDIS_PASSWORD).toEqual({ secretKeyRef: { name: "redis-auth", key: "password" } });
  });

  test("ClickHouse serves HTTP 8123 and native 9000 and initialises its schema", () => {
    const ch = named(prod(), K.sts, "clickhouse").inputs.spec.template.spec.containers[0];
    expect(ch.ports.map((p: any) => p.containerPort)).toEqual(expect.arrayContaining([8123, 9000]));
    expect(env(ch).CLICKHOUSE_PASSWORD).toEqual({ secretKeyRef: { name: "clickhouse-auth", key: "password" } });
    const config = named(prod(), "kubernetes:core/v1:ConfigMap", "clickhouse-config").inputs.data;
    expect(config["001_tables.sql"]).toContain("CREATE TABLE IF NOT EXISTS telemetry.raw_positions");
    expect(ch.volumeMounts.map((m: any) => m.mountPath)).toContain("/docker-entrypoint-initdb.d");
  });

  test("Kafka runs KRaft with 3 voters in prod and 1 in dev, and creates topics replicated at least twice in prod", () => {
    for (const [run, brokers] of [
      [prod(), 3],
      [dev(), 1],
    ] as const) {
      const sts = named(run, K.sts, "kafka").inputs;
      expect(sts.spec.replicas).toBe(brokers);
      const e = env(sts.spec.template.spec.containers[0]);
      expect(e.KAFKA_PROCESS_ROLES).toBe("broker,controller");
      expect(e.KAFKA_CONTROLLER_QUORUM_VOTERS.split(",")).toHaveLength(brokers);
      expect(Object.keys(e).some((k) => k.includes("ZOOKEEPER"))).toBe(false);
    }
    const [job] = ofType(prod(), K.job);
    const script = job.inputs.spec.template.spec.containers[0].command[2];
    // ensure_topic <name> <partitions> <replication factor> <min.insync.replicas>: see tests/program/manifests.test.ts.
    for (const topic of ["raw-positions", "refined-tracks"]) expect(script).toContain(`\nensure_topic ${topic} 6 3 2`);
    expect(env(named(prod(), K.sts, "kafka").inputs.spec.template.spec.containers[0]).KAFKA_MIN_INSYNC_REPLICAS).toBe("2");
  });

  test("Postgres creates its database and is backed up by a pg_dump CronJob", () => {
    const pg = named(prod(), K.sts, "postgres").inputs.spec.template.spec.containers[0];
    expect(env(pg)).toMatchObject({ POSTGRES_DB: "platform", POSTGRES_USER: "platform", POSTGRES_PASSWORD: { secretKeyRef: { name: "postgres-auth", key: "password" } } });
    const cron = named(prod(), K.cron, "postgres-backup").inputs.spec;
    expect(cron.schedule).toBe("0 * * * *");
    expect(cron.concurrencyPolicy).toBe("Forbid");
    const c = cron.jobTemplate.spec.template.spec.containers[0];
    expect(c.command[2]).toContain("pg_dump --format=custom");
    expect(c.command[2]).toContain("-mtime +14 -delete");
    expect(env(c).PGPASSWORD).toEqual({ secretKeyRef: { name: "postgres-auth", key: "password" } });
  });
});

describe("gRPC services", () => {
  test.each(Object.entries(SERVICES))("%s: Deployment, ClusterIP Service, gRPC probes, resources, restricted, own ServiceAccount", (name, port) => {
    const d = named(prod(), K.deploy, name).inputs;
    const pod = d.spec.template.spec;
    const [c] = pod.containers;
    expect(c.livenessProbe.grpc).toEqual({ port });
    expect(c.readinessProbe.grpc).toEqual({ port });
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.serviceAccountName).toBe(name);
    expect(named(prod(), K.sa, name).inputs.automountServiceAccountToken).toBe(false);
    expect(pod.automountServiceAccountToken).toBe(false);
    const svc = named(prod(), K.svc, name).inputs.spec;
    expect(svc.type).toBe("ClusterIP");
    expect(svc.ports[0].port).toBe(port);
    expect(env(c).SERVER_PORT).toBe(String(port));
  });

  test.each(Object.entries(PROD_REPLICAS))("%s scales within the seed 000 range in prod and has a PDB", (name, [min, max]) => {
    const hpa = named(prod(), K.hpa, name).inputs.spec;
    expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([min, max]);
    expect(hpa.scaleTargetRef).toMatchObject({ kind: "Deployment", name });
    expect(named(prod(), K.pdb, name).inputs.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": name });
  });

  test("dev runs one replica of everything with small requests", () => {
    for (const name of Object.keys(SERVICES)) {
      const hpa = named(dev(), K.hpa, name).inputs.spec;
      expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([1, 1]);
      const [c] = named(dev(), K.deploy, name).inputs.spec.template.spec.containers;
      expect(c.resources.requests).toEqual({ cpu: "50m", memory: "64Mi" });
    }
    for (const sts of ofType(dev(), K.sts)) expect(sts.inputs.spec.replicas).toBe(1);
  });

  test("the seed 000 environment, with credentials referenced from Secrets", () => {
    const e = (name: string) => env(named(prod(), K.deploy, name).inputs.spec.template.spec.containers[0]);
    expect(e("gateway")).toMatchObject({
      SERVER_PORT: "50050",
      REFINEMENT_ADDR: "refinement-api:50051",
      LEARNING_ADDR: "learning-api:50052",
      JWT_SECRET: { secretKeyRef: { name: "jwt-secret", key: "secret" } },
    });
    for (const name of ["refinement-api", "learning-api"]) {
      expect(e(name)).toMatchObject({ REDIS_ADDR: "redis:6379", MAX_SPEED_KMH: "150", MAX_TIME_DIFF: "12h", REDIS_PASSWORD: { secretKeyRef: { name: "redis-auth", key: "password" } } });
    }
    expect(e("storage-service")).toMatchObject({
      CLICKHOUSE_ADDR: "clickhouse:9000",
      KAFKA_BROKERS: "kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092,kafka-2.kafka-headless:9092",
      CLICKHOUSE_PASSWORD: { secretKeyRef: { name: "clickhouse-auth", key: "password" } },
      LOG_LEVEL: "INFO",
    });
  });

  test("only the gateway is public, through an Ingress with TLS", () => {
    const ingresses = ofType(prod(), K.ingress);
    expect(ingresses).toHaveLength(1);
    const spec = ingresses[0].inputs.spec;
    expect(spec.tls).toEqual([{ hosts: ["api.platform.example.com"], secretName: "gateway-tls" }]);
    expect(spec.rules[0].http.paths[0].backend.service).toEqual({ name: "gateway", port: { number: 50050 } });
    for (const run of [prod(), dev()]) {
      for (const s of ofType(run, K.svc)) expect(s.inputs.spec.type).toBe("ClusterIP");
    }
  });
});

describe("a fifth service", () => {
  test("is a config entry: it gets its Deployment, Service, HPA, PDB, ServiceAccount and NetworkPolicy", async () => {
    const run = await runProgram("prod", (c: any) => {
      c.services["billing-api"] = {
        image: "registry.example.com/platform/billing-api:2.1.0",
        port: 50054,
        replicas: { min: 2, max: 4 },
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        uses: [{ target: "postgres", env: "POSTGRES_ADDR" }],
      };
      c.services.gateway.uses.push({ target: "billing-api", env: "BILLING_ADDR" });
    });
    for (const kind of [K.deploy, K.svc, K.hpa, K.pdb, K.sa]) named(run, kind, "billing-api");
    const e = env(named(run, K.deploy, "billing-api").inputs.spec.template.spec.containers[0]);
    expect(e).toMatchObject({ POSTGRES_ADDR: "postgres:5432", POSTGRES_PASSWORD: { secretKeyRef: { name: "postgres-auth", key: "password" } } });
    expect(env(named(run, K.deploy, "gateway").inputs.spec.template.spec.containers[0]).BILLING_ADDR).toBe("billing-api:50054");
    named(run, K.netpol, "billing-api-traffic");
  });
});

describe("Services at deploy", () => {
  test.each(["prod", "dev"] as const)("%s: a client Service is not held by the provider's endpoint wait (10 s each, 8 at once on 2 cores); a headless one has none", (stack) => {
    const services = ofType(runs[stack]!, K.svc);
    const headless = services.filter((s) => s.inputs.spec.clusterIP === "None");
    const clients = services.filter((s) => s.inputs.spec.clusterIP !== "None");
    expect(clients.map((s) => s.name)).toEqual(expect.arrayContaining(["redis", "postgres", "kafka", "clickhouse", "prometheus", "grafana", ...Object.keys(SERVICES)]));
    for (const s of clients) expect([s.name, s.inputs.metadata.annotations?.["pulumi.com/skipAwait"]]).toEqual([s.name, "true"]);
    expect(headless.length).toBeGreaterThan(0);
    for (const s of headless) expect([s.name, s.inputs.metadata.annotations]).toEqual([s.name, undefined]);
    // What the wait would have shown, that ready pods answer, the workloads' rollout awaits show.
    for (const w of [...ofType(runs[stack]!, K.deploy), ...ofType(runs[stack]!, K.sts)]) expect([w.name, w.inputs.metadata.annotations?.["pulumi.com/skipAwait"]]).toEqual([w.name, undefined]);
  });
});

describe("images", () => {
  test("come pinned from stack config", () => {
    for (const name of Object.keys(SERVICES)) {
      expect(named(prod(), K.deploy, name).inputs.spec.template.spec.containers[0].image).toBe(`registry.example.com/platform/${name}:1.0.0`);
    }
  });

  test("a service pointing at a source directory is built and pushed with @pulumi/docker and deployed by digest", async () => {
    const run = await runProgram("prod", (c: any) => {
      delete c.services["learning-api"].image;
      c.services["learning-api"].build = { context: "./services/learning-api", repository: "registry.example.com/platform/learning-api", tag: "1.1.0" };
    });
    const [image] = ofType(run, "docker:index/image:Image");
    expect(image.inputs.imageName).toBe("registry.example.com/platform/learning-api:1.1.0");
    expect(image.inputs.build).toMatchObject({ context: "./services/learning-api", platform: "linux/amd64" });
    const deployed = named(run, K.deploy, "learning-api").inputs.spec.template.spec.containers[0].image;
    expect(deployed).toBe(`registry.example.com/platform/learning-api@sha256:${"ab".repeat(32)}`);
    expect(run.outputs.images.value).toMatchObject({ "learning-api": deployed });
  });
});

describe("post-deploy health gate", () => {
  const CM = "kubernetes:core/v1:ConfigMap";

  test("a gate ConfigMap lists every check and fingerprints the configuration without credentials", async () => {
    const gate = named(prod(), CM, "platform-health").inputs.data;
    expect(gate.checks.split("\n")).toEqual(["grpc:gateway", "grpc:refinement-api", "grpc:learning-api", "grpc:storage-service", "redis", "clickhouse", "kafka", "postgres", "prometheus", "grafana"]);
    const changed = await runProgram("prod", (c) => (c.app.maxSpeedKmh = 120));
    expect(named(changed, CM, "platform-health").inputs.data["config-sha256"]).not.toBe(gate["config-sha256"]);
    const rotated = await runProgram("prod", (c) => (c.redisPassword = "Another-Strong-Value-77"));
    const rotatedGate = named(rotated, CM, "platform-health").inputs.data;
    expect(rotatedGate["config-sha256"]).toBe(gate["config-sha256"]);
    // A rotated credential rolls the pods, so it changes the gate too: by a keyed hash, never the value.
    expect(rotatedGate["rollout-sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(rotatedGate["rollout-sha256"]).not.toBe(gate["rollout-sha256"]);
    expect(JSON.stringify(rotatedGate)).not.toContain("Another-Strong-Value-77");
    // A new image (a rebuilt one changes only its digest) changes the gate too.
    expect(gate.images.split("\n")).toContain(named(prod(), "kubernetes:apps/v1:Deployment", "gateway").inputs.spec.template.spec.containers[0].image);
    const bumped = await runProgram("prod", (c) => (c.services.gateway.image = c.services.gateway.image.replace(/:[^:]+$/, ":9.9.9")));
    expect(named(bumped, CM, "platform-health").inputs.data.images).not.toBe(gate.images);
    expect(gate["program-sha256"]).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the checks are bound to the gate as before-create and before-update hooks, after every workload", () => {
    const run = prod();
    const gate = run.resources.find((r) => r.type === CM && r.inputs.metadata?.name === "platform-health")!;
    expect(gate.hooks).toEqual({ beforeCreate: ["platform-health-checks"], beforeUpdate: ["platform-health-checks"] });
    // No other resource carries a hook: the gate is the single place the checks run.
    expect(run.resources.filter((r) => Object.keys(r.hooks).length > 0)).toEqual([gate]);
    const workloads = run.resources.filter((r) => ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"].includes(r.type));
    expect(workloads.length).toBeGreaterThanOrEqual(10);
    const notAwaited = workloads.filter((w) => !gate.dependsOn.some((urn) => urn.endsWith(`${w.type}::${w.name}`))).map((w) => w.name);
    expect(notAwaited).toEqual([]);
  });

  test("a stack can turn it off", async () => {
    const run = await runProgram("dev", (c) => (c.health = { enabled: false }));
    expect(ofType(run, CM).map((r) => r.inputs.metadata.name)).not.toContain("platform-health");
  });

  test("the health output names every target in the namespace and is secret", () => {
    const out = prod().outputs.health;
    expect(out.secret).toBe(true);
    const { namespace, targets } = out.value as { namespace: string; targets: Array<{ kind: string; name: string; serviceName: string; servicePort: number }> };
    expect(namespace).toBe("platform");
    expect(targets.map((t) => `${t.kind}:${t.serviceName}:${t.servicePort}`)).toEqual([
      "grpc:gateway:50050",
      "grpc:refinement-api:50051",
      "grpc:learning-api:50052",
      "grpc:storage-service:50053",
      "redis:redis:6379",
      "clickhouse:clickhouse:8123",
      "kafka:kafka:9092",
      "postgres:postgres:5432",
      "prometheus:prometheus:9090",
      "grafana:grafana:3000",
    ]);
    expect(targets.find((t) => t.kind === "clickhouse")).toMatchObject({ database: "telemetry", tables: ["raw_positions", "refined_tracks"] });
    expect(targets.find((t) => t.kind === "kafka")).toMatchObject({
      brokers: 3,
      topics: [
        { name: "raw-positions", partitions: 6 },
        { name: "refined-tracks", partitions: 6 },
      ],
    });
  });
});
