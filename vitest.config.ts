import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("migrations");

// Tests inside workerd, against miniflare's real D1 and R2, with fixed test secrets.
const inWorkerd = () =>
  cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        TEST_MIGRATIONS: migrations,
        ADMIN_TOKEN: "test-admin-token",
        ADMIN_READ_TOKEN: "test-read-token",
        HC_API_KEY: "hc-rw-key-0123456789abcdef012345",
        HC_API_KEY_READONLY: "hcr_ro-key-0123456789abcdef01234",
        LIFEBOAT_MASTER_KEY: "test-master-key-0123456789abcdef",
        PUBLIC_URL: "https://lifeboat.test",
        ALLOW_INSECURE_CHANNELS: "true",
        EMAIL_FROM: "lifeboat@lifeboat.test",
      },
      // miniflare's own send_email: it parses and checks each message like Cloudflare does.
      email: { send_email: [{ name: "EMAIL" }] },
    },
  });

export default defineConfig({
  test: {
    // .ci/run asks for a JSON report as well, to print one plain "N passed, N failed" line.
    reporters: process.env.LIFEBOAT_TEST_REPORT
      ? ["default", ["json", { outputFile: process.env.LIFEBOAT_TEST_REPORT }]]
      : ["default"],
    projects: [
      {
        // Unit and integration tests inside workerd, against miniflare's real D1 and R2.
        plugins: [inWorkerd()],
        test: {
          name: "worker",
          // Some tests run hours of minutely sweeps or 5,000-row purges; on a 2-core machine shared with
          // other runs they took over 30 s (ping-ring's property, retention-sweep, status-page). A
          // timeout is a hang detector here, not a speed check (bench/ measures speed).
          testTimeout: 90_000,
          include: ["test/worker/**/*.test.ts"],
          setupFiles: ["test/helpers/apply-migrations.ts"],
          globalSetup: ["test/helpers/receiver-global.ts"],
        },
      },
      {
        // End to end: a real `wrangler dev`, real curl, a real HTTP receiver.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Reliability (docs/RELIABILITY.md): attacks, fuzzing and long sweeps inside workerd.
        plugins: [inWorkerd()],
        test: {
          name: "reliability",
          testTimeout: 300_000,
          include: ["test/reliability/worker/**/*.test.ts"],
          setupFiles: ["test/helpers/apply-migrations.ts"],
          globalSetup: ["test/helpers/receiver-global.ts"],
        },
      },
      {
        // Reliability against a real wrangler dev: kill -9 trials, ping floods, the Postgres drill, Chromium.
        test: {
          name: "reliability-e2e",
          include: ["test/reliability/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 600_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
