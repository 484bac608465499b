/** The HTTP GET the Prometheus and Grafana checks share. */
import { CheckFailure } from "./failure";

export async function getJson<T>(url: string, signal: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, headers: { accept: "application/json" } });
  const body = await res.text();
  if (!res.ok) throw new CheckFailure(`GET ${new URL(url).pathname} answered HTTP ${res.status}: ${body.trim().slice(0, 200)}`);
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new CheckFailure(`GET ${new URL(url).pathname} did not answer JSON: ${body.trim().slice(0, 200)}`);
  }
}

export async function getOk(url: string, signal: AbortSignal): Promise<string> {
  const res = await fetch(url, { signal });
  const body = (await res.text()).trim();
  if (!res.ok) throw new CheckFailure(`GET ${new URL(url).pathname} answered HTTP ${res.status}: ${body.slice(0, 200)}`);
  return body;
}
