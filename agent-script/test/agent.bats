#!/usr/bin/env bats
# The agent against a real `wrangler dev`, real curl/openssl/gzip and a real Postgres 15 cluster.
load helpers/common

setup_file() {
  start_server
  start_postgres 0
  make_agent_config "$BATS_FILE_TMPDIR/agent" cron:heartbeat files:backup db:backup dbfail:backup big:backup secret:backup lite:backup vol:backup netfail:backup alla:backup allb:backup allc:backup tty:backup \
    sus:backup cp:backup sym:backup dockdb:backup keepdb:backup cron-db:backup rep:backup typo:backup esc:backup
}

teardown_file() {
  stop_postgres
  stop_server
}

@test "ping and run report success and failure with the exit code" {
  run $LIFEBOAT ping cron
  [ "$status" -eq 0 ]
  [ "$(check_status cron)" = up ]
  run $LIFEBOAT run cron -- sh -c 'echo disk full; exit 3'
  [ "$status" -eq 5 ]
  [ "$(check_status cron)" = down ]
  admin GET /api/v1/checks/cron/pings | grep -q 'disk full'
  run $LIFEBOAT run cron -- true
  [ "$status" -eq 0 ]
  [ -z "$output" ]   # silence on success when not on a terminal
  [ "$(check_status cron)" = up ]
  run $LIFEBOAT ping cron --exit 7 --log - <<<"log from stdin"
  [ "$status" -eq 0 ]
  [ "$(check_status cron)" = down ]
}

@test "directory backup round trip: backup, list, restore, identical files" {
  src="$BATS_TEST_TMPDIR/src"; mkdir -p "$src/sub"
  echo hello >"$src/a.txt"; head -c 500000 /dev/urandom >"$src/sub/blob"
  printf 'SOURCE=directory\nDIRECTORY=%s\nCHECK=files\nPART_SIZE=200000\n' "$src" >"$LIFEBOAT_CONFIG_DIR/jobs/files.conf"
  run $LIFEBOAT backup files
  [ "$status" -eq 0 ]
  run $LIFEBOAT list files --json
  [ "$status" -eq 0 ]
  [[ "$output" == *'"status":"complete"'* ]]
  run $LIFEBOAT restore files --latest --to "$BATS_TEST_TMPDIR/out.tar"
  [ "$status" -eq 0 ]
  mkdir "$BATS_TEST_TMPDIR/out"; tar -C "$BATS_TEST_TMPDIR/out" -xf "$BATS_TEST_TMPDIR/out.tar"
  diff -r "$src" "$BATS_TEST_TMPDIR/out"
}

@test "postgres: backup, DROP DATABASE, restore --into-db, same rows" {
  createdb shop
  psql -q -d shop -c "CREATE TABLE users (id int primary key, email text); INSERT INTO users SELECT g, 'u' || g || '@x' FROM generate_series(1, 5000) g;"
  before=$(psql -Atd shop -c "SELECT count(*), md5(string_agg(id || email, ',' ORDER BY id)) FROM users")
  printf 'SOURCE=postgres\nDATABASE=shop\nCHECK=db\n' >"$LIFEBOAT_CONFIG_DIR/jobs/db.conf"
  start=$(date +%s%N)
  run $LIFEBOAT backup db
  [ "$status" -eq 0 ]
  dropdb shop
  run $LIFEBOAT restore db --latest --into-db shop
  [ "$status" -eq 0 ]
  echo "# postgres backup → restore --into-db: $(( ($(date +%s%N) - start) / 1000000 )) ms" >&3
  after=$(psql -Atd shop -c "SELECT count(*), md5(string_agg(id || email, ',' ORDER BY id)) FROM users")
  [ "$before" = "$after" ]
}

@test "a pg_dump that dies half-way yields a failed backup, never a complete one" {
  createdb halfway
  psql -q -d halfway -c "CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  # The real pg_dump, cut off after 2 kB with a failure, like a dump killed by the OOM killer.
  printf '#!/bin/sh\n/usr/bin/pg_dump "$@" | head -c 2000\nexit 1\n' >"$stub/pg_dump"; chmod +x "$stub/pg_dump"
  printf 'SOURCE=postgres\nDATABASE=halfway\nCHECK=dbfail\n' >"$LIFEBOAT_CONFIG_DIR/jobs/dbfail.conf"
  PATH="$stub:$PATH" run $LIFEBOAT backup dbfail
  [ "$status" -eq 5 ]
  [[ "$output" == *"dump failed (exit 1)"* ]]
  [ "$(check_status dbfail)" = down ]
  ! admin GET "/api/v1/backups?check=dbfail" | grep -q '"status":"complete"'
}

