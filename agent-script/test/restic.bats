#!/usr/bin/env bats
# ENGINE=restic: job files, the repository's secret, backups, restores and drills through the real
# restic (Debian's 0.14) into a real `wrangler dev`.
load helpers/common

setup_file() {
  start_server
  AGENT_SCOPES='"ping","read","restic"' make_agent_config "$BATS_FILE_TMPDIR/agent" files:restic dumps:restic killed:restic
  export RESTIC_PASSWORD_TEST="$BATS_FILE_TMPDIR/restic-pass" RESTIC_CACHE_DIR="$BATS_FILE_TMPDIR/restic-cache"
  openssl rand -hex 16 >"$RESTIC_PASSWORD_TEST"
  chmod 600 "$RESTIC_PASSWORD_TEST"
}

teardown_file() {
  stop_server
}

setup() {
  export LIFEBOAT_TMPDIR="$BATS_TEST_TMPDIR/tmp"
  mkdir -p "$LIFEBOAT_TMPDIR"
  SECRET=$(cat "$LIFEBOAT_CONFIG_DIR/secret")
  KEY_ID=$(sed -n 's/^LIFEBOAT_KEY_ID=//p' "$LIFEBOAT_CONFIG_DIR/lifeboat.conf")
}

job() { # job NAME LINES...: jobs/NAME.conf
  name=$1; shift
  printf '%s\n' "$@" >"$LIFEBOAT_CONFIG_DIR/jobs/$name.conf"
}

# test_restic REPO ARGS...: restic itself on REPO, with the test's own copy of the repository URL.
test_restic() {
  repo=$1; shift
  server_env
  printf 'rest:%s\n' "$(echo "$URL" | sed "s|://|://$KEY_ID:$SECRET@|")/restic/$repo/" >"$BATS_TEST_TMPDIR/repo-url"
  RESTIC_REPOSITORY_FILE="$BATS_TEST_TMPDIR/repo-url" RESTIC_PASSWORD_FILE="$RESTIC_PASSWORD_TEST" restic "$@"
}
snapshot_count() { test_restic "$1" snapshots --json | grep -o '"short_id"' | wc -l; }

# our_restic: pids of restic processes started for this test's work dirs (other tests may run restic too).
our_restic() {
  for p in $(pgrep -x restic); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q "^RESTIC_REPOSITORY_FILE=$LIFEBOAT_TMPDIR/" && echo "$p"
  done
  return 0
}

@test "ENGINE and the restic settings are checked before anything runs" {
  job e1 SOURCE=directory DIRECTORY=/etc ENGINE=borg
  run $LIFEBOAT backup e1
  [ "$status" -eq 2 ] && [[ "$output" == *"ENGINE must be lifeboat or restic, not 'borg'"* ]]
  job e2 SOURCE=directory DIRECTORY=/etc ENGINE=restic
  run $LIFEBOAT backup e2
  [ "$status" -eq 2 ] && [[ "$output" == *"needs RESTIC_PASSWORD_FILE"* ]]
  job e3 SOURCE=directory DIRECTORY=/etc ENGINE=restic RESTIC_REPO=../other "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST"
  run $LIFEBOAT backup e3
  [ "$status" -eq 2 ] && [[ "$output" == *"RESTIC_REPO '../other' is not a check slug"* ]]
  job e4 SOURCE=directory DIRECTORY=/etc ENGINE=restic RESTIC_PASSWORD_FILE=relative/pass
  run $LIFEBOAT backup e4
  [ "$status" -eq 2 ] && [[ "$output" == *"RESTIC_PASSWORD_FILE 'relative/pass' is not a valid path"* ]]
  job e5 SOURCE=directory DIRECTORY=/etc ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST" AGE_RECIPIENTS=age1xyz
  run $LIFEBOAT backup e5
  [ "$status" -eq 2 ] && [[ "$output" == *"do not apply to ENGINE=restic"* ]]
  job e6 SOURCE=directory DIRECTORY=/etc ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST"
  run $LIFEBOAT backup e6 --no-upload
  [ "$status" -eq 1 ] && [[ "$output" == *"--no-upload is for ENGINE=lifeboat"* ]]
  job e7 SOURCE=directory DIRECTORY=/etc ENGINE=restic RESTIC_PASWORD_FILE=/x
  run $LIFEBOAT backup e7
  [ "$status" -eq 2 ] && [[ "$output" == *"unknown key RESTIC_PASWORD_FILE (did you mean RESTIC_PASSWORD_FILE?)"* ]]
  # Nothing ran: no work dir was even made.
  [ -z "$(ls -A "$LIFEBOAT_TMPDIR")" ]
}

