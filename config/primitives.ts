/** Value types shared by the configuration schemas; each message says what is allowed. */
import { z } from "zod";
import { parseCpu, parseGoDuration, parseMemory } from "./quantities";

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Service names must also start with a letter (RFC 1035), which a namespace need not. */
export const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
export const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
// registry[:port]/path[:tag][@sha256:digest]
export const IMAGE_REF = /^(?:[a-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Well-known defaults, product names and leaked examples from the checklists; never the substance of a credential. */
export const WEAK_PASSWORDS = [
  "admin",
  "admin123",
  "password",
  "password123",
  "changeme",
  "secret",
  "root",
  "postgres",
  "redis",
  "clickhouse",
  "default",
  "grafana",
  "123456",
  "12345678",
  "qwerty",
  "letmein",
  "passwd",
  "kafka",
  "platform",
  "welcome",
  "iloveyou",
  "abc",
  "test",
];

/** Keyboard and counting runs; a credential that is a piece of one is guessed first. */
const RUNS = ["0123456789".repeat(8), "9876543210".repeat(8), "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm"];

/**
 * A credential is weak when, once the well-known words and punctuation are taken out, what remains
 * is short, uses fewer than 5 distinct characters or is a keyboard or counting run: length alone
 * lets "password12345678" through. A random all-digit password is not weak.
 */
export function isWeakSecret(v: string): boolean {
  const rest = WEAK_PASSWORDS.reduce((s, w) => s.split(w).join(""), v.toLowerCase()).replace(/[^a-z0-9]/g, "");
  return rest.length < 4 || new Set(rest).size < 5 || RUNS.some((run) => run.includes(rest));
}

/** A credential: never whitespace-padded or blank, at least `min` characters, not built from weak words. */
export const secretString = (min: number, how: string) =>
  z
    .string()
    .refine((v) => v.trim() !== "", "a secret that is not blank or only whitespace")
    .refine((v) => v.trim() === "" || v === v.trim(), "a secret without leading or trailing whitespace (a copy-paste remnant)")
    .min(min, `a secret of at least ${min} characters (${how})`)
    .refine((v) => v.length < min || v.trim() === "" || !isWeakSecret(v), "a secret not built from default or well-known words and digits");

export const dnsLabel = z.string().regex(DNS_LABEL, "a DNS label: lower-case letters, digits and '-', at most 63 characters");
export const port = z.number().int("a whole TCP port number").min(1, "a TCP port between 1 and 65535").max(65535, "a TCP port between 1 and 65535");

/** A quantity Kubernetes accepts and that is above zero; a bare memory number (bytes) is refused as a forgotten unit. */
export const cpu = z.string().superRefine((v, ctx) => {
  const cores = parseCpu(v);
  if (cores === undefined) ctx.addIssue({ code: "custom", message: "a CPU quantity such as 100m, 0.5 or 2" });
  else if (cores < 0.001) ctx.addIssue({ code: "custom", message: "a CPU quantity of at least 1m (0 means no CPU at all)" });
});
export const memory = z.string().superRefine((v, ctx) => {
  const bytes = parseMemory(v);
  if (bytes === undefined) ctx.addIssue({ code: "custom", message: "a memory quantity such as 128Mi or 2Gi" });
  else if (/^[0-9.]+$/.test(v)) ctx.addIssue({ code: "custom", message: `a memory quantity with a unit, such as ${v}Mi or ${v}Gi (a bare number means bytes)` });
  else if (bytes < 2 ** 20) ctx.addIssue({ code: "custom", message: "a memory quantity of at least 1Mi" });
});
export const storage = memory;

const CRON_NAMES = {
  month: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  week: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
};
// [field, lowest, highest, names (index + lowest = value)]
const CRON_FIELDS: Array<[string, number, number, string[]]> = [
  ["minute", 0, 59, []],
  ["hour", 0, 23, []],
  ["day of month", 1, 31, []],
  ["month", 1, 12, CRON_NAMES.month],
  ["day of week", 0, 7, CRON_NAMES.week],
];

/** The first out-of-range or malformed field of a five-field schedule, as Kubernetes' cron parser reads it. */
export function cronProblem(expr: string): string | undefined {
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(expr)) return undefined;
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return `five fields (minute hour day-of-month month day-of-week), found ${fields.length}`;
  for (const [i, [what, lo, hi, names]] of CRON_FIELDS.entries()) {
    const value = (s: string) => (names.includes(s.toLowerCase()) ? names.indexOf(s.toLowerCase()) + lo : /^\d+$/.test(s) ? Number(s) : NaN);
    for (const item of fields[i].split(",")) {
      const m = /^(?:(\*)|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:\/(\d+))?$/i.exec(item);
      const [a, b] = m && !m[1] ? [value(m[2]), m[3] === undefined ? value(m[2]) : value(m[3])] : [lo, hi];
      if (!m || !(a >= lo && b <= hi && a <= b) || m[4] === "0") return `a ${what} field within ${lo}-${hi}, got '${fields[i]}'`;
    }
  }
  return undefined;
}
export const cron = z.string().superRefine((v, ctx) => {
  const problem = cronProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: `a cron schedule such as '0 * * * *' or @hourly/@daily/@weekly/@monthly: ${problem}` });
});
/** A registry host's port (registry:5000/...), when the reference names one, is a TCP port. */
const registryPortInRange = (ref: string) => {
  const m = /^[a-z0-9.-]+:([0-9]+)\//.exec(ref);
  return !m || (Number(m[1]) >= 1 && Number(m[1]) <= 65535);
};
const REGISTRY_PORT = "a registry port between 1 and 65535";
export const imageRef = z.string().regex(IMAGE_REF, "an image reference such as registry.example.com/team/app:1.2.3 or name@sha256:<digest>").refine(registryPortInRange, REGISTRY_PORT);
export const registryRepository = z
  .string()
  .regex(/^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._\/-]+$/, "a registry repository such as registry.example.com/team/gateway")
  .refine(registryPortInRange, REGISTRY_PORT);
/** host:port, the port in the TCP range. */
export const hostPort = (example: string) =>
  z
    .string()
    .regex(/^[a-z0-9.-]+:[0-9]{1,5}$/, `a host:port such as ${example}`)
    .refine((v) => !/:[0-9]+$/.test(v) || port.safeParse(Number(v.split(":").pop())).success, "a TCP port between 1 and 65535 after the ':'");

export const goDuration = (min: string, max: string) =>
  z.string().refine((v) => {
    const ms = parseGoDuration(v);
    return ms !== undefined && ms >= parseGoDuration(min)! && ms <= parseGoDuration(max)!;
  }, `a Go duration such as 30s, 15m or 12h, between ${min} and ${max}`);

export const resources = z
  .object({
    requests: z.object({ cpu, memory }).strict(),
    limits: z.object({ cpu, memory }).strict(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const checks: Array<["cpu" | "memory", (v: string) => number | undefined]> = [
      ["cpu", parseCpu],
      ["memory", parseMemory],
    ];
    for (const [kind, parse] of checks) {
      const req = parse(r.requests[kind]);
      const lim = parse(r.limits[kind]);
      if (req !== undefined && lim !== undefined && req > lim) {
        ctx.addIssue({ code: "custom", path: ["requests", kind], message: `a ${kind} request no larger than the limit (${r.limits[kind]})` });
      }
    }
  });
