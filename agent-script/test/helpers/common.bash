# Shared by the agent's bats files. LIFEBOAT runs under dash, the strictest sh here.
AGENT_DIR=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
REPO_ROOT=$(cd "$AGENT_DIR/.." && pwd)
# LIFEBOAT_TEST_SHELL="busybox sh" runs the same tests under busybox ash.
# LIFEBOAT_AGENT runs the tests against another copy (an older agent, to see a new test fail on it).
LIFEBOAT="${LIFEBOAT_TEST_SHELL:-dash} ${LIFEBOAT_AGENT:-$AGENT_DIR/lifeboat}"

# A wrangler dev of our own (server.mjs), for the whole file. Sets URL, ADMIN_TOKEN, SERVER_PID.
start_server() {
  export SERVER_ENV="$BATS_FILE_TMPDIR/server.env"
  # The Node 22 that npx would pick (the repo's node@22 devDependency), run directly so that
  # $! is node itself and stop_server's SIGTERM reaches it.
  (cd "$REPO_ROOT" && exec "$REPO_ROOT/node_modules/.bin/node" agent-script/test/helpers/server.mjs "$SERVER_ENV") >"$BATS_FILE_TMPDIR/server.log" 2>&1 &
  echo $! >"$BATS_FILE_TMPDIR/server.pid"
  for _ in $(seq 1 240); do [ -s "$SERVER_ENV" ] && break; sleep 0.5; done
  [ -s "$SERVER_ENV" ] || { cat "$BATS_FILE_TMPDIR/server.log" >&2; return 1; }
}
stop_server() {
  pid=$(cat "$BATS_FILE_TMPDIR/server.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null
  # server.mjs stops wrangler's process group, then exits.
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
}
server_env() { . "$SERVER_ENV"; }

admin() { # admin METHOD PATH [JSON]
  server_env
  curl -sS -X "$1" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' ${3:+-d "$3"} "$URL$2"
}

# make_agent_config DIR CHECK...: a check of each "slug:kind", one key for all, config in DIR/conf.
make_agent_config() {
  dir=$1; shift
  server_env
  slugs=
  for spec in "$@"; do
    admin POST /api/v1/checks "{\"name\":\"${spec%%:*}\",\"slug\":\"${spec%%:*}\",\"kind\":\"${spec#*:}\",\"period_s\":86400}" >/dev/null
    slugs="$slugs${slugs:+,}\"${spec%%:*}\""
  done
  # AGENT_SCOPES: the key's scopes as JSON strings (default: what ENGINE=lifeboat needs).
  key=$(admin POST /api/v1/keys "{\"host\":\"bats\",\"checks\":[$slugs],\"scopes\":[${AGENT_SCOPES:-\"ping\",\"upload\",\"read\"}]}")
  mkdir -p "$dir/conf/jobs" "$dir/state"
  echo "$key" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' >"$dir/conf/secret"
  chmod 600 "$dir/conf/secret"
  printf 'LIFEBOAT_URL=%s\nLIFEBOAT_KEY_ID=%s\nLIFEBOAT_SECRET_FILE=%s\n' "$URL" \
    "$(echo "$key" | sed -n 's/.*"key_id":"\([^"]*\)".*/\1/p')" "$dir/conf/secret" >"$dir/conf/lifeboat.conf"
  chmod 600 "$dir/conf/lifeboat.conf"
  # The test server is plain http on 127.0.0.1: allowed only with LIFEBOAT_ALLOW_HTTP=1.
  export LIFEBOAT_CONFIG_DIR="$dir/conf" LIFEBOAT_STATE_DIR="$dir/state" LIFEBOAT_MIN_FREE_MB=1 LIFEBOAT_ALLOW_HTTP=1
}

check_status() { admin GET "/api/v1/checks/$1" | sed -n 's/^{[^{]*"status":"\([a-z]*\)".*/\1/p'; }

# A throwaway Postgres 15 cluster for the whole file, on a unix socket in a temp dir outside bats'
# own (the postgres user must be able to reach it). Sets PGROOT, PGDATA_DIR, PGHOST, PGPORT and PGUSER for psql and the agent.
PGBIN=/usr/lib/postgresql/15/bin
start_postgres() { # start_postgres SALT (keeps two files' ports apart)
  export PGROOT; PGROOT=$(mktemp -d /tmp/lifeboat-agent-pg.XXXXXX)
  chmod 755 "$PGROOT"
  export PGDATA_DIR="$PGROOT/data" PGHOST="$PGROOT/sock" PGUSER=postgres
  export PGPORT=$((20000 + ($$ + ${1:-0}) % 20000))
  mkdir -p "$PGDATA_DIR" "$PGHOST"
  chown postgres "$PGROOT" "$PGDATA_DIR" "$PGHOST"
  runuser -u postgres -- "$PGBIN/initdb" -A trust -U postgres -D "$PGDATA_DIR" >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGROOT/pg.log" -w \
    -o "-k $PGHOST -p $PGPORT -c listen_addresses=''" start >/dev/null
}
stop_postgres() {
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1 || :
  rm -rf "$PGROOT"
}

# A throwaway MariaDB server for the whole file, on a unix socket in a temp dir, no networking.
# root has a password, and the agent gets it only through the option file MYSQL_CNF (mode 600).
# Sets MYROOT, MYSQL_SOCK, MYSQL_CNF; `my` runs the real client with it.
start_mariadb() {
  export MYROOT; MYROOT=$(mktemp -d /tmp/lifeboat-agent-my.XXXXXX)
  export MYSQL_SOCK="$MYROOT/sock" MYSQL_CNF="$MYROOT/client.cnf" MYSQL_TEST_PASSWORD
  MYSQL_TEST_PASSWORD=pw-$(openssl rand -hex 8)
  mariadb-install-db --no-defaults --datadir="$MYROOT/data" --auth-root-authentication-method=normal \
    --user="$(id -un)" --skip-test-db >"$MYROOT/install.log" 2>&1 || { cat "$MYROOT/install.log" >&2; return 1; }
  mariadbd --no-defaults --datadir="$MYROOT/data" --socket="$MYSQL_SOCK" --skip-networking --user="$(id -un)" \
    --pid-file="$MYROOT/pid" --log-error="$MYROOT/err.log" >"$MYROOT/out.log" 2>&1 3>&- &
  for _ in $(seq 1 100); do [ -S "$MYSQL_SOCK" ] && break; sleep 0.1; done
  [ -S "$MYSQL_SOCK" ] || { cat "$MYROOT/err.log" >&2; return 1; }
  mariadb --no-defaults -S "$MYSQL_SOCK" -uroot -e "ALTER USER root@localhost IDENTIFIED BY '$MYSQL_TEST_PASSWORD'"
  printf '[client]\nuser=root\npassword="%s"\nsocket=%s\n' "$MYSQL_TEST_PASSWORD" "$MYSQL_SOCK" >"$MYSQL_CNF"
  chmod 600 "$MYSQL_CNF"
}
stop_mariadb() {
  pid=$(cat "$MYROOT/pid" 2>/dev/null) && kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -rf "$MYROOT"
}
my() { mariadb --defaults-extra-file="$MYSQL_CNF" "$@"; }

# A hostile server (hostile.mjs) for the whole file: it checks no signature and serves what the
# test writes with `scenario JSON`. Sets HOSTILE_URL and HOSTILE_DIR (requests.log, bodies.log).
start_hostile() {
  export HOSTILE_DIR="$BATS_FILE_TMPDIR/hostile"
  mkdir -p "$HOSTILE_DIR"
  "$REPO_ROOT/node_modules/.bin/node" "$AGENT_DIR/test/helpers/hostile.mjs" "$BATS_FILE_TMPDIR/hostile.env" "$HOSTILE_DIR" \
    >"$BATS_FILE_TMPDIR/hostile.log" 2>&1 &
  echo $! >"$BATS_FILE_TMPDIR/hostile.pid"
  for _ in $(seq 1 100); do [ -s "$BATS_FILE_TMPDIR/hostile.env" ] && break; sleep 0.1; done
  [ -s "$BATS_FILE_TMPDIR/hostile.env" ] || { cat "$BATS_FILE_TMPDIR/hostile.log" >&2; return 1; }
}
stop_hostile() {
  pid=$(cat "$BATS_FILE_TMPDIR/hostile.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || :
}
hostile_env() { . "$BATS_FILE_TMPDIR/hostile.env"; export HOSTILE_URL; }
scenario() { printf '%s' "$1" >"$HOSTILE_DIR/scenario.json"; : >"$HOSTILE_DIR/requests.log"; }

# hostile_agent_config DIR: an agent configured against the hostile server, in DIR.
hostile_agent_config() {
  hostile_env
  mkdir -p "$1/conf/jobs" "$1/state" "$1/tmp"
  printf '%064d\n' 7 >"$1/conf/secret"
  printf 'LIFEBOAT_URL=%s\nLIFEBOAT_KEY_ID=lbk_00000000000000000000\nLIFEBOAT_SECRET_FILE=%s\n' "$HOSTILE_URL" "$1/conf/secret" >"$1/conf/lifeboat.conf"
  chmod 600 "$1/conf/secret" "$1/conf/lifeboat.conf"
  export LIFEBOAT_CONFIG_DIR="$1/conf" LIFEBOAT_STATE_DIR="$1/state" LIFEBOAT_TMPDIR="$1/tmp" LIFEBOAT_MIN_FREE_MB=1 LIFEBOAT_ALLOW_HTTP=1
}

# new_key FILE: an Ed25519 private key (another host's, or this host's host-key.pem).
new_key() { openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null && chmod 600 "$1"; }
public_key() { openssl pkey -in "$1" -pubout -outform DER | openssl base64 -A; }

# record ID FILE KEY WORDS: a backup as the server lists it, for the bytes in FILE, with the
# statement "lifeboat-backup-v1 check=… sha256=… size=… WORDS" signed by KEY (a private key file;
# "none": unsigned). WORDS may override sha256= or size= (a statement that lies).
record() {
  id=$1 file=$2 key=$3; shift 3
  sha=$(sha256sum "$file" | cut -d' ' -f1)
  size=$(wc -c <"$file" | tr -d ' ')
  words="$*"
  case " $words " in *" sha256="*) ;; *) words="sha256=$sha $words" ;; esac
  case " $words " in *" size="*) ;; *) words="size=$size $words" ;; esac
  statement="lifeboat-backup-v1 $words created=$(date +%s)"
  signature=null
  if [ "$key" != none ]; then
    printf '%s' "$statement" >"$BATS_TEST_TMPDIR/statement"
    openssl pkeyutl -sign -inkey "$key" -rawin -in "$BATS_TEST_TMPDIR/statement" -out "$BATS_TEST_TMPDIR/statement.sig"
    signature="{\"statement\":\"$statement\",\"value\":\"$(openssl base64 -A -in "$BATS_TEST_TMPDIR/statement.sig")\",\"public_key\":\"$(public_key "$key")\"}"
  fi
  printf '{"id":"%s","status":"complete","size":%s,"sha256":"%s","encryption":"none","source":"postgres","meta":{},"signature":%s,"last_drill":null}' \
    "$id" "$size" "$sha" "$signature"
}

# serve ID FILE KEY WORDS: the hostile server lists and serves that one backup (see record).
serve() {
  cp "$2" "$HOSTILE_DIR/content.$1"
  rec=$(record "$@")
  scenario "{\"listing\":{\"backups\":[$rec]},\"record\":$rec,\"content\":\"content.$1\"}"
}
