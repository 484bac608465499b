/**
 * Deprecated Kubernetes API versions and fields, as the API server under test states them: its
 * OpenAPI v3 document says "Deprecated" in the description of a deprecated field (the convention of
 * the Kubernetes API types' comments, e.g. `serviceAccount`, `gitRepo`, `selfLink`), and it counts
 * every request to a deprecated API version in `apiserver_requested_deprecated_apis`. Used by
 * kwok/stacks.e2e.ts, so the check follows the version the test runs against (npm run test:matrix).
 */
import * as fs from "fs";
import * as path from "path";

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  description?: string;
  "x-kubernetes-group-version-kind"?: Array<{ group: string; version: string; kind: string }>;
}

/** How the API types' comments mark a deprecated field or type. */
const DEPRECATED = /(^|\s)(Deprecated[:.]|DEPRECATED)|deprecated alias|considered as deprecated/;

/** `apps/v1` -> `apis/apps/v1`, `v1` -> `api/v1`: the path of the group version's OpenAPI v3 document. */
function openapiPath(apiVersion: string): string {
  return apiVersion.includes("/") ? `apis/${apiVersion}` : `api/${apiVersion}`;
}

export class ApiSchemas {
  private readonly docs = new Map<string, Record<string, Schema>>();

  /** `get` returns the body of a GET on the API server (e.g. `kubectl get --raw`). */
  constructor(private readonly get: (urlPath: string) => string) {}

  private schemas(apiVersion: string): Record<string, Schema> {
    let s = this.docs.get(apiVersion);
    if (!s) {
      s = JSON.parse(this.get(`/openapi/v3/${openapiPath(apiVersion)}`)).components.schemas as Record<string, Schema>;
      this.docs.set(apiVersion, s);
    }
    return s;
  }

  private resolve(apiVersion: string, schema: Schema | undefined): Schema {
    let s = schema ?? {};
    for (let i = 0; i < 10 && (s.$ref || s.allOf?.length === 1); i++) {
      if (s.$ref) s = this.schemas(apiVersion)[s.$ref.replace("#/components/schemas/", "")] ?? {};
      else s = { ...s.allOf![0], description: s.description ?? s.allOf![0].description };
    }
    return s;
  }

  /** Group versions the server serves. */
  served(): Set<string> {
    const paths = Object.keys(JSON.parse(this.get("/openapi/v3")).paths as Record<string, unknown>);
    return new Set(paths.map((p) => p.replace(/^apis?\//, "")));
  }

  /** Dotted paths of the fields `obj` sets that the server describes as deprecated (or its kind, when the type is). */
  deprecatedFields(obj: { apiVersion: string; kind: string }): string[] {
    const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
    const root = Object.values(this.schemas(obj.apiVersion)).find((s) => s["x-kubernetes-group-version-kind"]?.some((g) => g.group === group && g.version === version && g.kind === obj.kind));
    if (!root) throw new Error(`${obj.apiVersion} ${obj.kind} is not served by this API server`);
    const found: string[] = DEPRECATED.test(root.description ?? "") ? [obj.kind] : [];
    const walk = (value: unknown, schema: Schema, at: string): void => {
      const s = this.resolve(obj.apiVersion, schema);
      if (Array.isArray(value)) return value.forEach((v, i) => walk(v, s.items ?? {}, `${at}[${i}]`));
      if (value === null || typeof value !== "object") return;
      for (const [k, v] of Object.entries(value)) {
        const prop = s.properties?.[k] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined);
        if (!prop) continue;
        const field = at ? `${at}.${k}` : k;
        if (DEPRECATED.test(prop.description ?? this.resolve(obj.apiVersion, prop).description ?? "")) found.push(field);
        walk(v, prop, field);
      }
    };
    walk(obj, root, "");
    return found;
  }

  /**
   * Names of the fields the given group versions describe as deprecated wherever they appear
   * (`tcpSocket` is deprecated in a lifecycle hook but not in a probe: not listed).
   */
  deprecatedNames(apiVersions: string[]): Set<string> {
    const deprecated = new Set<string>();
    const current = new Set<string>();
    for (const gv of apiVersions) {
      for (const s of Object.values(this.schemas(gv))) {
        for (const [k, p] of Object.entries(s.properties ?? {})) (DEPRECATED.test(p.description ?? "") ? deprecated : current).add(k);
      }
    }
    return new Set([...deprecated].filter((k) => !current.has(k)));
  }
}

/**
 * A deprecated API the engine reads, not the program: the kubernetes provider awaits a Service's
 * (and an Ingress's) endpoints through core/v1 Endpoints (pulumi-kubernetes pkg/await/service.go),
 * deprecated since 1.33 in favour of EndpointSlices and not scheduled for removal. The program
 * writes no Endpoints (its objects are checked field by field).
 */
const READ_BY_THE_PROVIDER = 'group="",removed_release="",resource="endpoints",subresource="",version="v1"';

/**
 * Requests the API server counted to deprecated API versions (`apiserver_requested_deprecated_apis`),
 * as metric lines, but for the provider's read of Endpoints.
 */
export function deprecatedRequests(metrics: string): string[] {
  return metrics.split("\n").filter((l) => l.startsWith("apiserver_requested_deprecated_apis{") && !l.includes(`{${READ_BY_THE_PROVIDER}}`));
}

/** The TypeScript sources under `dir`, recursively. */
export function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === "node_modules" ? [] : sources(p);
    return d.name.endsWith(".ts") ? [p] : [];
  });
}
