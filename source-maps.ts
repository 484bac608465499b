/**
 * Stack traces mapped by Node's own source maps instead of ts-node's source-map-support. Pulumi's
 * cmd/run registers ts-node, whose source-map-support maps every stack trace in JavaScript, and the
 * SDK reads a stack trace for each resource it registers (its source position): for prod, about
 * 0.5 s of a 1.9 s start-up under mocks. Node maps the same frames to the same TypeScript lines (ts-node's
 * output carries its source map inline) for a fraction of that. index.ts imports this first, so
 * every module after it is compiled with Node's source maps on. Outside ts-node (jest's own
 * transform) it changes nothing.
 */
const tsNode = (process as unknown as Record<symbol, unknown>)[Symbol.for("ts-node.register.instance")];
if (tsNode !== undefined && typeof process.setSourceMapsEnabled === "function") {
  process.setSourceMapsEnabled(true);
  delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
}

export {};
