#!/usr/bin/env bats
# Config parsing: strict KEY=VALUE, never sourced. No server needed.
load helpers/common

setup() {
  export LIFEBOAT_CONFIG_DIR="$BATS_TEST_TMPDIR/conf" LIFEBOAT_STATE_DIR="$BATS_TEST_TMPDIR/state"
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
  [ "$status" -eq 5 ]
}

@test "lowercase or odd keys are refused" {
  printf 'source=directory\n' >"$LIFEBOAT_CONFIG_DIR/jobs/lc.conf"
  run $LIFEBOAT backup lc --no-upload
  [ "$status" -eq 2 ]
  [[ "$output" == *"lc.conf:1: bad key"* ]]
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