@test "kill -9 mid-upload, then a rerun resumes with only the missing parts and completes" {
  head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=big\nCOMPRESSION=none\nPART_SIZE=250000\n' "$BATS_TEST_TMPDIR/data" >"$LIFEBOAT_CONFIG_DIR/jobs/big.conf"
  kill9_mid_upload big 1.5
  id=$(cut -d' ' -f2 "$LIFEBOAT_STATE_DIR/big.upload")
  admin GET "/api/v1/backups/$id" | grep -q '"status":"uploading"'
  LIFEBOAT_VERBOSE=1 run $LIFEBOAT backup big
  [ "$status" -eq 0 ]
  [[ "$output" == *"resuming backup $id"* ]]
  sent=$(printf '%s\n' "$output" | grep -c 'part ')
  [ "$sent" -gt 0 ] && [ "$sent" -lt 12 ]
  admin GET "/api/v1/backups/$id" | grep -q '"status":"complete"'
  run $LIFEBOAT restore big --backup "$id" --to "$BATS_TEST_TMPDIR/back"
  cmp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/back"
}

@test "age: the server only ever sees ciphertext; restore decrypts with the identity" {
  command -v age >/dev/null || skip "age not installed"
  age-keygen -o "$BATS_TEST_TMPDIR/id.txt" 2>/dev/null
  recipient=$(age-keygen -y "$BATS_TEST_TMPDIR/id.txt")
  echo "top secret rows" >"$BATS_TEST_TMPDIR/plain"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=secret\nAGE_RECIPIENTS=%s\nAGE_IDENTITY_FILE=%s\n' \
    "$BATS_TEST_TMPDIR/plain" "$recipient" "$BATS_TEST_TMPDIR/id.txt" >"$LIFEBOAT_CONFIG_DIR/jobs/secret.conf"
  run $LIFEBOAT backup secret
  [ "$status" -eq 0 ]
  id=$($LIFEBOAT list secret --json | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
  ! admin GET "/api/v1/backups/$id/content" | grep -q 'top secret'
  run $LIFEBOAT restore secret --latest
  [ "$status" -eq 0 ]
  [ "$output" = "top secret rows" ]
}

# slow_curl: a dir with a curl that is the real one, a little late each time (a slow network).
slow_curl() {
  mkdir -p "$BATS_TEST_TMPDIR/slow"
  printf '#!/bin/sh\nsleep 0.4\nexec /usr/bin/curl "$@"\n' >"$BATS_TEST_TMPDIR/slow/curl"
  chmod +x "$BATS_TEST_TMPDIR/slow/curl"
  echo "$BATS_TEST_TMPDIR/slow"
}
# kill9_mid_upload JOB SECONDS: `backup JOB` on a slow network in a session of its own, killed with
# -9 (with the curl it runs) SECONDS after its upload was registered.
kill9_mid_upload() {
  PATH="$(slow_curl):$PATH" setsid $LIFEBOAT backup "$1" 2>/dev/null &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$LIFEBOAT_STATE_DIR/$1.upload" ] && break; sleep 0.1; done
  sleep "$2"
  kill -9 -- "-$pid"; wait "$pid" || :
}

# fresh_config DIR: this file's lifeboat.conf and secret in DIR/conf, without the other tests' jobs.
fresh_config() {
  mkdir -p "$1/conf/jobs" "$1/state"
  sed "s|^LIFEBOAT_SECRET_FILE=.*|LIFEBOAT_SECRET_FILE=$1/conf/secret|" "$LIFEBOAT_CONFIG_DIR/lifeboat.conf" >"$1/conf/lifeboat.conf"
  cp "$LIFEBOAT_CONFIG_DIR/secret" "$1/conf/secret"
  chmod 600 "$1/conf/lifeboat.conf" "$1/conf/secret"
  export LIFEBOAT_CONFIG_DIR="$1/conf" LIFEBOAT_STATE_DIR="$1/state"
}

@test "doctor proves the server is Lifeboat and the key works, and checks every job" {
  server_env
  fresh_config "$BATS_TEST_TMPDIR/doc"
  createdb doctored
  printf 'SOURCE=postgres\nDATABASE=doctored\nCHECK=db\nPGHOST=%s\nPGPORT=%s\nAGE_RECIPIENTS=age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n' "$PGHOST" "$PGPORT" >"$LIFEBOAT_CONFIG_DIR/jobs/db.conf"
  run $LIFEBOAT doctor
  [ "$status" -eq 0 ]
  [[ "$output" == *"ok   $URL is a Lifeboat server and accepts key lbk_"* ]]
  [[ "$output" == *"ok   job db: postgres source reachable"* ]]
  [[ "$output" == *"ok   job db: check db is one the key may use"* ]]
  [[ "$output" == *"ok   job db: backups are encrypted to AGE_RECIPIENTS"* ]]
  # A wrong path answers 404: that is not a Lifeboat server, whatever a 404 would say about a key.
  LIFEBOAT_URL="$URL/lifeboat" run $LIFEBOAT doctor
  [ "$status" -eq 4 ]
  [[ "$output" == *"FAIL $URL/lifeboat does not look like a Lifeboat server (GET /v1/whoami: 404)"* ]]
  [[ "$output" != *"accepts key"* ]]
  # Each job: its source must answer, its check be the key's, its config load; and a word on encryption.
  printf 'SOURCE=postgres\nDATABASE=no_such_db\nCHECK=files\nPGHOST=%s\nPGPORT=%s\n' "$PGHOST" "$PGPORT" >"$LIFEBOAT_CONFIG_DIR/jobs/gone.conf"
  printf 'SOURCE=directory\nDIRECTORY=%s\nCHECK=not-my-check\n' "$BATS_TEST_TMPDIR" >"$LIFEBOAT_CONFIG_DIR/jobs/other.conf"
  printf 'SOURCE=postgres\nCHECK=db\nDATABSE=doctored\n' >"$LIFEBOAT_CONFIG_DIR/jobs/typo.conf"
  printf 'SOURCE=postgress\nDATABASE=doctored\nCHECK=db\n' >"$LIFEBOAT_CONFIG_DIR/jobs/typo2.conf"
  chmod 644 "$LIFEBOAT_CONFIG_DIR/secret"
  run $LIFEBOAT doctor
  [ "$status" -ne 0 ]
  [[ "$output" == *"FAIL $LIFEBOAT_CONFIG_DIR/secret can be read by other users (chmod 600"* ]]
  [[ "$output" == *"FAIL job gone: the postgres source cannot be reached:"*"no_such_db"* ]]
  [[ "$output" == *"warn job gone: backups are not encrypted"*"Set AGE_RECIPIENTS=age1"* ]]
  [[ "$output" == *"FAIL job other: the key may not use check not-my-check"* ]]
  [[ "$output" == *"FAIL job typo: $LIFEBOAT_CONFIG_DIR/jobs/typo.conf:3: unknown key DATABSE (did you mean DATABASE?)"* ]]
  [[ "$output" == *"FAIL job typo2: SOURCE 'postgress' is not directory, command, postgres, mysql, sqlite or volume (did you mean postgres?)"* ]]
  [[ "$output" == *"ok   job db: postgres source reachable"* ]]
}

@test "a job file's connection settings reach pg_dump, and the timer's cron line backs up under env -i" {
  fresh_config "$BATS_TEST_TMPDIR/cron"
  createdb viacron
  psql -q -d viacron -c "CREATE TABLE t AS SELECT generate_series(1, 300) AS n"
  # The cluster listens on a socket in a temp dir and a random port: nothing a default reaches.
  printf 'SOURCE=postgres\nDATABASE=viacron\nCHECK=cron-db\nPGHOST=%s\nPGPORT=%s\nPGUSER=%s\n' "$PGHOST" "$PGPORT" "$PGUSER" >"$LIFEBOAT_CONFIG_DIR/jobs/cron-db.conf"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  printf '#!/bin/sh\nexec %s %s "$@"\n' "${LIFEBOAT_TEST_SHELL:-dash}" "$AGENT_DIR/lifeboat" >"$stub/lifeboat"
  printf '#!/bin/sh\ncat >>"%s/syslog"\n' "$BATS_TEST_TMPDIR" >"$stub/logger"
  chmod +x "$stub/lifeboat" "$stub/logger"
  LIFEBOAT_SCHEDULER=cron LIFEBOAT_CRON_DIR="$BATS_TEST_TMPDIR/cron.d" LIFEBOAT_BIN="$stub/lifeboat" run $LIFEBOAT install-timer cron-db
  [ "$status" -eq 0 ]
  cron_path=$(sed -n 's/^PATH=//p' "$BATS_TEST_TMPDIR/cron.d/lifeboat-cron-db")
  cmd=$(grep ' root ' "$BATS_TEST_TMPDIR/cron.d/lifeboat-cron-db" | cut -d' ' -f7-)
  # What cron does: an empty environment, its PATH, the line's own assignments.
  env -i PATH="$stub:$cron_path" sh -c "$cmd"
  [ ! -s "$BATS_TEST_TMPDIR/syslog" ] || { cat "$BATS_TEST_TMPDIR/syslog"; return 1; }
  admin GET "/api/v1/backups?check=cron-db" | grep -q '"status":"complete","size"'
  admin GET "/api/v1/backups?check=cron-db" | grep -q '"pg_tables":1,"pg_rows":300'
  # And doctor, run the same way, reaches the same server.
  env -i PATH="$stub:$cron_path" LIFEBOAT_CONFIG_DIR="$LIFEBOAT_CONFIG_DIR" LIFEBOAT_ALLOW_HTTP=1 lifeboat doctor >"$BATS_TEST_TMPDIR/doctor" || :
  grep -q 'ok   job cron-db: postgres source reachable' "$BATS_TEST_TMPDIR/doctor"
}

@test "SOURCE=postgress is said once, on stderr and in the failure ping; a typo'd key is named with its line" {
  printf 'SOURCE=postgress\nDATABASE=shop\nCHECK=typo\n' >"$LIFEBOAT_CONFIG_DIR/jobs/typo.conf"
  run $LIFEBOAT backup typo
  [ "$status" -eq 2 ]
  [ "$(printf '%s\n' "$output" | grep -c "SOURCE 'postgress'")" = 1 ]
  [[ "$output" == *"SOURCE 'postgress' is not directory, command, postgres, mysql, sqlite or volume (did you mean postgres?)"* ]]
  body=$(admin GET /api/v1/checks/typo/pings | sed -n 's/^{"pings":\[{[^{]*"body":"\([^"]*\)".*/\1/p')
  [ "$(printf '%s' "$body" | grep -o "SOURCE 'postgress'" | wc -l)" = 1 ]
  [ "$(check_status typo)" = down ]
  printf 'SOURCE=postgres\n# the database\nDATABSE=shop\n' >"$LIFEBOAT_CONFIG_DIR/jobs/typo.conf"
  run $LIFEBOAT backup typo
  [ "$status" -eq 2 ]
  [ "$output" = "lifeboat: error: $LIFEBOAT_CONFIG_DIR/jobs/typo.conf:3: unknown key DATABSE (did you mean DATABASE?)" ]
  rm "$LIFEBOAT_CONFIG_DIR/jobs/typo.conf"
}

@test "manual restores that verified and loaded a backup are reported as restores; stdout ones are not" {
  createdb reported
  psql -q -d reported -c "CREATE TABLE t AS SELECT generate_series(1, 10) AS n"
  printf 'SOURCE=postgres\nDATABASE=reported\nCHECK=rep\n' >"$LIFEBOAT_CONFIG_DIR/jobs/rep.conf"
  run $LIFEBOAT backup rep
  [ "$status" -eq 0 ]
  run $LIFEBOAT restore rep --latest --to - 
  [ "$status" -eq 0 ]
  [ "$(admin GET /api/v1/checks/rep/drills | grep -o '"kind":"restore"' | wc -l)" = 0 ]
  run $LIFEBOAT restore rep --latest --into-db reported_copy
  [ "$status" -eq 0 ]
  run $LIFEBOAT restore rep --latest --to "$BATS_TEST_TMPDIR/rep.dump"
  [ "$status" -eq 0 ]
  drills=$(admin GET /api/v1/checks/rep/drills)
  [ "$(printf '%s' "$drills" | grep -o '"kind":"restore","ok":true,"outcome":"ok"' | wc -l)" = 2 ]
  [[ "$drills" == *'"target":"database"'* ]] && [[ "$drills" == *'"target":"file"'* ]]
}

@test "a kill -9 leaves a work dir behind; the next run removes it, and leaves live runs' dirs alone" {
  export LIFEBOAT_TMPDIR="$BATS_TEST_TMPDIR/tmp"; mkdir -p "$LIFEBOAT_TMPDIR"
  head -c 2000000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=big\nCOMPRESSION=none\nPART_SIZE=250000\n' "$BATS_TEST_TMPDIR/data" >"$LIFEBOAT_CONFIG_DIR/jobs/big.conf"
  kill9_mid_upload big 0
  stale=$(ls -d "$LIFEBOAT_TMPDIR"/lifeboat.*)
  [ -n "$stale" ] && [ -d "$stale/parts" ]
  # A live run's dir (its pid and start time), and one just made without an owner file.
  sleep 60 & live=$!
  mkdir "$LIFEBOAT_TMPDIR/lifeboat.LIVE01" "$LIFEBOAT_TMPDIR/lifeboat.FRESH1" "$LIFEBOAT_TMPDIR/lifeboat.OLDOLD"
  printf '%s %s\n' "$live" "$(sed 's/.*) //' /proc/$live/stat | cut -d' ' -f20)" >"$LIFEBOAT_TMPDIR/lifeboat.LIVE01/owner"
  touch -d '2 days ago' "$LIFEBOAT_TMPDIR/lifeboat.OLDOLD"
  LIFEBOAT_VERBOSE=1 run $LIFEBOAT list big
  kill "$live"
  [ "$status" -eq 0 ]
  [[ "$output" == *"removed $stale, left behind by a run that is gone"* ]]
  [ ! -e "$stale" ] && [ ! -e "$LIFEBOAT_TMPDIR/lifeboat.OLDOLD" ]
  [ -d "$LIFEBOAT_TMPDIR/lifeboat.LIVE01" ] && [ -d "$LIFEBOAT_TMPDIR/lifeboat.FRESH1" ]
}

@test "sqlite: an online .backup round trip" {
  db="$BATS_TEST_TMPDIR/app.db"
  sqlite3 "$db" "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ('a'), ('b'), ('c');"
  printf 'SOURCE=sqlite\nSQLITE_DB=%s\nCHECK=lite\nCOMPRESSION=%s\n' "$db" \
    "$(command -v zstd >/dev/null && echo zstd || echo gzip)" >"$LIFEBOAT_CONFIG_DIR/jobs/lite.conf"
  run $LIFEBOAT backup lite
  [ "$status" -eq 0 ]
  run $LIFEBOAT restore lite --latest --to "$BATS_TEST_TMPDIR/back.db"
  [ "$status" -eq 0 ]
  [ "$(sqlite3 "$BATS_TEST_TMPDIR/back.db" "SELECT group_concat(body) FROM notes")" = "a,b,c" ]
}

@test "volume: docker run --rm -v VOL:/data:ro busybox tar (docker stubbed: no engine here)" {
  vols="$BATS_TEST_TMPDIR/volumes"; mkdir -p "$vols/app_media/img"
  head -c 10000 /dev/urandom >"$vols/app_media/img/1.jpg"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  # The stand-in checks the exact invocation, then does what busybox tar would do in the container.
  cat >"$stub/docker" <<STUB
#!/bin/sh
[ "\$1 \$2 \$3" = "run --rm -v" ] && [ "\$4" = "app_media:/data:ro" ] && [ "\$5 \$6 \$7" = "busybox tar -C" ] || { echo "unexpected: docker \$*" >&2; exit 125; }
exec tar -C "$vols/app_media" -cf - .
STUB
  chmod +x "$stub/docker"
  printf 'SOURCE=volume\nVOLUME=app_media\nCHECK=vol\n' >"$LIFEBOAT_CONFIG_DIR/jobs/vol.conf"
  PATH="$stub:$PATH" run $LIFEBOAT backup vol
  [ "$status" -eq 0 ]
  run $LIFEBOAT restore vol --latest --to "$BATS_TEST_TMPDIR/vol.tar"
  mkdir "$BATS_TEST_TMPDIR/out" && tar -C "$BATS_TEST_TMPDIR/out" -xf "$BATS_TEST_TMPDIR/vol.tar"
  cmp "$vols/app_media/img/1.jpg" "$BATS_TEST_TMPDIR/out/img/1.jpg"
}

# drop_part_uploads: a curl in $stub for which the network drops every part upload (curl -T);
# everything else goes through the real curl.
drop_part_uploads() {
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  printf '#!/bin/sh\nfor a; do [ "$a" = -T ] && { echo "curl: (56) Recv failure" >&2; exit 56; }; done\nexec /usr/bin/curl "$@"\n' >"$stub/curl"
  chmod +x "$stub/curl"
}

@test "an upload that breaks after registering marks that backup failed, with the log" {
  echo data >"$BATS_TEST_TMPDIR/f"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=netfail\n' "$BATS_TEST_TMPDIR/f" >"$LIFEBOAT_CONFIG_DIR/jobs/netfail.conf"
  drop_part_uploads
  PATH="$stub:$PATH" run $LIFEBOAT backup netfail
  [ "$status" -eq 4 ]
  listing=$(admin GET "/api/v1/backups?check=netfail")
  [[ "$listing" == *'"status":"failed"'* ]]
  [[ "$listing" == *'curl failed'* ]]
  [ "$(check_status netfail)" = down ]
}

@test "a failure report carries its log exactly: quotes, backslashes and tabs escaped, no newline added or lost" {
  # The command's stderr goes into the log; the dropped part upload (curl -T) makes the failure a
  # /fail of the registered backup, whose body is the log as one JSON string.
  printf '#!/bin/sh\necho data\nprintf %s >&2\n' "'say \"hi\" back\\\\slash\\ttab\\n'" >"$BATS_TEST_TMPDIR/cmd"
  chmod +x "$BATS_TEST_TMPDIR/cmd"
  printf 'SOURCE=command\nCOMMAND=%s\nCHECK=esc\n' "$BATS_TEST_TMPDIR/cmd" >"$LIFEBOAT_CONFIG_DIR/jobs/esc.conf"
  drop_part_uploads
  PATH="$stub:$PATH" run $LIFEBOAT backup esc
  [ "$status" -eq 4 ]
  log=$(admin GET "/api/v1/backups?check=esc" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () =>
    process.stdout.write(JSON.stringify(JSON.parse(s).backups[0].failure_log)))')
  [[ "$log" == '"say \"hi\" back\\slash\ttab\n'* ]]
  [[ "$log" == *': curl failed (exit 56)\n"' ]]
  [[ "$log" != *'\n\n'* ]]
}

@test "the secret never appears in any command's arguments (the HMAC is fed to openssl on stdin)" {
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  for tool in openssl curl cut tr cat date; do
    real=$(command -v "$tool")
    printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s/argv.log"\nexec %s "$@"\n' "$BATS_TEST_TMPDIR" "$real" >"$stub/$tool"
    chmod +x "$stub/$tool"
  done
  PATH="$stub:$PATH" run $LIFEBOAT ping cron
  [ "$status" -eq 0 ]
  grep -q dgst "$BATS_TEST_TMPDIR/argv.log"
  ! grep -qi "$(cat "$LIFEBOAT_CONFIG_DIR/secret")" "$BATS_TEST_TMPDIR/argv.log"
}

@test "list: a table of id, received time, size, status and this host's drill result" {
  src="$BATS_TEST_TMPDIR/src"; mkdir -p "$src"
  head -c 300000 /dev/urandom >"$src/blob"
  printf 'SOURCE=directory\nDIRECTORY=%s\nCHECK=files\n' "$src" >"$LIFEBOAT_CONFIG_DIR/jobs/files.conf"
  run $LIFEBOAT backup files
  [ "$status" -eq 0 ]
  id=$($LIFEBOAT list files --json | sed -n 's/^{"backups":\[{"id":"\([^"]*\)".*/\1/p')
  run $LIFEBOAT list files
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^ID\ +RECEIVED\ \(UTC\)\ +SIZE\ +STATUS\ +DRILL$ ]]
  # 300,000 random bytes in a tar, gzipped: a little over 293 KiB.
  [[ "${lines[1]}" =~ ^$id\ +20[0-9]{2}-[01][0-9]-[0-3][0-9]\ [0-2][0-9]:[0-5][0-9]:[0-5][0-9]\ +29[3-5]\.[0-9]\ KiB\ +complete\ +-$ ]]
  [ "${#lines[@]}" -ge 2 ]
  run $LIFEBOAT drill files
  [ "$status" -eq 0 ]
  secs=$output
  run $LIFEBOAT list files
  [[ "${lines[1]}" == "$id "*" complete "*" ok ${secs}s" ]]
}

