/** The HTTP GET the Prometheus and Grafana checks share. */
import { request } from "node:http";
import { z } from "zod";
import { CheckFailure } from "./failure";

/**
 * A GET on a fresh connection (no keep-alive pool: a pooled socket to a server that went away
 * would report "other side closed" instead of the refused connection).
 */
function get(url: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, signal, headers: { accept: "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8").trim() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

export async function getOk(url: string, signal: AbortSignal): Promise<string> {
  const { status, body } = await get(url, signal);
  if (status < 200 || status > 299) throw new CheckFailure(`GET ${new URL(url).pathname} answered HTTP ${status}: ${body.slice(0, 200)}`);
  return body;
}

/** The body as JSON of the expected shape; anything else (`null`, an array, a missing field) is a failure, not a TypeError. */
export async function getJson<S extends z.ZodType>(url: string, signal: AbortSignal, shape: S): Promise<z.infer<S>> {
  const body = await getOk(url, signal);
  const path = new URL(url).pathname;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new CheckFailure(`GET ${path} did not answer JSON: ${body.slice(0, 200)}`);
  }
  const result = shape.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new CheckFailure(`GET ${path} answered JSON of an unexpected shape (${issue.message}${where}): ${body.slice(0, 200)}`);
  }
  return result.data;
}
