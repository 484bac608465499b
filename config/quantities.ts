/** Parsers for Kubernetes quantities and Go durations, so the schema can compare values. */

const MEMORY_UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Cores, or undefined when the value is not a CPU quantity. */
export function parseCpu(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

/** Bytes, or undefined when the value is not a memory quantity. */
export function parseMemory(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * MEMORY_UNITS[m[2] ?? ""];
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };

/** Milliseconds of a Go duration such as "12h" or "1h30m", or undefined when malformed. */
export function parseGoDuration(v: string): number | undefined {
  if (!/^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$/.test(v)) return undefined;
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]];
  return total;
}
