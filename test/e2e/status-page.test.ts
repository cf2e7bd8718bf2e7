import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type BrowserSession } from "../helpers/browser";
import { startLifeboat, type Lifeboat } from "../helpers/e2e";

/**
 * The public status page in Debian's Chromium against a real `wrangler dev`: it loads with no
 * script at all, a hostile check name is text and opens no dialog, dark mode follows the system,
 * the bars have text alternatives, and the bytes are measured. Screenshots (light and dark) go to
 * test-results/screenshots for the run's artifacts.
 */

const HOSTILE = "<script>alert(1)</script>";

let lifeboat: Lifeboat;
let browser: BrowserSession;

async function api(method: string, path: string, body?: unknown) {
  const response = await lifeboat.api(method, path, body);
  if (response.status >= 300) throw await lifeboat.serverError(`${method} ${path}`, response);
  return response.body;
}

beforeAll(async () => {
  // No page cache: wrangler's readiness probe hits `/` before the checks exist.
  lifeboat = await startLifeboat({ prefix: "lifeboat-e2e-status-", vars: { STATUS_CACHE_S: "0" } });
  browser = await launchBrowser();
  await api("PUT", "/api/v1/settings/status-page", { title: "Acme status", description: "Backups and jobs of acme" });
  const web = await api("POST", "/api/v1/checks", { name: HOSTILE, public: true, group: "Web", period_s: 3600 });
  await api("POST", "/api/v1/checks", { name: "Nightly orders DB", kind: "backup", public: true, group: "Databases" });
  await api("POST", "/api/v1/checks", { name: "Payroll export", public: false });
  const ping = await fetch(web.ping_url);
  expect(ping.status).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
});

describe("the status page in Chromium", () => {
  it("loads without any script, shows the hostile name as text, and opens no dialog", async () => {
    const { page, dialogs } = await browser.newPage();
    const resources: { type: string; bytes: number }[] = [];
    page.on("response", async (response) => {
      const body = await response.body().catch(() => Buffer.alloc(0));
      resources.push({ type: response.request().resourceType(), bytes: body.length });
    });
    const response = await page.goto(lifeboat.dev.url, { waitUntil: "load" });
    expect(response!.status()).toBe(200);
    expect(await page.title()).toBe("Acme status");
    await expect(page.getByRole("heading", { name: HOSTILE, exact: true }).count()).resolves.toBe(1);
    const item = page.locator("li", { has: page.getByRole("heading", { name: HOSTILE }) });
    expect(await item.locator("b").textContent()).toBe("✓ Operational");
    expect(await page.getByText("Payroll export").count()).toBe(0);
    expect(await page.evaluate("document.scripts.length")).toBe(0);
    expect(await page.getByRole("status").textContent()).toBe("✓ All systems operational");
    await browser.screenshot(page, "status-page-light");
    expect(dialogs).toEqual([]);

    const html = await (await fetch(lifeboat.dev.url)).text();
    const scriptBytes = resources.filter((r) => r.type === "script").reduce((sum, r) => sum + r.bytes, 0);
    console.log(
      `status page on wrangler dev: ${Buffer.byteLength(html)} bytes of HTML, ${scriptBytes} bytes of JavaScript, ` +
        `${resources.length} response(s): ${resources.map((r) => r.type).join(", ")}`,
    );
    expect(scriptBytes).toBe(0);
  });

  it("follows the system's dark mode", async () => {
    const { page, dialogs } = await browser.newPage({ colorScheme: "dark" });
    await page.goto(lifeboat.dev.url);
    expect(await page.evaluate("getComputedStyle(document.body).backgroundColor")).toBe("rgb(13, 17, 23)");
    expect(await page.evaluate("getComputedStyle(document.body).color")).toBe("rgb(230, 237, 243)");
    await browser.screenshot(page, "status-page-dark");
    expect(dialogs).toEqual([]);
  });

  it("gives every bar a text alternative, and the page its landmarks", async () => {
    const { page } = await browser.newPage();
    await page.goto(lifeboat.dev.url);
    const snapshot = await page.locator("main").ariaSnapshot();
    expect(snapshot).toMatch(/90 days: .*no data/);
    // Each run's <title> is its accessible name ("nothing expected" is only in titles, not in the label).
    expect(snapshot).toMatch(/\d+ \w{3} – \d+ \w{3}: nothing expected/);
    expect(await page.getByRole("main").count()).toBe(1);
    expect(await page.getByRole("banner").count()).toBe(1);
    expect(await page.getByRole("contentinfo").count()).toBe(1);
    // The first Tab reaches the skip link, and it becomes visible.
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    await expect(skip.evaluate((el) => el === (el.ownerDocument as any).activeElement)).resolves.toBe(true);
    expect((await skip.boundingBox())!.x).toBeGreaterThanOrEqual(0);
  });

  it("serves badges as SVG that Chromium draws, with the name escaped", async () => {
    const checks = (await api("GET", "/api/v1/checks")).checks as any[];
    const hostile = checks.find((c) => c.name === HOSTILE);
    const response = await fetch(hostile.badges.state_svg);
    expect(response.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(await response.text()).toContain("<title>&#60;script&#62;alert(1)&#60;/script&#62;: operational</title>");
    // Embedded as a README would: the image loads and has the badge's size.
    const { page, dialogs } = await browser.newPage();
    await page.setContent(`<body style="margin:8px"><img alt="badge" src="${hostile.badges.state_svg}"></body>`);
    await page.waitForFunction("document.images[0].complete && document.images[0].naturalWidth > 0");
    expect(await page.evaluate("document.images[0].naturalHeight")).toBe(20);
    await browser.screenshot(page, "badge-state");
    expect(dialogs).toEqual([]);
    const unknown = await fetch(hostile.badges.state_svg.replace(/[0-9a-f]{32}/, "f".repeat(32)));
    expect(unknown.status).toBe(404);
  });
});