@test "backup --all: every job in order, goes on after a failure, exit non-zero, one-line summary" {
  all="$BATS_TEST_TMPDIR/all"; mkdir -p "$all/jobs"
  cp "$LIFEBOAT_CONFIG_DIR/lifeboat.conf" "$all/"
  echo one >"$BATS_TEST_TMPDIR/one"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=alla\n' "$BATS_TEST_TMPDIR/one" >"$all/jobs/a.conf"
  printf 'SOURCE=command\nCOMMAND=echo half; exit 3\nCHECK=allb\n' >"$all/jobs/b.conf"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=allc\n' "$BATS_TEST_TMPDIR/one" >"$all/jobs/c.conf"
  LIFEBOAT_CONFIG_DIR="$all" run $LIFEBOAT backup --all
  [ "$status" -eq 5 ]
  [ "$(printf '%s\n' "$output" | grep -c 'backup --all:')" = 1 ]
  [[ "$output" == *"backup --all: 2 ok, 1 failed: b"* ]]
  admin GET "/api/v1/backups?check=alla" | grep -q '"status":"complete"'
  admin GET "/api/v1/backups?check=allc" | grep -q '"status":"complete"'
  [ "$(check_status allb)" = down ]
  rm "$all/jobs/b.conf"
  LIFEBOAT_CONFIG_DIR="$all" LIFEBOAT_VERBOSE=1 run $LIFEBOAT backup --all
  [ "$status" -eq 0 ]
  [[ "$output" == *"backup --all: 2 ok, 0 failed"* ]]
  LIFEBOAT_CONFIG_DIR="$all" run $LIFEBOAT backup --all a
  [ "$status" -eq 1 ]
}

