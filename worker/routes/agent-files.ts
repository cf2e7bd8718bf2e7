import { Hono } from "hono";
import type { AppEnv } from "../app";
import installer from "../../agent-script/install.sh";

/**
 * The installer, as `curl -fsSL https://HOST/install.sh | LIFEBOAT_KEY_ID=… sh` fetches it, with
 * this server's URL filled in. Plain text, never cached for long: an upgrade should reach the
 * next install.
 */
export const agentFileRoutes = new Hono<AppEnv>();

const TEXT = { "Content-Type": "text/x-shellscript; charset=utf-8", "Cache-Control": "public, max-age=300" };

agentFileRoutes.get("/install.sh", (c) => c.body(installer.replace("__LIFEBOAT_URL__", c.get("baseUrl")), 200, TEXT));
