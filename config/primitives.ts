/** Value types shared by the configuration schemas; each message says what is allowed. */
import { z } from "zod";
import { parseCpu, parseGoDuration, parseMemory } from "./quantities";

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
export const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
// registry[:port]/path[:tag][@sha256:digest]
export const IMAGE_REF =
  /^(?:[a-z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Well-known defaults and leaked examples from the checklists; never acceptable as a credential. */
export const WEAK_PASSWORDS = [
  "admin", "admin123", "password", "password123", "changeme", "secret", "root", "postgres",
  "redis", "clickhouse", "default", "grafana", "123456", "12345678", "qwerty", "letmein",
];

export const dnsLabel = z.string().regex(DNS_LABEL, "a DNS label: lower-case letters, digits and '-', at most 63 characters");
export const port = z.number().int("a whole TCP port number").min(1, "a TCP port between 1 and 65535").max(65535, "a TCP port between 1 and 65535");
export const cpu = z.string().refine((v) => parseCpu(v) !== undefined, "a CPU quantity such as 100m, 0.5 or 2");
export const memory = z.string().refine((v) => parseMemory(v) !== undefined, "a memory quantity such as 128Mi or 2Gi");
export const storage = memory;
export const cron = z
  .string()
  .regex(/^(@(hourly|daily|weekly|monthly)|(\S+\s+){4}\S+)$/, "a cron schedule with five fields (e.g. '0 * * * *') or @hourly/@daily/@weekly/@monthly");
export const imageRef = z.string().regex(IMAGE_REF, "an image reference such as registry.example.com/team/app:1.2.3 or name@sha256:<digest>");

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
    const checks: Array<["cpu" | "memory", (v: string) => number | undefined]> = [["cpu", parseCpu], ["memory", parseMemory]];
    for (const [kind, parse] of checks) {
      const req = parse(r.requests[kind]);
      const lim = parse(r.limits[kind]);
      if (req !== undefined && lim !== undefined && req > lim) {
        ctx.addIssue({ code: "custom", path: ["requests", kind], message: `a ${kind} request no larger than the limit (${r.limits[kind]})` });
      }
    }
  });

