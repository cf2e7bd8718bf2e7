import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app";
import type { AgentKeyRow } from "../db/schema";
import { AppError } from "../errors";
import { keyAllowsCheck, touchKey, verifyKeySecret } from "../services/keys";
import type { FileRef } from "../services/restic-files";
import { repositoryOf, repositoryQueries, type RepositoryRows, type ResticRepository } from "../services/restic-repos";

export const CHALLENGE = { "WWW-Authenticate": 'Basic realm="lifeboat restic", charset="UTF-8"' };

const BasicHeader = z
  .string()
  .regex(/^Basic [A-Za-z0-9+/]+={0,2}$/i, "HTTP Basic credentials")
  .transform((header) => {
    try {
      const decoded = atob(header.slice(6));
      const colon = decoded.indexOf(":");
      return colon < 0 ? null : { keyId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    } catch {
      return null;
    }
  })
  .pipe(
    z.object({
      keyId: z.string().regex(/^lbk_[0-9a-f]{20}$/, "the user name is a key id"),
      secret: z.string().regex(/^[0-9a-f]{64}$/i, "the password is a key secret"),
    }),
  );

/**
 * Authenticates a restic request (HTTP Basic: key id and secret) and finds the repository it names,
 * both in one D1 round trip. A key without the `restic` scope is refused (403); a repository the
 * key may not use answers exactly like one that does not exist (404), so a key learns nothing
 * about other tenants' repositories. Nothing is written here; the key's last use is recorded only
 * after a successful answer.
 */
export async function authenticateRestic(
  c: Context<AppEnv>,
  target: { repo: string; ref: FileRef | null } | null,
): Promise<{ key: AgentKeyRow; repo: ResticRepository }> {
  refusePlainHttp(c.req.url);
  const credentials = BasicHeader.safeParse(c.req.header("Authorization"));
  if (!credentials.success) {
    const problem = c.req.header("Authorization") === undefined ? "missing" : "malformed";
    throw new AppError(
      "unauthorized",
      `${problem} credentials: use the key id and secret as user and password`,
      undefined,
      CHALLENGE,
    );
  }
  const db = c.get("db");
  const queries = target ? [...repositoryQueries(db, target.repo, target.ref)] : [];
  const { key, preloaded } = await verifyKeySecret<RepositoryRows | []>(
    db,
    c.env.LIFEBOAT_MASTER_KEY,
    credentials.data,
    queries,
  ).catch((error: unknown) => {
    if (error instanceof AppError && error.status === 401) {
      throw new AppError(error.code, error.message, error.details, CHALLENGE);
    }
    throw error;
  });
  if (!key.scopes.includes("restic")) throw new AppError("forbidden", `key "${key.id}" lacks the "restic" scope`);
  const repo = target && keyAllowsCheck(key, target.repo) ? repositoryOf(preloaded as RepositoryRows) : undefined;
  if (!target || !repo) throw new AppError("not_found", "no such repository");
  const now = Date.now();
  c.set("onSuccess", () => c.executionCtx.waitUntil(touchKey(db, key, now)));
  return { key, repo };
}

/**
 * The secret travels in every request, so it must not cross the network in clear. Cloudflare
 * serves https; plain http is accepted only from this machine (wrangler dev, tests).
 */
function refusePlainHttp(url: string) {
  const { protocol, hostname } = new URL(url);
  if (protocol === "https:" || ["127.0.0.1", "localhost", "[::1]"].includes(hostname)) return;
  throw new AppError("forbidden", "use https: the repository URL carries the key's secret");
}
