#!/usr/bin/env bats
# Config parsing: strict KEY=VALUE, never sourced. No server needed.
load helpers/common

setup() {
  export LIFEBOAT_CONFIG_DIR="$BATS_TEST_TMPDIR/conf" LIFEBOAT_STATE_DIR="$BATS_TEST_TMPDIR/state" LIFEBOAT_ALLOW_HTTP=1
  mkdir -p "$LIFEBOAT_CONFIG_DIR/jobs"
  printf '%s\n' "LIFEBOAT_URL=http://127.0.0.1:9" "LIFEBOAT_KEY_ID=lbk_x" "LIFEBOAT_SECRET_FILE=$LIFEBOAT_CONFIG_DIR/secret" >"$LIFEBOAT_CONFIG_DIR/lifeboat.conf"
  printf '%064d\n' 0 >"$LIFEBOAT_CONFIG_DIR/secret"
}

@test "a line that is not KEY=VALUE is refused with its line number, exit 2" {
  printf '# ok\nSOURCE=directory\necho pwned\n' >"$LIFEBOAT_CONFIG_DIR/jobs/bad.conf"
  run $LIFEBOAT backup bad --no-upload
  [ "$status" -eq 2 ]
  [[ "$output" == *"bad.conf:3: not KEY=VALUE"* ]]
}

@test "a command substitution in a value is never run" {
  printf 'SOURCE=directory\nDIRECTORY=$(touch %s/pwned)\n' "$BATS_TEST_TMPDIR" >"$LIFEBOAT_CONFIG_DIR/jobs/sub.conf"
  run $LIFEBOAT backup sub --no-upload
  [ ! -e "$BATS_TEST_TMPDIR/pwned" ]
  # Not an absolute path, so refused before anything runs.
  [ "$status" -eq 2 ]
  [[ "$output" == *"DIRECTORY '\$(touch"*"is not a valid path"* ]]
}

@test "lowercase or odd keys are refused" {
  printf 'source=directory\n' >"$LIFEBOAT_CONFIG_DIR/jobs/lc.conf"
  run $LIFEBOAT backup lc --no-upload
  [ "$status" -eq 2 ]
  [[ "$output" == *"lc.conf:1: bad key"* ]]
}

@test "a value with an inline ' #' is warned about with its file and line, by the run and by doctor; a quoted one is not" {
  printf 'SOURCE=directory\nDIRECTORY=%s\nPGPASSFILE=/etc/lifeboat/pgpass      # mode 600\nCHECK=c\n' "$BATS_TEST_TMPDIR" >"$LIFEBOAT_CONFIG_DIR/jobs/note.conf"
  run $LIFEBOAT backup note --no-upload
  [ "$status" -eq 0 ]
  [[ "$output" == *"lifeboat: warning: $LIFEBOAT_CONFIG_DIR/jobs/note.conf:3: the value of PGPASSFILE has a ' #' in it, and is all of '/etc/lifeboat/pgpass      # mode 600'"* ]]
  run $LIFEBOAT doctor
  [[ "$output" == *"warn $LIFEBOAT_CONFIG_DIR/jobs/note.conf:3: the value of PGPASSFILE"* ]]
  printf 'SOURCE=directory\nDIRECTORY=%s\nPGPASSFILE="/etc/lifeboat/pg #1"\nCHECK=c\n' "$BATS_TEST_TMPDIR" >"$LIFEBOAT_CONFIG_DIR/jobs/note.conf"
  run $LIFEBOAT backup note --no-upload
  [ "$status" -eq 0 ]
  [[ "$output" != *"warning"* ]]
}

@test "a secret that is not 64 hex characters is refused" {
  echo nothex >"$LIFEBOAT_CONFIG_DIR/secret"
  run $LIFEBOAT ping x
  [ "$status" -eq 2 ]
  [[ "$output" == *"64 hex"* ]]
}

@test "usage errors exit 1; version and help work" {
  run $LIFEBOAT ping
  [ "$status" -eq 1 ]
  run $LIFEBOAT ping x --exit 300
  [ "$status" -eq 1 ]
  run $LIFEBOAT frobnicate
  [ "$status" -eq 1 ]
  run $LIFEBOAT version
  [ "$status" -eq 0 ] && [[ "$output" == "lifeboat "* ]]
  run $LIFEBOAT help
  [ "$status" -eq 0 ] && [[ "$output" == *"restore JOB"* ]]
}

@test "an unreachable server is exit 4" {
  run $LIFEBOAT ping x
  [ "$status" -eq 4 ]
}

