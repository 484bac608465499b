/** The configuration reference in README.md lists exactly the keys the schema accepts. */
import * as fs from "fs";
import * as path from "path";
import { resources } from "../../config/primitives";
import { configSchema } from "../../config/schema";

/** Documented key paths of a schema: records become <name>, arrays [], resource blocks stay whole. */
function keyPaths(schema: any, prefix: string): string[] {
  const def = schema.def;
  if (schema === resources) return [prefix];
  switch (def.type) {
    case "optional":
    case "default":
    case "nullable":
    case "prefault":
      return keyPaths(def.innerType, prefix);
    case "object":
      return Object.entries(def.shape).flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}.${k}` : k));
    case "record":
      return def.valueType.def.type === "object" ? keyPaths(def.valueType, `${prefix}.<name>`) : [`${prefix}.<NAME>`];
    case "array":
      return def.element.def.type === "object" ? keyPaths(def.element, `${prefix}[]`) : [prefix];
    default:
      return [prefix];
  }
}

function documentedKeys(): string[] {
  const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
  const section = readme.split("## Configuration reference")[1].split("\n## ")[0];
  return [...section.matchAll(/^\| `platform:([^`]+)` \|/gm)].map((m) => m[1]);
}

test("every schema key is documented and every documented key exists", () => {
  const schemaKeys = keyPaths(configSchema, "").sort();
  const docKeys = documentedKeys().sort();
  expect(schemaKeys.length).toBeGreaterThan(50);
  expect({ undocumented: schemaKeys.filter((k) => !docKeys.includes(k)), unknown: docKeys.filter((k) => !schemaKeys.includes(k)) }).toEqual({ undocumented: [], unknown: [] });
});
