/** Application settings the checklists pin for prod: log level, debug and Swagger endpoints off. */
import type { Finding, ResourceRule } from "../lib/engine";
import { containers, isUnknown, plainEnv } from "../lib/k8s";

const LOG_VAR = /^(LOG_LEVEL|LOGLEVEL|RUST_LOG|.*_LOG_LEVEL)$/i;

export const logLevel: ResourceRule<{ allowed: string[] }> = {
  scope: "resource",
  name: "log-level",
  description: "Every log level setting (LOG_LEVEL, RUST_LOG, *_LOG_LEVEL) is INFO or WARN.",
  sources: [
    { seed: "001", heading: "Configuration", item: "Log levels set appropriately (INFO/WARN for prod)" },
    { seed: "002", heading: "Step 1: Environment Setup", item: "LOG_LEVEL=INFO" },
  ],
  fix: "set platform:app.logLevel to INFO or WARN",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ allowed: ["INFO", "WARN", "WARNING"] }),
  schema: { allowed: { type: "array", items: { type: "string" }, description: "accepted levels (case-insensitive)" } },
  check(r, { params }) {
    const allowed = params.allowed.map((a) => a.toUpperCase());
    return containers(r).flatMap(({ container, name }): Finding[] =>
      plainEnv(container)
        .filter((e) => LOG_VAR.test(e.name) && !isUnknown(e.value) && !allowed.includes(e.value.toUpperCase()))
        .map((e) => ({ target: r, container: name, problem: `${e.name} is "${e.value}"; allowed: ${params.allowed.join(", ")}` })),
    );
  },
};

const DEBUG_VAR = /(DEBUG|SWAGGER|PPROF|PROFILER|GRAPHIQL|PLAYGROUND|API_DOCS)/i;
const TRUE = /^(true|1|yes|on|enabled?)$/i;

export const debugEndpoints: ResourceRule<{ paths: string[] }> = {
  scope: "resource",
  name: "debug-endpoints",
  description: "No debug, profiling or Swagger endpoint is switched on (env such as ENABLE_DEBUG_ENDPOINTS, SWAGGER_ENABLED), and no Ingress routes /swagger, /debug, /docs or /pprof.",
  sources: [{ seed: "001", heading: "Security", item: "Swagger UI disabled or access-restricted" }],
  fix: "set platform:app.debugEndpoints to false and remove debug/Swagger settings and Ingress paths",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ paths: ["/swagger", "/debug", "/docs", "/api-docs", "/pprof"] }),
  schema: { paths: { type: "array", items: { type: "string" }, description: "Ingress path prefixes that must not be public" } },
  check(r, { params }) {
    const out: Finding[] = containers(r).flatMap(({ container, name }) =>
      plainEnv(container)
        .filter((e) => DEBUG_VAR.test(e.name) && TRUE.test(e.value))
        .map((e) => ({ target: r, container: name, problem: `${e.name} is "${e.value}", which turns debug or Swagger endpoints on` })),
    );
    if (r.kind === "Ingress") {
      for (const rule of r.props.spec?.rules ?? []) {
        for (const p of rule.http?.paths ?? []) {
          if (typeof p.path === "string" && params.paths.some((x) => p.path === x || p.path.startsWith(`${x}/`))) out.push({ target: r, problem: `routes ${p.path} to the public` });
        }
      }
    }
    return out;
  },
};
