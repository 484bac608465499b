/** The HTTP GET the Prometheus and Grafana checks share. */
import { request } from "node:http";
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

export async function getJson<T>(url: string, signal: AbortSignal): Promise<T> {
  const body = await getOk(url, signal);
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new CheckFailure(`GET ${new URL(url).pathname} did not answer JSON: ${body.slice(0, 200)}`);
  }
}
