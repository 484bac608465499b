/**
 * Cheap stack traces that still point at the TypeScript lines. Pulumi's cmd/run registers ts-node,
 * whose source-map-support maps every stack trace in JavaScript, and the SDK formats stack traces
 * all the time: one with every frame per resource it registers (its source position) and one per
 * promise it tracks (its leak report). For prod that was about 0.5 s of a 1.9 s start-up under mocks;
 * Node's own source maps (`process.setSourceMapsEnabled`) still spent 0.4 s of a preview's program
 * CPU there, looking up a source map for every frame of every trace. So Node records the maps
 * ts-node's output carries inline, and this formatter maps only the frames of our own .ts files
 * (one map lookup per file, then per frame a search in it); frames of JavaScript packages keep their
 * positions in the .js files on disk. index.ts imports this first, so every module after it is
 * compiled with Node's source maps on. Outside ts-node (jest's own transform) it changes nothing.
 */
import { findSourceMap, type SourceMap } from "node:module";

const tsNode = (process as unknown as Record<symbol, unknown>)[Symbol.for("ts-node.register.instance")];
if (tsNode !== undefined && typeof process.setSourceMapsEnabled === "function") {
  process.setSourceMapsEnabled(true);
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (file: string): SourceMap | undefined => {
    if (!maps.has(file)) maps.set(file, file.endsWith(".ts") && !file.includes("/node_modules/") ? findSourceMap(file) : undefined);
    return maps.get(file);
  };
  const frame = (site: NodeJS.CallSite): string => {
    const text = site.toString();
    const file = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (!file || !line || !column) return text;
    const map = mapOf(file);
    if (!map) return text;
    const entry = map.findEntry(line - 1, column - 1) as Partial<{ originalLine: number; originalColumn: number }>;
    if (entry.originalLine === undefined || entry.originalColumn === undefined) return text;
    const at = `${file}:${line}:${column}`;
    const i = text.lastIndexOf(at);
    return i < 0 ? text : `${text.slice(0, i)}${file}:${entry.originalLine + 1}:${entry.originalColumn + 1}${text.slice(i + at.length)}`;
  };
  Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]): string => {
    let head: string;
    try {
      // Node's own errors name their code in the first line, as Node's formatter writes it.
      const code = (error as { code?: unknown }).code;
      head = typeof code === "string" && code.startsWith("ERR_") ? `${error.name} [${code}]: ${error.message}` : Error.prototype.toString.call(error);
    } catch {
      head = "Error";
    }
    return sites.length === 0 ? head : `${head}\n    at ${sites.map(frame).join("\n    at ")}`;
  };
}

export {};
