#!/usr/bin/env bats
# drill and guard against a real `wrangler dev` and a real Postgres 15 cluster (docker stubbed).
load helpers/common


setup_file() {
  start_server
  start_postgres 7919
  make_agent_config "$BATS_FILE_TMPDIR/agent" pgdrill:backup pgbad:backup pgfewer:backup tree:backup good:backup bad:backup sig:backup \
    nostart:backup
}

teardown_file() {
  stop_postgres
  stop_server
}

scratch_dbs() { psql -Atd postgres -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'lifeboat_drill_%'"; }

@test "postgres drill: restored into a scratch database, counts match the backup's, reported, dropped" {
  createdb shop
  psql -q -d shop -c "CREATE TABLE users (id int primary key, email text); INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 5000) g;
    CREATE TABLE orders (id int, user_id int); INSERT INTO orders SELECT g, g % 50 FROM generate_series(1, 1200) g;"
  printf 'SOURCE=postgres\nDATABASE=shop\nCHECK=pgdrill\n' >"$LIFEBOAT_CONFIG_DIR/jobs/pgdrill.conf"
  run $LIFEBOAT backup pgdrill
  [ "$status" -eq 0 ]
  admin GET "/api/v1/backups?check=pgdrill" | grep -q '"pg_tables":2,"pg_rows":6200'
  start=$(date +%s%N)
  run $LIFEBOAT drill pgdrill
  echo "# postgres drill wall time: $(( ($(date +%s%N) - start) / 1000000 )) ms, reported duration_s $output" >&3
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9]+\.[0-9]{3}$ ]]
  drills=$(admin GET /api/v1/checks/pgdrill/drills)
  [[ "$drills" == *'"ok":true'* ]]
  [[ "$drills" == *'"tables":2'* ]]
  [[ "$drills" == *'"rows":6200'* ]]
  [[ "$drills" == *"\"duration_s\":"* ]]
  [ "$(scratch_dbs)" = 0 ]
}

@test "postgres drill whose restore fails reports ok:false, exits 5 and still drops the scratch database" {
  createdb inventory
  psql -q -d inventory -c "CREATE TABLE items AS SELECT g AS id FROM generate_series(1, 100) g"
  printf 'SOURCE=postgres\nDATABASE=inventory\nCHECK=pgbad\n' >"$LIFEBOAT_CONFIG_DIR/jobs/pgbad.conf"
  run $LIFEBOAT backup pgbad
  [ "$status" -eq 0 ]
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  # The restore itself fails (pg_restore), everything else is the real thing.
  printf '#!/bin/sh\necho "pg_restore: restore broke" >&2\nexit 1\n' >"$stub/pg_restore"
  chmod +x "$stub/pg_restore"
  PATH="$stub:$PATH" run $LIFEBOAT drill pgbad
  [ "$status" -eq 5 ]
  [[ "$output" == *"restore broke"* ]]
  drills=$(admin GET /api/v1/checks/pgbad/drills)
  [[ "$drills" == *'"ok":false'* ]]
  [[ "$drills" == *'restore broke'* ]]
  [ "$(scratch_dbs)" = 0 ]
}

@test "directory drill: the archive lists its files" {
  src="$BATS_TEST_TMPDIR/src"; mkdir -p "$src/sub"
  echo a >"$src/a"; echo b >"$src/sub/b"; echo c >"$src/sub/c"
  printf 'SOURCE=directory\nDIRECTORY=%s\nCHECK=tree\n' "$src" >"$LIFEBOAT_CONFIG_DIR/jobs/tree.conf"
  run $LIFEBOAT backup tree
  [ "$status" -eq 0 ]
  run $LIFEBOAT drill tree
  [ "$status" -eq 0 ]
  admin GET /api/v1/checks/tree/drills | grep -q '"files":3'
}

