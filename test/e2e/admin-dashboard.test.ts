import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type BrowserSession } from "../helpers/browser";
import { startLifeboat, type Lifeboat } from "../helpers/e2e";

/**
 * The dashboard in Debian's Chromium against a real `wrangler dev`, driven by the keyboard alone:
 * log in, create a public check with a hostile name, find it on the dashboard and on the public
 * status page; no dialog may ever open. Screenshots (light and dark) go to test-results/screenshots.
 */

const HOSTILE = "<script>alert(1)</script>";
const ADMIN_TOKEN = randomBytes(24).toString("hex");

let lifeboat: Lifeboat;
let browser: BrowserSession;

beforeAll(async () => {
  // Our own admin token (the harness's is random and private); the harness's api() is not used.
  // The status page caches its render for 30 s by default, and wrangler's readiness probe hits `/`.
  lifeboat = await startLifeboat({ prefix: "lifeboat-e2e-dashboard-", vars: { ADMIN_TOKEN, STATUS_CACHE_S: "0" } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await lifeboat?.stop();
});

/** Presses Tab until the focused element matches, as a keyboard user would; fails if it never does. */
async function tabTo(page: Page, what: string, matches: (el: { id: string; text: string; tag: string }) => boolean) {
  for (let presses = 0; presses < 80; presses++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = (globalThis as any).document.activeElement; // runs in the page (the test has no DOM types)
      return { id: el?.id ?? "", text: (el?.textContent ?? "").trim(), tag: el?.tagName.toLowerCase() ?? "" };
    });
    if (matches(focused)) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

/** The focused element shows a visible focus ring (the dashboard's :focus-visible outline). */
async function focusRingVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const win = globalThis as any;
    const style = win.getComputedStyle(win.document.activeElement);
    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  });
}

/** The token field has autofocus, which Chromium applies at the next frame after load. */
async function tokenFieldFocused(page: Page) {
  await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === "f-token", null, {
    timeout: 5_000,
  });
}

async function logInByKeyboard(page: Page) {
  await page.goto(`${lifeboat.dev.url}/admin`);
  expect(new URL(page.url()).pathname).toBe("/admin/login");
  await tokenFieldFocused(page);
  await page.keyboard.type(ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${lifeboat.dev.url}/admin`), page.keyboard.press("Enter")]);
}

describe("admin dashboard in Chromium", () => {
  it("refuses a wrong token without a cookie", async () => {
    const { page, dialogs } = await browser.newPage();
    await page.goto(`${lifeboat.dev.url}/admin/login`);
    await tokenFieldFocused(page);
    await page.keyboard.type("not-the-token");
    await Promise.all([page.waitForLoadState("load"), page.keyboard.press("Enter")]);
    await page.waitForSelector("#login-error");
    expect(await page.textContent("#login-error")).toContain("not valid");
    expect(await page.context().cookies()).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.context().close();
  });

  it("logs in, creates a public check and finds it on the dashboard and the status page, by keyboard only", async () => {
    const { page, dialogs } = await browser.newPage({ colorScheme: "light" });
    await logInByKeyboard(page);
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({
      name: "__Secure-lifeboat-admin",
      httpOnly: true,
      secure: true,
      sameSite: "Strict",
      path: "/admin",
    });
    await browser.screenshot(page, "admin-overview-empty-light");

    // The skip link comes first and shows a focus ring.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.textContent?.trim())).toBe(
      "Skip to content",
    );
    expect(await focusRingVisible(page)).toBe(true);

    await tabTo(page, "the New check link", (el) => el.tag === "a" && el.text === "New check");
    await Promise.all([page.waitForURL(/\/admin\/checks\/new$/), page.keyboard.press("Enter")]);

    await tabTo(page, "the name field", (el) => el.id === "f-name");
    await page.keyboard.type(HOSTILE);
    await tabTo(page, "the period field", (el) => el.id === "f-period_s");
    await page.keyboard.type("1h");
    await tabTo(page, "the public checkbox", (el) => el.id === "f-public");
    await page.keyboard.press("Space");
    expect(await page.isChecked("#f-public")).toBe(true);
    await tabTo(page, "the Create check button", (el) => el.tag === "button" && el.text === "Create check");
    await Promise.all([
      page.waitForURL(/\/admin\/checks\/[0-9a-f-]{36}\?saved=created$/),
      page.keyboard.press("Enter"),
    ]);
    expect(await page.textContent("main h1")).toBe(HOSTILE);
    expect(await page.textContent("main")).toContain("every 1 h");
    await browser.screenshot(page, "admin-check-light");

    await tabTo(page, "the Overview link", (el) => el.tag === "a" && el.text === "Overview");
    await Promise.all([page.waitForURL(`${lifeboat.dev.url}/admin`), page.keyboard.press("Enter")]);
    // The checks table (the Free plan budget's costliest checks name it too).
    const row = page.locator('section[aria-labelledby="h-states"] table tbody tr', { hasText: HOSTILE });
    expect(await row.count()).toBe(1);
    expect(await row.locator("td").last().textContent()).toBe("yes");
    await browser.screenshot(page, "admin-overview-light");

    // The public status page lists public checks (docs/DASHBOARD.md: built alongside this one).
    const status = await page.goto(`${lifeboat.dev.url}/`);
    expect(status!.headers()["content-type"]).toContain("text/html");
    expect(await page.textContent("body")).toContain(HOSTILE);
    expect(dialogs).toEqual([]);
    await page.context().close();
  });

  it("renders in dark mode", async () => {
    const { page, dialogs } = await browser.newPage({ colorScheme: "dark" });
    await logInByKeyboard(page);
    const background = await page.evaluate(
      () => (globalThis as any).getComputedStyle((globalThis as any).document.body).backgroundColor,
    );
    expect(background).toBe("rgb(13, 17, 23)");
    await browser.screenshot(page, "admin-overview-dark");
    await page.goto(`${lifeboat.dev.url}/admin/checks/new`);
    await browser.screenshot(page, "admin-new-check-dark");
    expect(dialogs).toEqual([]);
    await page.context().close();
  });
});
