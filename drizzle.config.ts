import { defineConfig } from "drizzle-kit";

// drizzle-kit writes SQL into migrations/, which wrangler applies (`migrations_dir` in wrangler.toml).
export default defineConfig({
  dialect: "sqlite",
  schema: "./worker/db/schema.ts",
  out: "./migrations",
});
