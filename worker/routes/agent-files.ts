import { Hono } from "hono";
import type { AppEnv } from "../app";
import { sha256Hex } from "../domain/signing";
import agent from "../../agent-script/lifeboat";
import installer from "../../agent-script/install.sh";

/**
 * The agent and its installer, as `curl -fsSL https://HOST/install.sh | LIFEBOAT_KEY_ID=… sh` fetches it, with
 * this server's URL filled in. Plain text, never cached for long: an upgrade should reach the
 * next install.
 */
export const agentFileRoutes = new Hono<AppEnv>();

const TEXT = { "Content-Type": "text/x-shellscript; charset=utf-8", "Cache-Control": "public, max-age=300" };

agentFileRoutes.get("/install.sh", (c) => c.body(installer.replace("__LIFEBOAT_URL__", c.get("baseUrl")), 200, TEXT));

/** The agent, byte for byte as in agent-script/ (the installer checks it against the sha256 below). */
agentFileRoutes.get("/agent/lifeboat", (c) => c.body(agent, 200, TEXT));

let agentSha: Promise<string> | undefined;
/** The agent's sha256, which install.sh prints for the operator to compare with the dashboard's. */
export const agentSha256 = () => (agentSha ??= sha256Hex(agent));

agentFileRoutes.get("/agent/lifeboat.sha256", async (c) => {
  return c.body(`${await agentSha256()}  lifeboat\n`, 200, { ...TEXT, "Content-Type": "text/plain; charset=utf-8" });
});
