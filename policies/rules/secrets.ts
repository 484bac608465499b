/** Credentials: only in Secrets, never in ConfigMaps or plain env values, never weak or default. */
import { WEAK_PASSWORDS } from "../../config/primitives";
import type { Finding, ResourceRule } from "../lib/engine";
import { containers, isUnknown, K8sResource, plainEnv } from "../lib/k8s";

const SECRET_WORDS = new Set(["PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "TOKEN", "APIKEY", "CREDENTIAL", "CREDENTIALS", "PRIVATEKEY"]);
const SECRET_PAIRS = new Set(["API_KEY", "PRIVATE_KEY", "ACCESS_KEY", "SECRET_KEY", "CLIENT_SECRET"]);
/** Names ending like this hold a path, a switch or a size, not the secret itself. */
const NOT_A_VALUE = new Set(["FILE", "PATH", "DIR", "ENABLED", "DISABLED", "TTL", "TIMEOUT", "LENGTH", "MODE", "HEADER", "TYPE", "REF", "NAME"]);

/** Whether an env var or key name says it carries a credential (JWT_SECRET, db-password, REDISCLI_AUTH). */
export function looksSecret(name: string): boolean {
  const parts = name
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  if (parts.length === 0 || NOT_A_VALUE.has(parts[parts.length - 1])) return false;
  if (parts[parts.length - 1] === "AUTH") return true;
  return parts.some((p, i) => SECRET_WORDS.has(p) || (i > 0 && SECRET_PAIRS.has(`${parts[i - 1]}_${p}`)));
}

const PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const URL_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]+@/i;
const ASSIGNMENT = /\b(password|passwd|secret|token|api[_-]?key)\b["']?\s*[:=]\s*["']?([^\s"',}#]+)/i;

/** A literal that embeds a credential: a private key, a URL with user:password, or `password: x`. */
export function embeddedCredential(text: string): string | undefined {
  if (PEM.test(text)) return "a private key";
  if (URL_CREDENTIALS.test(text)) return "a URL with user:password";
  const m = ASSIGNMENT.exec(text);
  if (m && !/^(\$|\{\{|<|\/|\*)/.test(m[2])) return `a ${m[1].toLowerCase()} assignment`;
  return undefined;
}

/** `$(VAR)` is expanded by the kubelet from another (Secret-backed) variable: not a literal. */
const REFERENCE = /^\$\([A-Za-z_][A-Za-z0-9_]*\)$/;

export const configMapSecrets: ResourceRule<Record<string, never>> = {
  scope: "resource",
  name: "configmap-secrets",
  description: "No credential in a ConfigMap: no key named like a password, secret, token or key, and no value embedding one.",
  sources: [
    { seed: "004", heading: "Security Configuration", item: "All secrets are stored in Kubernetes secrets (not ConfigMaps)" },
    { seed: "003", heading: "6. ConfigMaps Creation", item: "ConfigMaps hold only non-secret settings" },
  ],
  alsoFrom: "kube-score / Kyverno best practice: secrets belong in Secret objects",
  fix: "move the value into a Kubernetes Secret (generated with @pulumi/random) and reference it with secretKeyRef or a secret volume",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({}),
  schema: {},
  check(r) {
    if (r.kind !== "ConfigMap") return [];
    const data: Record<string, unknown> = { ...(r.props.data ?? {}), ...(r.props.binaryData ?? {}) };
    return Object.entries(data).flatMap(([key, value]): Finding[] => {
      if (looksSecret(key)) return [{ target: r, problem: `key "${key}" is named like a credential` }];
      const found = typeof value === "string" && !isUnknown(value) ? embeddedCredential(value) : undefined;
      return found ? [{ target: r, problem: `key "${key}" contains ${found}` }] : [];
    });
  },
};

export const envPlainSecrets: ResourceRule<Record<string, never>> = {
  scope: "resource",
  name: "env-plain-secrets",
  description:
    "Credentials reach containers only through secretKeyRef (or secret volumes): no credential-named env var with a literal value, no literal that embeds a credential, no password in args.",
  sources: [
    { seed: "004", heading: "Security Configuration", item: "All secrets are stored in Kubernetes secrets (not ConfigMaps)" },
    { seed: "001", heading: "Security", item: "All database passwords set via environment variables" },
    { seed: "000", heading: "Secrets", item: "Redis password / ClickHouse password / Kafka authentication" },
  ],
  alsoFrom: "Kyverno secrets-not-from-env-vars (inverse: values must come from Secrets); kube-score environment checks",
  fix: "reference the credential with env[].valueFrom.secretKeyRef (platform:services.<name>.secretEnv) instead of a literal value",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({}),
  schema: {},
  check(r) {
    return containers(r).flatMap(({ container, name }): Finding[] => {
      const out: Finding[] = [];
      for (const e of plainEnv(container)) {
        if (isUnknown(e.value) || e.value === "" || REFERENCE.test(e.value)) continue;
        if (looksSecret(e.name)) out.push({ target: r, container: name, problem: `env ${e.name} holds a literal credential value` });
        else {
          const found = embeddedCredential(e.value);
          if (found) out.push({ target: r, container: name, problem: `env ${e.name} contains ${found}` });
        }
      }
      const argv: unknown[] = [...(container.command ?? []), ...(container.args ?? [])];
      argv.forEach((a, i) => {
        if (typeof a !== "string" || !/^--?(requirepass|password|pass|token|secret)(=.+)?$/i.test(a)) return;
        const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[i + 1];
        if (typeof value === "string" && value !== "" && !REFERENCE.test(value) && !isUnknown(value)) {
          out.push({ target: r, container: name, problem: `argument ${a.split("=")[0]} is given a literal credential` });
        }
      });
      return out;
    });
  },
};

function secretValues(r: K8sResource): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  // In a preview from empty a generated Secret's whole data map is one unknown value, not a map.
  const entries = (m: unknown) => (m !== null && typeof m === "object" && !Array.isArray(m) ? Object.entries(m) : []);
  for (const [k, v] of entries(r.props.stringData)) if (typeof v === "string") out.push([k, v]);
  for (const [k, v] of entries(r.props.data)) {
    if (typeof v === "string") out.push([k, isUnknown(v) ? v : Buffer.from(v, "base64").toString("utf8")]);
  }
  return out;
}

const USER_KEY = /(^|[^a-z])(admin[-_]?user|username|user)$/i;

export const weakCredentials: ResourceRule<{ minLength: number; weak: string[]; defaultUsers: string[] }> = {
  scope: "resource",
  name: "weak-credentials",
  description: "No default or weak password (admin123, password123, changeme, …) or password shorter than the minimum in a Secret or env var, and no default admin user name.",
  sources: [
    { seed: "001", heading: "Security", item: "All passwords changed from defaults; Default admin user password changed (`admin/admin123`); Grafana admin password changed" },
    { seed: "003", heading: "5. Secrets Creation", item: "--from-literal=password=password123" },
    { seed: "004", heading: "Security Configuration", item: "Database passwords are rotated and secure" },
  ],
  alsoFrom: "the program's own config schema (WEAK_PASSWORDS)",
  fix: "let @pulumi/random generate the credential, or set a long random one with `pulumi config set --secret`; rename default admin users",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ minLength: 16, weak: [...WEAK_PASSWORDS], defaultUsers: ["admin", "root", "postgres", "default"] }),
  schema: {
    minLength: { type: "integer", minimum: 1, description: "shortest acceptable password" },
    weak: { type: "array", items: { type: "string" }, description: "passwords that are never acceptable (case-insensitive)" },
    defaultUsers: { type: "array", items: { type: "string" }, description: "admin user names that must be changed" },
  },
  check(r, { params }) {
    const judge = (what: string, key: string, value: string): string | undefined => {
      if (isUnknown(value)) return undefined;
      if (USER_KEY.test(key) && /admin/i.test(key) && params.defaultUsers.includes(value.toLowerCase())) return `${what} "${key}" is the default admin user "${value}"`;
      if (!looksSecret(key) || /jwt/i.test(key)) return undefined;
      if (params.weak.includes(value.toLowerCase())) return `${what} "${key}" is a default or well-known weak password`;
      if (value.length < params.minLength) return `${what} "${key}" is a password of ${value.length} characters, below ${params.minLength}`;
      return undefined;
    };
    const out: Finding[] = [];
    if (r.kind === "Secret" && !/jwt/i.test(r.name)) {
      for (const [k, v] of secretValues(r)) {
        const p = judge("key", k, v);
        if (p) out.push({ target: r, problem: p });
      }
    }
    for (const { container, name } of containers(r)) {
      for (const e of plainEnv(container)) {
        const p = judge("env", e.name, e.value);
        if (p && !REFERENCE.test(e.value)) out.push({ target: r, container: name, problem: p });
      }
    }
    return out;
  },
};