# guard with a job that cannot back up here (no server): what guard does before any backup shows.
guard_stops() { # guard_stops CMD...: guard warns, and off a terminal refuses (5) without running CMD
  run $LIFEBOAT guard --job nojob -- "$@" </dev/null
  [ "$status" -eq 5 ] && [[ "$output" == *"warning"* ]] && [[ "$output" == *"without a terminal to confirm"* ]] ||
    { echo "not caught: $* → $status $output"; return 1; }
}

@test "guard recognises destructive commands in their common spellings (a best-effort list)" {
  guard_stops docker compose down -v
  guard_stops docker compose -f prod.yml down --volumes
  guard_stops docker-compose down --rmi all -v
  guard_stops docker volume rm app_db
  guard_stops docker volume remove app_db
  guard_stops docker volume prune -a
  guard_stops podman volume rm app_db
  guard_stops docker system prune -af --volumes
  guard_stops docker rm -fv app-db-1
  guard_stops rm -rf /var/lib/docker
  guard_stops rm -r -f /var/lib/docker
  guard_stops sudo rm -Rf /var/lib/postgresql/15/main
  guard_stops rm --recursive --force /srv/app/media
  guard_stops dropdb app
  guard_stops psql -c 'DROP  DATABASE app'
  guard_stops mysql -e 'drop table users'
  guard_stops mysqladmin -u root drop app
  guard_stops sh -c 'docker compose down -v && docker compose up -d'
  guard_stops prisma migrate reset --force
  guard_stops iptables -F
  guard_stops nft flush ruleset
  guard_stops redis-cli FLUSHALL
  guard_stops mkfs.ext4 /dev/sdb1
  guard_stops dd if=/dev/zero of=/dev/sda bs=1M
  # Everyday commands pass the check and go on to the backups (which fail here: no server).
  for cmd in 'docker compose up -d' 'rm -rf node_modules' 'truncate -s 0 app.log' 'ls -la /var/lib/docker'; do
    run $LIFEBOAT guard --job nojob -- sh -c "$cmd" </dev/null
    [ "$status" -eq 5 ] && [[ "$output" != *"warning"* ]] && [[ "$output" == *"backup of nojob failed"* ]]
  done
  run $LIFEBOAT help
  [[ "$output" == *"best-effort reminder, not a complete list"* ]]
}

@test "guard refuses without jobs to back up, and never expands --job as a glob" {
  run $LIFEBOAT guard -- touch "$BATS_TEST_TMPDIR/ran"
  [ "$status" -eq 2 ]
  [[ "$output" == *"no jobs in"*"refused"* ]]
  run $LIFEBOAT guard --job '' -- touch "$BATS_TEST_TMPDIR/ran"
  [ "$status" -eq 1 ]
  mkdir "$BATS_TEST_TMPDIR/cwd"; touch "$BATS_TEST_TMPDIR/cwd/a" "$BATS_TEST_TMPDIR/cwd/b"
  cd "$BATS_TEST_TMPDIR/cwd"
  run $LIFEBOAT guard --job '*' -- touch "$BATS_TEST_TMPDIR/ran"
  [ "$status" -eq 1 ]
  [[ "$output" == *"--job: bad job name '*'"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "an unknown key is refused with its file, line and the nearest known key" {
  printf 'SOURCE=postgres\n\nDATABSE=toybox\n' >"$LIFEBOAT_CONFIG_DIR/jobs/db.conf"
  run $LIFEBOAT backup db --no-upload
  [ "$status" -eq 2 ]
  [ "$output" = "lifeboat: error: $LIFEBOAT_CONFIG_DIR/jobs/db.conf:3: unknown key DATABSE (did you mean DATABASE?)" ]
  printf 'SOURCE=postgres\nWHATEVER=1\n' >"$LIFEBOAT_CONFIG_DIR/jobs/db.conf"
  run $LIFEBOAT backup db --no-upload
  [ "$output" = "lifeboat: error: $LIFEBOAT_CONFIG_DIR/jobs/db.conf:2: unknown key WHATEVER" ]
  printf 'LIFEBOAT_UR=https://example.com\n' >>"$LIFEBOAT_CONFIG_DIR/lifeboat.conf"
  run $LIFEBOAT ping x
  [ "$status" -eq 2 ]
  [[ "$output" == *"lifeboat.conf:4: unknown key LIFEBOAT_UR (did you mean LIFEBOAT_URL?)"* ]]
}