@test "upload progress: a bar on a terminal, nothing at all off one" {
  command -v script >/dev/null || skip "script(1) not installed"
  head -c 600000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=tty\nCOMPRESSION=none\nPART_SIZE=200000\n' "$BATS_TEST_TMPDIR/data" >"$LIFEBOAT_CONFIG_DIR/jobs/tty.conf"
  run script -qec "$LIFEBOAT backup tty" /dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == *"[--------------------]   0%  0 B/585.9 KiB  part 1/3"* ]]
  [[ "$output" == *"[#############-------]  66%  390.6 KiB/585.9 KiB  part 3/3"* ]]
  [[ "$output" == *"[####################] 100%  585.9 KiB/585.9 KiB  part 3/3"* ]]
  head -c 1000 /dev/urandom >>"$BATS_TEST_TMPDIR/data"
  run $LIFEBOAT backup tty
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "a backup the server flags suspicious exits 7, and guard then refuses to run the command" {
  head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=sus\nCOMPRESSION=none\n' "$BATS_TEST_TMPDIR/data" >"$LIFEBOAT_CONFIG_DIR/jobs/sus.conf"
  run $LIFEBOAT backup sus
  [ "$status" -eq 0 ]
  # The data shrinks to 100 bytes: stored, but flagged (under half the recent median).
  head -c 100 /dev/urandom >"$BATS_TEST_TMPDIR/data"
  run $LIFEBOAT backup sus
  [ "$status" -eq 7 ]
  [[ "$output" == *"was stored but flagged suspicious: shrank"* ]]
  run $LIFEBOAT guard --job sus -- touch "$BATS_TEST_TMPDIR/ran"
  [ "$status" -eq 5 ]
  [[ "$output" == *"the backup of sus was stored but flagged suspicious: touch was not run"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "replacing the agent in place (cp) while a backup runs changes nothing in the running copy" {
  cp "$AGENT_DIR/lifeboat" "$BATS_TEST_TMPDIR/lifeboat"
  head -c 1500000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=cp\nCOMPRESSION=none\nPART_SIZE=250000\n' "$BATS_TEST_TMPDIR/data" >"$LIFEBOAT_CONFIG_DIR/jobs/cp.conf"
  stub=$(slow_curl)
  PATH="$stub:$PATH" ${LIFEBOAT_TEST_SHELL:-dash} "$BATS_TEST_TMPDIR/lifeboat" backup cp 2>"$BATS_TEST_TMPDIR/err" &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$LIFEBOAT_STATE_DIR/cp.upload" ] && break; sleep 0.1; done
  [ -s "$LIFEBOAT_STATE_DIR/cp.upload" ]
  # An "upgrade" written over the same file (same inode), with more bytes after where the running
  # shell has read to: a shell that reads its script as it goes would run them once main returns.
  { cat "$AGENT_DIR/lifeboat"; printf '\ntouch %s\n' "$BATS_TEST_TMPDIR/PWNED"; } >"$BATS_TEST_TMPDIR/new"
  cp "$BATS_TEST_TMPDIR/new" "$BATS_TEST_TMPDIR/lifeboat"
  wait "$pid"
  [ ! -s "$BATS_TEST_TMPDIR/err" ]
  [ ! -e "$BATS_TEST_TMPDIR/PWNED" ]
  [ "$(admin GET "/api/v1/backups?check=cp" | grep -o '"status":"complete"' | wc -l)" -eq 1 ]
}

@test "an inherited SECRET, IPAD or OPAD never reaches a child's environment" {
  SECRET=inherited IPAD=x OPAD=y _rest=z run $LIFEBOAT run cron -- sh -c "env >'$BATS_TEST_TMPDIR/env'"
  [ "$status" -eq 0 ]
  ! grep -qi "$(cat "$LIFEBOAT_CONFIG_DIR/secret")" "$BATS_TEST_TMPDIR/env"
  ! grep -q '^SECRET=\|^IPAD=\|^OPAD=\|^_rest=' "$BATS_TEST_TMPDIR/env"
  # Nor does an inherited job setting pose as one (CHECK is the job's name here, sym).
  echo data >"$BATS_TEST_TMPDIR/f"
  printf 'SOURCE=command\nCOMMAND=cat %s\n' "$BATS_TEST_TMPDIR/f" >"$LIFEBOAT_CONFIG_DIR/jobs/sym.conf"
  JOB_CHECK=cron run $LIFEBOAT backup sym
  [ "$status" -eq 0 ]
  admin GET "/api/v1/backups?check=sym" | grep -q '"status":"complete"'
}

@test "state and temp dirs: symlinks and other users' dirs are refused; a symlink in the state dir is replaced, not followed" {
  head -c 1000 /dev/urandom >"$BATS_TEST_TMPDIR/f"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=sym\n' "$BATS_TEST_TMPDIR/f" >"$LIFEBOAT_CONFIG_DIR/jobs/sym.conf"
  mkdir "$BATS_TEST_TMPDIR/elsewhere"
  ln -s "$BATS_TEST_TMPDIR/elsewhere" "$BATS_TEST_TMPDIR/state-link"
  LIFEBOAT_STATE_DIR="$BATS_TEST_TMPDIR/state-link" run $LIFEBOAT backup sym
  [ "$status" -eq 2 ]
  [[ "$output" == *"is a symlink or not a directory: refused"* ]]
  mkdir "$BATS_TEST_TMPDIR/theirs"; chown nobody "$BATS_TEST_TMPDIR/theirs"
  LIFEBOAT_STATE_DIR="$BATS_TEST_TMPDIR/theirs" run $LIFEBOAT backup sym
  [ "$status" -eq 2 ]
  [[ "$output" == *"belongs to another user"* ]]
  mkdir -m 777 "$BATS_TEST_TMPDIR/open"
  LIFEBOAT_STATE_DIR="$BATS_TEST_TMPDIR/open" run $LIFEBOAT backup sym
  [ "$status" -eq 2 ]
  LIFEBOAT_TMPDIR="$BATS_TEST_TMPDIR/open" run $LIFEBOAT backup sym
  [ "$status" -eq 2 ]
  [[ "$output" == *"writable by others but not sticky: refused"* ]]
  LIFEBOAT_TMPDIR="$BATS_TEST_TMPDIR/state-link" run $LIFEBOAT backup sym
  [ "$status" -eq 2 ]
  [ -z "$(ls "$BATS_TEST_TMPDIR/elsewhere")" ]
  # A symlink planted where the upload state goes: the failed upload replaces it, the target stays.
  echo precious >"$BATS_TEST_TMPDIR/victim"
  ln -sf "$BATS_TEST_TMPDIR/victim" "$LIFEBOAT_STATE_DIR/sym.upload"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  printf '#!/bin/sh\nfor a; do [ "$a" = -T ] && exit 56; done\nexec /usr/bin/curl "$@"\n' >"$stub/curl"; chmod +x "$stub/curl"
  PATH="$stub:$PATH" run $LIFEBOAT backup sym
  [ "$status" -eq 4 ]
  [ "$(cat "$BATS_TEST_TMPDIR/victim")" = precious ]
  [ ! -L "$LIFEBOAT_STATE_DIR/sym.upload" ]
  grep -q ' bk_' "$LIFEBOAT_STATE_DIR/sym.upload"
}

@test "postgres: restore --into-db refuses a database with tables unless --replace, and a failed restore says what is left" {
  createdb keep
  psql -q -d keep -c "CREATE TABLE invoice_no (n int); INSERT INTO invoice_no SELECT generate_series(1, 50);"
  printf 'SOURCE=postgres\nDATABASE=keep\nCHECK=keepdb\n' >"$LIFEBOAT_CONFIG_DIR/jobs/keepdb.conf"
  run $LIFEBOAT backup keepdb
  [ "$status" -eq 0 ]
  psql -q -d keep -c "INSERT INTO invoice_no VALUES (51); CREATE TABLE extra (x int);"
  run $LIFEBOAT restore keepdb --latest --into-db keep
  [ "$status" -eq 5 ]
  [[ "$output" == *"database keep already exists and has tables: nothing was restored"*"--into-db keep_restored"*"--replace"* ]]
  [ "$(psql -Atd keep -c 'SELECT count(*) FROM invoice_no')" = 51 ]
  # Into a new name: created and filled.
  run $LIFEBOAT restore keepdb --latest --into-db keep_restored
  [ "$status" -eq 0 ]
  [ "$(psql -Atd keep_restored -c 'SELECT count(*) FROM invoice_no')" = 50 ]
  # --replace: the backup's objects replace theirs in one transaction; others stay.
  run $LIFEBOAT restore keepdb --latest --into-db keep --replace
  [ "$status" -eq 0 ]
  [ "$(psql -Atd keep -c 'SELECT count(*) FROM invoice_no')" = 50 ]
  # A restore that fails half-way is rolled back, and says so.
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  printf '#!/bin/sh\necho "pg_restore: error: could not execute query: disk full" >&2\nexit 1\n' >"$stub/pg_restore"; chmod +x "$stub/pg_restore"
  PATH="$stub:$PATH" run $LIFEBOAT restore keepdb --latest --into-db keep --replace
  [ "$status" -eq 5 ]
  [[ "$output" == *"failed and was rolled back (one transaction): keep is as it was"*"disk full"* ]]
  PATH="$stub:$PATH" run $LIFEBOAT restore keepdb --latest --into-db brand_new
  [ "$status" -eq 5 ]
  [[ "$output" == *"the database this restore created was dropped again"* ]]
  [ "$(psql -Atd postgres -c "SELECT count(*) FROM pg_database WHERE datname = 'brand_new'")" = 0 ]
}

@test "postgres in a container: backup and restore --into-db both run inside it, after --" {
  createdb dock
  psql -q -d dock -c "CREATE TABLE t AS SELECT generate_series(1, 20) AS n"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  # The stand-in logs its arguments, checks the shape "exec -i -- CONTAINER TOOL -U USER …", then
  # runs the tool here as the container would (no engine in this sandbox).
  cat >"$stub/docker" <<STUB
#!/bin/sh
echo "\$*" >>"$BATS_TEST_TMPDIR/docker.argv"
[ "\$1 \$2 \$3 \$4" = "exec -i -- app-db-1" ] || { echo "unexpected: docker \$*" >&2; exit 125; }
shift 4
exec "\$@"
STUB
  chmod +x "$stub/docker"
  printf 'SOURCE=postgres\nDATABASE=dock\nCHECK=dockdb\nDOCKER_CONTAINER=app-db-1\nPGUSER=%s\n' "$PGUSER" >"$LIFEBOAT_CONFIG_DIR/jobs/dockdb.conf"
  PATH="$stub:$PATH" run $LIFEBOAT backup dockdb
  [ "$status" -eq 0 ]
  PATH="$stub:$PATH" run $LIFEBOAT restore dockdb --latest --into-db dock_copy
  [ "$status" -eq 0 ]
  [ "$(psql -Atd dock_copy -c 'SELECT count(*) FROM t')" = 20 ]
  grep -q "^exec -i -- app-db-1 pg_dump -U $PGUSER -Fc -Z0 -- dock$" "$BATS_TEST_TMPDIR/docker.argv"
  grep -q "^exec -i -- app-db-1 pg_restore -U $PGUSER --no-owner --single-transaction --dbname=dock_copy$" "$BATS_TEST_TMPDIR/docker.argv"
  # (multi-line SQL makes lines of their own: only the lines that start a call are looked at)
  [ -z "$(grep '^exec' "$BATS_TEST_TMPDIR/docker.argv" | grep -v '^exec -i -- app-db-1 ')" ]
}
