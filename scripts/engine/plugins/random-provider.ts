/**
 * The `random` resource provider (`pulumi-resource-random`) for the local engine, used because the
 * module proxy here does not serve github.com/pulumi/pulumi-random/provider/v4 ("403 This module
 * version is not available" for v4.21.2 and the other versions tried).
 *
 * It serves the three resources the program uses, with the inputs, defaults and outputs of the
 * Terraform random provider that @pulumi/random wraps: RandomPassword (result; no bcryptHash),
 * RandomBytes (base64, hex) and RandomId (b64Std, b64Url, dec, hex). Values come from the system's
 * CSPRNG; every input forces a replacement, as upstream. The gRPC server is the SDK's own
 * `provider.main`, so it speaks the protocol of the same release as the CLI. It loads the SDK's
 * provider module only, not the whole of `@pulumi/pulumi` (0.1 s instead of 0.45 s at each start; the
 * engine waits for the provider before it goes on with the resources after its first use).
 */
import * as sdk from "@pulumi/pulumi/provider";
import { randomBytes, randomInt } from "crypto";

const VERSION = process.env.PULUMI_RANDOM_PROVIDER_VERSION ?? "4.21.2";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC = "0123456789";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

type Inputs = Record<string, any>;

const PASSWORD_DEFAULTS = { lower: true, upper: true, numeric: true, special: true, minLower: 0, minUpper: 0, minNumeric: 0, minSpecial: 0 };

function kind(urn: string): "password" | "bytes" | "id" {
  const type = urn.split("::")[2] ?? "";
  if (type.endsWith("RandomPassword") || type.endsWith("RandomString")) return "password";
  if (type.endsWith("RandomBytes")) return "bytes";
  if (type.endsWith("RandomId")) return "id";
  throw new Error(`random provider: unsupported resource type ${type}`);
}

function pick(chars: string): string {
  return chars[randomInt(chars.length)];
}

function password(i: Inputs): string {
  const sets: [boolean, number, string][] = [
    [i.lower, i.minLower, LOWER],
    [i.upper, i.minUpper, UPPER],
    [i.numeric, i.minNumeric, NUMERIC],
    [i.special, i.minSpecial, typeof i.overrideSpecial === "string" ? i.overrideSpecial : SPECIAL],
  ];
  const chars: string[] = [];
  let pool = "";
  for (const [on, min, set] of sets) {
    if (!on) continue;
    pool += set;
    for (let n = 0; n < min; n++) chars.push(pick(set));
  }
  while (chars.length < i.length) chars.push(pick(pool));
  // Fisher-Yates with the CSPRNG, so the minimum characters are not all at the front.
  for (let j = chars.length - 1; j > 0; j--) {
    const k = randomInt(j + 1);
    [chars[j], chars[k]] = [chars[k], chars[j]];
  }
  return chars.join("");
}

function check(urn: string, news: Inputs): sdk.CheckResult {
  const failures: sdk.CheckFailure[] = [];
  const k = kind(urn);
  if (k === "password") {
    const i: Inputs = { ...PASSWORD_DEFAULTS, ...news };
    if (news.number !== undefined && news.numeric === undefined) i.numeric = news.number;
    i.number = i.numeric;
    if (!Number.isInteger(i.length) || i.length < 1) failures.push({ property: "length", reason: "length must be an integer of at least 1" });
    const mins = (i.lower ? i.minLower : 0) + (i.upper ? i.minUpper : 0) + (i.numeric ? i.minNumeric : 0) + (i.special ? i.minSpecial : 0);
    if (mins > i.length) failures.push({ property: "length", reason: `length ${i.length} is below the sum of the minimums (${mins})` });
    if (!i.lower && !i.upper && !i.numeric && !i.special) failures.push({ property: "lower", reason: "at least one character set must be enabled" });
    return { inputs: i, failures };
  }
  const lengthKey = k === "bytes" ? "length" : "byteLength";
  if (!Number.isInteger(news[lengthKey]) || news[lengthKey] < 1) failures.push({ property: lengthKey, reason: `${lengthKey} must be an integer of at least 1` });
  return { inputs: news, failures };
}

function create(urn: string, i: Inputs): sdk.CreateResult {
  switch (kind(urn)) {
    case "password":
      // Upstream uses the constant id "none" so that the value never appears outside the secret outputs.
      return { id: "none", outs: { ...i, result: password(i) } };
    case "bytes": {
      const b = randomBytes(i.length);
      return { id: "none", outs: { ...i, base64: b.toString("base64"), hex: b.toString("hex") } };
    }
    case "id": {
      const b = randomBytes(i.byteLength);
      const prefix = typeof i.prefix === "string" ? i.prefix : "";
      const b64Url = prefix + b.toString("base64url");
      return {
        id: b64Url,
        outs: {
          ...i,
          b64Url,
          b64Std: prefix + b.toString("base64"),
          hex: prefix + b.toString("hex"),
          dec: prefix + BigInt(`0x${b.toString("hex")}`).toString(10),
        },
      };
    }
  }
}

const INPUT_KEYS: Record<ReturnType<typeof kind>, string[]> = {
  password: ["length", "lower", "upper", "numeric", "special", "minLower", "minUpper", "minNumeric", "minSpecial", "overrideSpecial", "keepers"],
  bytes: ["length", "keepers"],
  id: ["byteLength", "prefix", "keepers"],
};

function diff(urn: string, olds: Inputs, news: Inputs): sdk.DiffResult {
  const replaces = INPUT_KEYS[kind(urn)].filter((key) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null));
  return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
}

const provider: sdk.Provider = {
  version: VERSION,
  schema: JSON.stringify({ name: "random", version: VERSION }),
  check: async (urn, _olds, news) => check(urn, news),
  diff: async (_id, urn, olds, news) => diff(urn, olds, news),
  create: async (urn, inputs) => create(urn, inputs),
  read: async (id, _urn, props) => ({ id, props }),
  delete: async () => undefined,
};

void sdk.main(provider, process.argv.slice(2));
