import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { ADMIN, BASE, fetchWorker, READER, tableCounts } from "../helpers/api";

/**
 * A browser stand-in for the dashboard tests: logs in with a form POST, keeps the session cookie,
 * reads each page's CSRF token, and posts forms the way a browser does (urlencoded, same Origin).
 */

export const COOKIE = "__Secure-lifeboat-admin";

export type Page = { status: number; html: string; headers: Headers };

export async function loginResponse(token: string, headers: Record<string, string> = {}) {
  return fetchWorker(
    new Request(`${BASE}/admin/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: BASE, ...headers },
      body: new URLSearchParams({ token }),
      redirect: "manual",
    }),
  );
}

/** The cookie value from a Set-Cookie header (undefined when there is none). */
export function cookieFrom(response: Response): string | undefined {
  const header = response.headers.get("Set-Cookie") ?? "";
  return new RegExp(`${COOKIE}=([^;]*)`).exec(header)?.[1];
}

export class Browser {
  constructor(public cookie: string | undefined) {}

  static async login(token = ADMIN): Promise<Browser> {
    const response = await loginResponse(token);
    expect(response.status).toBe(303);
    return new Browser(cookieFrom(response));
  }

  static admin = () => Browser.login(ADMIN);
  static reader = () => Browser.login(READER);

  private headers(extra: Record<string, string> = {}) {
    return { ...(this.cookie ? { Cookie: `${COOKIE}=${this.cookie}` } : {}), ...extra };
  }

  async get(path: string): Promise<Page> {
    const response = await fetchWorker(new Request(`${BASE}${path}`, { headers: this.headers(), redirect: "manual" }));
    return { status: response.status, html: await response.text(), headers: response.headers };
  }

  /** The CSRF token the page at `path` carries in its forms. */
  async csrf(path = "/admin"): Promise<string> {
    const page = await this.get(path);
    const token = /name="_csrf" value="([0-9a-f]+)"/.exec(page.html)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path} (status ${page.status})`);
    return token;
  }

  /** A form POST; pass `csrf: null` to leave the token out, `origin` to pose as another site. */
  async post(
    path: string,
    fields: Record<string, string | string[]> = {},
    options: { csrf?: string | null; origin?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const body = new URLSearchParams();
    const csrf = options.csrf === undefined ? await this.csrf() : options.csrf;
    if (csrf !== null) body.append("_csrf", csrf);
    for (const [name, value] of Object.entries(fields)) {
      for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
    }
    const origin = options.origin === undefined ? BASE : options.origin;
    const headers = this.headers({
      "Content-Type": "application/x-www-form-urlencoded",
      ...(origin !== null ? { Origin: origin } : {}),
      ...options.headers,
    });
    const response = await fetchWorker(
      new Request(`${BASE}${path}`, { method: "POST", headers, body, redirect: "manual" }),
    );
    return { status: response.status, html: await response.text(), headers: response.headers };
  }
}

/** Everything a refused request must leave alone: row counts and the rows a form could change. */
export async function snapshot() {
  const rows = async (table: string) => (await env.DB.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()).results;
  return {
    counts: await tableCounts(),
    checks: await rows("checks"),
    channels: await rows("channels"),
    keys: await rows("agent_keys"),
  };
}

/** The error shown next to a field: the span the input's aria-describedby points at. */
export function fieldError(html: string, field: string): string | undefined {
  const id = `f-${field.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const match = new RegExp(`<span class="error" id="${id}-error">([^<]*)</span>`).exec(html);
  return match ? decode(match[1]!) : undefined;
}

const decode = (html: string) =>
  html
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** The value an input shows (as HTML-escaped in the page). */
export function inputValue(html: string, field: string): string | undefined {
  const id = `f-${field.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  const tag = new RegExp(`<input[^>]*id="${id}"[^>]*>`).exec(html)?.[0];
  const value = tag ? /value="([^"]*)"/.exec(tag)?.[1] : undefined;
  return value === undefined ? undefined : decode(value);
}

/** The fields a browser would submit for the page's form with `action`, as the page fills them in. */
export function formFields(html: string, action: string): Record<string, string | string[]> {
  const start = html.indexOf(`action="${action}"`);
  const form = html.slice(start, html.indexOf("</form>", start));
  const fields: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const existing = fields[name];
    fields[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  };
  for (const tag of form.match(/<input[^>]*>/g) ?? []) {
    const name = /name="([^"]*)"/.exec(tag)?.[1];
    if (!name || name === "_csrf") continue;
    const value = decode(/value="([^"]*)"/.exec(tag)?.[1] ?? "");
    if (/type="checkbox"/.test(tag) && !/\schecked/.test(tag)) continue;
    add(name, value);
  }
  for (const [, name, body] of form.matchAll(/<select[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    add(
      name!,
      decode(/<option value="([^"]*)" selected/.exec(body!)?.[1] ?? /<option value="([^"]*)"/.exec(body!)![1]!),
    );
  }
  for (const [, name, body] of form.matchAll(/<textarea[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) {
    add(name!, decode(body!));
  }
  return fields;
}