export const jwtSecretStrength: ResourceRule<{ minBits: number }> = {
  scope: "resource",
  name: "jwt-secret-strength",
  description: "A JWT signing secret (a Secret or key named jwt) holds at least 256 bits.",
  sources: [
    { seed: "001", heading: "Security", item: "JWT secret generated (min 256 bits) and set via environment variable" },
    { seed: "004", heading: "Security Configuration", item: "JWT secrets are generated and secure" },
  ],
  fix: "generate the JWT secret with @pulumi/random (RandomBytes of at least 32 bytes) or set one of at least 32 bytes with `pulumi config set --secret platform:jwtSecret`",
  levels: { dev: "advisory", prod: "mandatory" },
  defaults: () => ({ minBits: 256 }),
  schema: { minBits: { type: "integer", minimum: 1, description: "minimum JWT secret size in bits" } },
  check(r, { params }) {
    if (r.kind !== "Secret") return [];
    const jwtSecret = /jwt/i.test(r.name);
    return secretValues(r).flatMap(([k, v]): Finding[] => {
      if (isUnknown(v) || !(/jwt/i.test(k) || (jwtSecret && !USER_KEY.test(k)))) return [];
      const bits = Buffer.byteLength(v) * 8;
      return bits < params.minBits ? [{ target: r, problem: `key "${k}" holds a JWT secret of ${bits} bits, below ${params.minBits}` }] : [];
    });
  },
};
