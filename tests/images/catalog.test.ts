/**
 * The image catalog (scripts/images/catalog.tsv) against the stacks: each stand-in is at the version
 * its stack keys pin, or says why not; the overlay (scripts/images/overlay.sh) points every image key
 * of both stacks at a stand-in and still passes the configuration schema.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../config/load";
import { ROOT, Stack, stackConfig } from "../helpers/program";

interface Entry {
  name: string;
  version: string;
  keys: string[];
  gap: string;
}

const catalog: Entry[] = readFileSync(join(ROOT, "scripts/images/catalog.tsv"), "utf8")
  .split("\n")
  .filter((l) => l.trim() && !l.startsWith("#"))
  .map((l) => {
    const [name, version, , keys, gap] = l.split("\t");
    return { name, version, keys: keys ? keys.split(",") : [], gap: gap ?? "" };
  });

/** `platform:redis.exporterImage` or `platform:services.gateway.image` read from a parsed config. */
function at(config: Record<string, any>, key: string): string {
  return key
    .replace(/^platform:/, "")
    .split(".")
    .reduce((node, field) => node[field], config as any);
}

/** The tag of an image reference, without a leading v. */
const tag = (ref: string) => ref.slice(ref.lastIndexOf(":") + 1).replace(/^v/, "");

function overlay(cache: string, ...args: string[]): string {
  return execFileSync("bash", [join(ROOT, "scripts/images/overlay.sh"), ...args], { env: { ...process.env, PLATFORM_IMAGES_CACHE: cache }, encoding: "utf8" });
}

/** A cache whose images.tsv lists every catalog image, as after a full build. */
function fullCache(): string {
  const dir = mkdtempSync(join(tmpdir(), "images-catalog-"));
  writeFileSync(join(dir, "images.tsv"), catalog.map((e) => `${e.name}\tplatform.local/stand-in/${e.name}:${e.version}\t${dir}/${e.name}.oci.tar\n`).join(""));
  return dir;
}

function deepMerge(base: any, over: any): any {
  if (typeof base !== "object" || typeof over !== "object" || base === null || Array.isArray(over)) return over;
  return Object.fromEntries([...new Set([...Object.keys(base), ...Object.keys(over)])].map((k) => [k, k in over ? deepMerge(base[k], over[k]) : base[k]]));
}

describe.each(["dev", "prod"] as Stack[])("the %s stack", (stack) => {
  const config = parseConfig(stackConfig(stack)) as unknown as Record<string, any>;

  test.each(catalog.filter((e) => e.keys.length > 0))("$name is at the pinned version, or its gap is stated", (e) => {
    for (const key of e.keys) {
      const pinned = tag(at(config, key));
      if (e.gap === "") expect(`${key} ${e.version}`).toBe(`${key} ${pinned}`);
      // A stated gap must be real: a stale note would hide a version that now matches.
      else expect(`${key} ${e.version}`).not.toBe(`${key} ${pinned}`);
    }
  });

  test("the overlay points every image key at a stand-in, and the result passes the schema", () => {
    const cache = fullCache();
    try {
      const doc = parse(overlay(cache)) as { config: Record<string, unknown> };
      const over = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^platform:/, ""), v]));
      const merged = parseConfig(deepMerge(stackConfig(stack), over)) as unknown as Record<string, any>;
      const imageKeys = Object.entries(merged).flatMap(([group, v]) =>
        v && typeof v === "object" && !Array.isArray(v)
          ? Object.keys(v)
              .filter((k) => /image$/i.test(k) && typeof v[k] === "string")
              .map((k) => `platform:${group}.${k}`)
          : [],
      );
      const serviceKeys = Object.keys(merged.services).map((s) => `platform:services.${s}.image`);
      expect(imageKeys.length).toBeGreaterThanOrEqual(10);
      expect(serviceKeys).toHaveLength(4);
      imageKeys.push(...serviceKeys);
      for (const key of imageKeys) expect(`${key} ${at(merged, key)}`).toMatch(new RegExp(`^${key.replace(/\./g, "\\.")} platform\\.local/stand-in/`));
      // Everything else is the stack's own.
      expect(merged.redis.storage).toBe(config.redis.storage);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

test("the overlay lists only images that were built, one `pulumi config set --path` line per key", () => {
  const cache = mkdtempSync(join(tmpdir(), "images-catalog-"));
  try {
    writeFileSync(join(cache, "images.tsv"), `redis\tplatform.local/stand-in/redis:7.0\t${cache}/redis-7.0.oci.tar\n`);
    expect(overlay(cache, "--paths")).toBe("platform:redis.image\tplatform.local/stand-in/redis:7.0\n");
    expect(parse(overlay(cache))).toEqual({ config: { "platform:redis": { image: "platform.local/stand-in/redis:7.0" } } });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test("the overlay refuses to guess before any image is built", () => {
  const cache = mkdtempSync(join(tmpdir(), "images-catalog-"));
  try {
    expect(() => overlay(cache)).toThrow(/run scripts\/images\/build\.sh first/);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
