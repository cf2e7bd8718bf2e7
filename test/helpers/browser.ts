import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO_ROOT } from "./wrangler-dev";

/**
 * Debian's Chromium driven by playwright-core for the browser tests. playwright-core never downloads
 * a browser of its own (these machines cannot), so the executable is the system one; .ci/run installs
 * the `chromium` package when it is missing.
 */

export const CHROMIUM = process.env.LIFEBOAT_CHROMIUM ?? "/usr/bin/chromium";

/** Screenshots land here; CI keeps test-results/ as the run's artifacts. */
export const SCREENSHOT_DIR = join(REPO_ROOT, "test-results", "screenshots");

export type BrowserSession = {
  browser: Browser;
  /** A fresh page in its own context (no shared cookies), with dialogs recorded and dismissed. */
  newPage: (options?: { colorScheme?: "light" | "dark" }) => Promise<{ page: Page; dialogs: string[] }>;
  /** A full-page PNG under test-results/screenshots/NAME.png; returns its path. */
  screenshot: (page: Page, name: string) => Promise<string>;
  close: () => Promise<void>;
};

export async function launchBrowser(): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
  // The flags keep Chromium off the network it cannot reach here (component updates, sync, QUIC
  // probes), which otherwise floods the machine's closed network with refused connections.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright gives each launch a fresh, empty profile in a temp dir and removes it on close.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({ colorScheme: options.colorScheme ?? "light" });
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on("dialog", (dialog) => {
        dialogs.push(`${dialog.type()}: ${dialog.message()}`);
        void dialog.dismiss();
      });
      return { page, dialogs };
    },
    async screenshot(page, name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await browser.close();
    },
  };
}
