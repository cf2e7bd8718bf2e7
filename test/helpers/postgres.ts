import { execFile } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { startLifeboat, type Lifeboat } from "./e2e";
import { frozenWorkerConfig } from "./frozen-worker";

/**
 * A throwaway Postgres 15 cluster in a temp dir, listening on a unix socket only: the TypeScript
 * twin of start_postgres/stop_postgres in agent-script/test/helpers/common.bash (same layout, same
 * trust auth for the `postgres` role). Run as root, the server runs as the `postgres` user through
 * runuser, as on the machines here; run as anyone else, it runs as that user. `env` is what psql,
 * pg_dump and the lifeboat agent need to reach it.
 */

export const PGBIN = "/usr/lib/postgresql/15/bin";

export type PgCluster = {
  root: string;
  env: { PGHOST: string; PGPORT: string; PGUSER: string };
  /** psql -X -At -v ON_ERROR_STOP=1 -d DB -c SQL; resolves with stdout, rejects with stderr. */
  psql: (sql: string, db?: string) => Promise<string>;
  /** pg_ctl stop -m immediate, then removes the directory. */
  stop: () => Promise<void>;
};

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(" ").slice(0, 200)} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

export async function startPostgres(prefix = "lifeboat-pg-"): Promise<PgCluster> {
  const root = mkdtempSync(join("/tmp", prefix));
  const asRoot = userInfo().uid === 0;
  // The postgres user must reach the dir; as in common.bash, the cluster's dirs belong to it.
  chmodSync(root, 0o755);
  const data = join(root, "data");
  const sock = join(root, "sock");
  mkdirSync(data);
  mkdirSync(sock);
  const as = async (tool: string, args: string[]) => {
    if (!asRoot) return run(join(PGBIN, tool), args);
    return run("runuser", ["-u", "postgres", "--", join(PGBIN, tool), ...args]);
  };
  if (asRoot) {
    const { uid, gid } = await run("id", ["-u", "postgres"]).then(async (u) => ({
      uid: Number(u.trim()),
      gid: Number((await run("id", ["-g", "postgres"])).trim()),
    }));
    for (const dir of [root, data, sock]) chownSync(dir, uid, gid);
  }
  const port = String(20_000 + ((process.pid * 7 + Date.now()) % 20_000));
  const user = asRoot ? "postgres" : userInfo().username;
  try {
    await as("initdb", ["-A", "trust", "-U", user, "-D", data]);
    await as("pg_ctl", [
      "-D",
      data,
      "-l",
      join(root, "pg.log"),
      "-w",
      "-o",
      `-k ${sock} -p ${port} -c listen_addresses=''`,
      "start",
    ]);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const env = { PGHOST: sock, PGPORT: port, PGUSER: user };
  return {
    root,
    env,
    psql: (sql, db = "postgres") =>
      run("psql", ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql], { ...process.env, ...env }),
    stop: async () => {
      await as("pg_ctl", ["-D", data, "-m", "immediate", "stop"]).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * What a test of the agent against a database needs: Lifeboat under a real `wrangler dev` (a frozen
 * bundle, its temp files inside its own dir) and a throwaway Postgres cluster, started side by side
 * (each takes seconds). Temp dirs are named PREFIX… and PREFIXpg-…; stop Postgres first, then Lifeboat.
 */
export async function startLifeboatAndPostgres(prefix: string): Promise<{ lifeboat: Lifeboat; pg: PgCluster }> {
  const [lifeboat, pg] = await Promise.all([
    startLifeboat({
      prefix,
      config: (dir) => frozenWorkerConfig(join(dir, "worker")),
      tmpdirInside: true,
    }),
    startPostgres(`${prefix}pg-`),
  ]);
  return { lifeboat, pg };
}