@test "a password file others can read, or a symlink, is refused" {
  cp "$RESTIC_PASSWORD_TEST" "$BATS_TEST_TMPDIR/pass"
  chmod 640 "$BATS_TEST_TMPDIR/pass"
  job p1 SOURCE=directory DIRECTORY=/etc ENGINE=restic CHECK=files "RESTIC_PASSWORD_FILE=$BATS_TEST_TMPDIR/pass"
  run $LIFEBOAT backup p1
  [ "$status" -eq 2 ] && [[ "$output" == *"must be mode 600 (chmod 600 $BATS_TEST_TMPDIR/pass)"* ]]
  ln -s "$RESTIC_PASSWORD_TEST" "$BATS_TEST_TMPDIR/link"
  job p2 SOURCE=directory DIRECTORY=/etc ENGINE=restic CHECK=files "RESTIC_PASSWORD_FILE=$BATS_TEST_TMPDIR/link"
  run $LIFEBOAT backup p2
  [ "$status" -eq 2 ] && [[ "$output" == *"is a symlink or not a file: refused"* ]]
}

@test "a directory job: init on first use, snapshots tagged, restore as a tar, drill reported to the ping log" {
  mkdir -p "$BATS_TEST_TMPDIR/src/sub"
  for i in 1 2 3; do head -c 200000 /dev/urandom >"$BATS_TEST_TMPDIR/src/sub/f$i"; done
  job files SOURCE=directory "DIRECTORY=$BATS_TEST_TMPDIR/src" ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST"
  [ "$(check_status files)" = new ]
  run $LIFEBOAT backup files
  [ "$status" -eq 0 ]
  echo "x" >>"$BATS_TEST_TMPDIR/src/sub/f1"
  LIFEBOAT_VERBOSE=1 run $LIFEBOAT backup files
  [ "$status" -eq 0 ]
  [[ "$output" == *"restic snapshot "*" in files, "*" bytes added"* ]]
  [ "$(snapshot_count files)" -eq 2 ]
  test_restic files snapshots --json | grep -q '"tags":\["lifeboat","job=files"\]'
  [ "$(check_status files)" = up ]
  run $LIFEBOAT list files
  [ "$status" -eq 0 ] && [[ "$output" == *"lifeboat,job=files"* ]] && [[ "$output" == *"2 snapshots"* ]]
  first=$(test_restic files snapshots --json | sed -n 's/^\[{[^{]*"id":"\([0-9a-f]*\)".*/\1/p')
  run $LIFEBOAT restore files --backup "${first:0:8}" --to "$BATS_TEST_TMPDIR/first.tar"
  [ "$status" -eq 0 ]
  [ "$(tar -xOf "$BATS_TEST_TMPDIR/first.tar" "${BATS_TEST_TMPDIR#/}/src/sub/f1" | wc -c)" -eq 200000 ]
  run $LIFEBOAT restore files --backup bk_00000000000000000000
  [ "$status" -eq 1 ] && [[ "$output" == *"bad restic snapshot id"* ]]
  run $LIFEBOAT restore files --to "$BATS_TEST_TMPDIR/out.tar"
  [ "$status" -eq 0 ]
  mkdir "$BATS_TEST_TMPDIR/out" && tar -C "$BATS_TEST_TMPDIR/out" -xf "$BATS_TEST_TMPDIR/out.tar"
  diff -r "$BATS_TEST_TMPDIR/src" "$BATS_TEST_TMPDIR/out$BATS_TEST_TMPDIR/src"
  run $LIFEBOAT drill files
  [ "$status" -eq 0 ] && [[ "$output" =~ ^[0-9]+\.[0-9]{3}$ ]]
  pings=$(admin GET /api/v1/checks/files/pings)
  [[ "$pings" == *"lifeboat drill files: ok after "*"restic snapshot "* ]]
  [[ "$pings" == *'\"files\":3'* ]]
  [[ "$pings" == *"lifeboat restore files: ok, restic snapshot "* ]]
  [ "$(check_status files)" = up ]
}

@test "the key's secret is in no argv, no other process's environment, no log, and not on disk afterwards" {
  spy=$BATS_TEST_TMPDIR/spy
  # The dump runs while restic runs: it looks at every process's argv and environment then.
  job dumps SOURCE=command ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST" \
    "COMMAND=sleep 1; ps -eo args >$spy.ps; cat /proc/[0-9]*/environ >$spy.env 2>/dev/null; echo some data; exit 0"
  run $LIFEBOAT backup dumps
  [ "$status" -eq 0 ]
  grep -q 'restic backup --json' "$spy.ps"
  ! grep -q "$SECRET" "$spy.ps"
  ! grep -aq "$SECRET" "$spy.env"
  grep -aq "RESTIC_REPOSITORY_FILE=$LIFEBOAT_TMPDIR/lifeboat\.......*/restic-repository" "$spy.env"
  # Afterwards: the work dir is gone and nothing under the temp dir holds the secret.
  [ -z "$(ls -A "$LIFEBOAT_TMPDIR")" ]
  [ "$(test_restic dumps dump latest /dumps.out)" = "some data" ]
  # A failure's log goes to the server: restic's own errors, without the secret.
  printf 'wrong password\n' >"$BATS_TEST_TMPDIR/wrong"; chmod 600 "$BATS_TEST_TMPDIR/wrong"
  job dumps SOURCE=command ENGINE=restic "RESTIC_PASSWORD_FILE=$BATS_TEST_TMPDIR/wrong" "COMMAND=echo x"
  run $LIFEBOAT backup dumps
  [ "$status" -eq 5 ]
  [[ "$output" == *"wrong password"* ]]
  [[ "$output" != *"$SECRET"* ]]
  pings=$(admin GET /api/v1/checks/dumps/pings)
  [[ "$pings" == *'"kind":"fail"'*"wrong password"* ]]
  [[ "$pings" != *"$SECRET"* ]]
  [ -z "$(ls -A "$LIFEBOAT_TMPDIR")" ]
}

@test "a dump that fails half-way leaves no snapshot, and the check's /fail has the log" {
  job killed SOURCE=command ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST" "COMMAND=echo first; echo second"
  run $LIFEBOAT backup killed
  [ "$status" -eq 0 ]
  before=$(snapshot_count killed)
  job killed SOURCE=command ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST" \
    "COMMAND=echo partial; sleep 1; echo 'pg_dump: error: connection lost' >&2; exit 3"
  run $LIFEBOAT backup killed
  [ "$status" -eq 5 ]
  [[ "$output" == *"the command dump failed (exit 3): restic was stopped, no snapshot was saved"* ]]
  [ "$(snapshot_count killed)" -eq "$before" ]
  [ "$(check_status killed)" = down ]
  admin GET /api/v1/checks/killed/pings | grep -q 'connection lost'
  [ -z "$(our_restic)" ]
}

@test "TERM during a backup: restic is stopped, no snapshot, the secret's file is removed" {
  before=$(snapshot_count killed)
  job killed SOURCE=command ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST" "COMMAND=echo partial; sleep 30; echo rest"
  $LIFEBOAT backup killed 3>&- &
  agent=$!
  for _ in $(seq 1 100); do [ -n "$(our_restic)" ] && break; sleep 0.1; done
  [ -n "$(our_restic)" ]
  ls "$LIFEBOAT_TMPDIR"/lifeboat.*/restic-repository
  kill -TERM "$agent"
  status=0
  wait "$agent" || status=$?
  [ "$status" -eq 143 ]
  sleep 1
  [ -z "$(our_restic)" ]
  [ -z "$(ls -A "$LIFEBOAT_TMPDIR")" ]
  ! grep -rq "$SECRET" "$LIFEBOAT_TMPDIR"
  [ "$(snapshot_count killed)" -eq "$before" ]
}

@test "kill -9 during a backup: the next run removes the file with the secret" {
  job killed SOURCE=command ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST" "COMMAND=sleep 30"
  $LIFEBOAT backup killed 3>&- &
  agent=$!
  for _ in $(seq 1 100); do [ -n "$(our_restic)" ] && break; sleep 0.1; done
  pids=$(our_restic)
  [ -n "$pids" ]
  kill -KILL "$agent" $pids
  wait "$agent" || :
  grep -rlq "$SECRET" "$LIFEBOAT_TMPDIR"
  job killed SOURCE=command ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST" "COMMAND=echo again"
  run $LIFEBOAT backup killed
  [ "$status" -eq 0 ]
  ! grep -rq "$SECRET" "$LIFEBOAT_TMPDIR"
  [ -z "$(ls -A "$LIFEBOAT_TMPDIR")" ]
}

@test "doctor: restic's version, the password file, the repository opened with the key" {
  job files SOURCE=directory "DIRECTORY=$BATS_TEST_TMPDIR" ENGINE=restic "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST"
  job fresh SOURCE=directory "DIRECTORY=$BATS_TEST_TMPDIR" ENGINE=restic CHECK=dumps RESTIC_REPO=killed "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST"
  rm -f "$LIFEBOAT_CONFIG_DIR"/jobs/[ep][0-9].conf "$LIFEBOAT_CONFIG_DIR"/jobs/dumps.conf "$LIFEBOAT_CONFIG_DIR"/jobs/killed.conf
  run $LIFEBOAT doctor
  echo "$output"
  [[ "$output" == *"ok   job files: restic 0."* ]]
  [[ "$output" == *"ok   job files: RESTIC_PASSWORD_FILE $RESTIC_PASSWORD_TEST is readable by its owner only"* ]]
  [[ "$output" == *"ok   job files: restic repository files opens with the key and RESTIC_PASSWORD_FILE"* ]]
  [[ "$output" == *"ok   job fresh: check killed is one the key may use"* ]]
  [ "$status" -eq 0 ]
  # A wrong password: restic's own words, a config failure.
  printf 'nope\n' >"$BATS_TEST_TMPDIR/wrong"; chmod 600 "$BATS_TEST_TMPDIR/wrong"
  job fresh SOURCE=directory "DIRECTORY=$BATS_TEST_TMPDIR" ENGINE=restic "RESTIC_PASSWORD_FILE=$BATS_TEST_TMPDIR/wrong" CHECK=files
  run $LIFEBOAT doctor
  [ "$status" -eq 2 ]
  [[ "$output" == *"FAIL job fresh: restic cannot open files: "*"wrong password"* ]]
  [[ "$output" != *"$SECRET"* ]]
}

@test "a failed drill of a restic job is a /fail of its check, with the reason" {
  # A snapshot that claims to be the sqlite job's database but is not one.
  test_restic dumps cat config >/dev/null 2>&1 || test_restic dumps init -q
  echo "not a database" | test_restic dumps backup -q --stdin --stdin-filename junk.sqlite --tag lifeboat,job=junk
  job junk SOURCE=sqlite SQLITE_DB=/nonexistent/junk.db ENGINE=restic CHECK=dumps "RESTIC_PASSWORD_FILE=$RESTIC_PASSWORD_TEST"
  run $LIFEBOAT drill junk
  [ "$status" -eq 5 ]
  [[ "$output" == *"drill junk failed after"*"is not sqlite data"* ]]
  pings=$(admin GET /api/v1/checks/dumps/pings)
  [[ "$pings" == *'"kind":"fail"'*"lifeboat drill junk: failed after"* ]]
  [ "$(check_status dumps)" = down ]
}