@test "guard refuses to run the command when a backup fails, runs it when backups succeed" {
  echo data >"$BATS_TEST_TMPDIR/f"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=good\n' "$BATS_TEST_TMPDIR/f" >"$LIFEBOAT_CONFIG_DIR/jobs/good.conf"
  printf 'SOURCE=command\nCOMMAND=exit 1\nCHECK=bad\n' >"$LIFEBOAT_CONFIG_DIR/jobs/bad.conf"
  run $LIFEBOAT guard --job good --job bad -- touch "$BATS_TEST_TMPDIR/ran"
  [ "$status" -eq 5 ]
  [[ "$output" == *"backup of bad failed"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
  run $LIFEBOAT guard --job good -- sh -c "touch '$BATS_TEST_TMPDIR/ran'; exit 7"
  [ "$status" -eq 7 ]
  [ -e "$BATS_TEST_TMPDIR/ran" ]
  [ "$(admin GET "/api/v1/backups?check=good" | grep -o '"status":"complete"' | wc -l)" -ge 2 ]
}

@test "guard warns before docker compose down -v and, off a terminal, runs it only with --yes" {
  echo data >"$BATS_TEST_TMPDIR/f"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=good\n' "$BATS_TEST_TMPDIR/f" >"$LIFEBOAT_CONFIG_DIR/jobs/good.conf"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  printf '#!/bin/sh\necho "docker $*" >>"%s/docker.log"\n' "$BATS_TEST_TMPDIR" >"$stub/docker"; chmod +x "$stub/docker"
  PATH="$stub:$PATH" run $LIFEBOAT guard --job good -- docker compose down -v </dev/null
  [ "$status" -eq 5 ]
  [[ "$output" == *"warning"*"volumes"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/docker.log" ]
  PATH="$stub:$PATH" run $LIFEBOAT guard --job good --yes -- docker compose down -v </dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == *"warning"* ]]
  [ "$(cat "$BATS_TEST_TMPDIR/docker.log")" = "docker compose down -v" ]
}

@test "guard on a terminal asks for yes before a dangerous command" {
  command -v script >/dev/null || skip "script(1) not installed"
  echo data >"$BATS_TEST_TMPDIR/f"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=good\n' "$BATS_TEST_TMPDIR/f" >"$LIFEBOAT_CONFIG_DIR/jobs/good.conf"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  printf '#!/bin/sh\necho "docker $*" >>"%s/docker.log"\n' "$BATS_TEST_TMPDIR" >"$stub/docker"; chmod +x "$stub/docker"
  run sh -c "printf 'no\n' | PATH='$stub:$PATH' script -qec '$LIFEBOAT guard --job good -- docker volume prune' /dev/null"
  [[ "$output" == *"Type yes"* ]]
  [[ "$output" == *"not confirmed"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/docker.log" ]
  run sh -c "printf 'yes\n' | PATH='$stub:$PATH' script -qec '$LIFEBOAT guard --job good -- docker volume prune' /dev/null"
  [ "$(cat "$BATS_TEST_TMPDIR/docker.log")" = "docker volume prune" ]
}

@test "postgres drill fails when fewer tables come back than the backup recorded" {
  createdb ledger
  psql -q -d ledger -c "CREATE TABLE entries AS SELECT g AS id FROM generate_series(1, 10) g"
  printf 'SOURCE=postgres\nDATABASE=ledger\nCHECK=pgfewer\n' >"$LIFEBOAT_CONFIG_DIR/jobs/pgfewer.conf"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  # At backup time the source claims 3 tables (as if the dump had silently lost two).
  printf '#!/bin/sh\ncase "$*" in *information_schema*) echo "3 10"; exit 0 ;; esac\nexec /usr/bin/psql "$@"\n' >"$stub/psql"
  chmod +x "$stub/psql"
  PATH="$stub:$PATH" run $LIFEBOAT backup pgfewer
  [ "$status" -eq 0 ]
  run $LIFEBOAT drill pgfewer
  [ "$status" -eq 5 ]
  [[ "$output" == *"restored 1 tables; the source had 3"* ]]
  admin GET /api/v1/checks/pgfewer/drills | grep -q '"ok":false'
  [ "$(scratch_dbs)" = 0 ]
}

@test "HUP, INT or TERM during a drill drops the scratch database and removes the work dir" {
  createdb sigdb
  psql -q -d sigdb -c "CREATE TABLE t AS SELECT generate_series(1, 100) AS n"
  printf 'SOURCE=postgres\nDATABASE=sigdb\nCHECK=sig\n' >"$LIFEBOAT_CONFIG_DIR/jobs/sig.conf"
  run $LIFEBOAT backup sig
  [ "$status" -eq 0 ]
  export LIFEBOAT_TMPDIR="$BATS_TEST_TMPDIR/tmp"; mkdir -p "$LIFEBOAT_TMPDIR"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  # The restore hangs once the scratch database exists (a slow restore), until the signal comes.
  printf '#!/bin/sh\ntouch "%s/restoring"\nsleep 60\n' "$BATS_TEST_TMPDIR" >"$stub/pg_restore"; chmod +x "$stub/pg_restore"
  for sig in HUP INT TERM; do
    rm -f "$BATS_TEST_TMPDIR/restoring"
    PATH="$stub:$PATH" setsid $LIFEBOAT drill sig 2>/dev/null &
    pid=$!
    for _ in $(seq 1 100); do [ -e "$BATS_TEST_TMPDIR/restoring" ] && break; sleep 0.1; done
    [ -e "$BATS_TEST_TMPDIR/restoring" ]
    [ "$(scratch_dbs)" = 1 ]
    kill -"$sig" -- "-$pid"
    rc=0; wait "$pid" || rc=$?
    [ "$rc" -ne 0 ]
    [ "$(scratch_dbs)" = 0 ] || { echo "$sig left a scratch database"; return 1; }
    [ -z "$(ls "$LIFEBOAT_TMPDIR")" ] || { echo "$sig left $(ls "$LIFEBOAT_TMPDIR")"; return 1; }
  done
}

@test "a drill that cannot start (Postgres unreachable) says so in its own words, never 'failed' against the backup" {
  createdb unreachable
  psql -q -d unreachable -c "CREATE TABLE t AS SELECT generate_series(1, 10) AS n"
  printf 'SOURCE=postgres\nDATABASE=unreachable\nCHECK=nostart\n' >"$LIFEBOAT_CONFIG_DIR/jobs/nostart.conf"
  run $LIFEBOAT backup nostart
  [ "$status" -eq 0 ]
  run $LIFEBOAT drill nostart
  [ "$status" -eq 0 ]
  # Now the database server is gone for this job (a port nothing listens on), as if Postgres stopped.
  printf 'PGPORT=%s\n' "$((PGPORT + 1))" >>"$LIFEBOAT_CONFIG_DIR/jobs/nostart.conf"
  run $LIFEBOAT drill nostart
  [ "$status" -eq 5 ]
  [[ "$output" == *"drill nostart could not start: cannot create a scratch database:"*"was not tested"* ]]
  [[ "$output" != *"drill nostart failed"* ]]
  drills=$(admin GET /api/v1/checks/nostart/drills)
  [[ "$drills" == *'"outcome":"could_not_start"'* ]]
  admin GET /api/v1/checks/nostart/flips | grep -q '"reason":"drill_not_started"'
  ! admin GET /api/v1/checks/nostart/flips | grep -q '"reason":"drill_failed"'
  # The backup's own record still shows the drill that tested it.
  run $LIFEBOAT list nostart
  [[ "${lines[1]}" == *" complete "*" ok "* ]]
}
