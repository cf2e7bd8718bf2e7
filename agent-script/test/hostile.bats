#!/usr/bin/env bats
# The agent against a hostile server (helpers/hostile.mjs on 127.0.0.1) that serves crafted
# backups, and a real Postgres 15 cluster holding "production" next to the drill's scratch
# databases. What the server sends is never run, and nothing outside the scratch database changes.
load helpers/common

setup_file() {
  start_hostile
  start_postgres 4111
  createdb prod
  psql -q -d prod -c "CREATE TABLE users AS SELECT g AS id, 'u' || g AS email FROM generate_series(1, 100) g"
}

teardown_file() {
  stop_postgres
  stop_hostile
}

setup() {
  hostile_agent_config "$BATS_TEST_TMPDIR/agent"
  printf 'SOURCE=postgres\nDATABASE=prod\nCHECK=hdb\n' >"$LIFEBOAT_CONFIG_DIR/jobs/hdb.conf"
  # This host's own key, as `lifeboat backup` makes it on first use.
  new_key "$LIFEBOAT_CONFIG_DIR/host-key.pem"
  export PWNED="$BATS_TEST_TMPDIR/PWNED"
  scenario '{}'
}

prod_users() { psql -Atd prod -c "SELECT count(*) FROM users"; }
scratch_dbs() { psql -Atd postgres -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'lifeboat_drill_%'"; }
# A plain-SQL "dump" that would run a shell command as root and drop production through psql.
evil_sql() {
  printf 'CREATE TABLE t (x int);\n\\! touch %s\n\\connect prod\nDROP TABLE users;\n' "$PWNED" | gzip -n >"$1"
}
# A real custom-format dump of a database whose rows and names hold psql meta-commands as text.
tricky_dump() {
  createdb tricky
  psql -q -d tricky -c "CREATE TABLE \"\\! touch $PWNED\" (line text);
    INSERT INTO \"\\! touch $PWNED\" VALUES (E'\\\\! touch $PWNED'), (E'\\\\connect prod'), ('DROP TABLE users;');"
  pg_dump -Fc -Z0 tricky | gzip -n >"$1"
  dropdb tricky
}
nothing_ran() { [ ! -e "$PWNED" ] && [ "$(prod_users)" = 100 ] && [ "$(scratch_dbs)" = 0 ]; }

@test "an unsigned backup is refused by drill and restore: nothing runs, nothing changes" {
  evil_sql "$BATS_TEST_TMPDIR/evil.gz"
  serve bk_00000000000000000001 "$BATS_TEST_TMPDIR/evil.gz" none check=hdb compression=gzip encryption=none format=pgdump-custom source=postgres
  run $LIFEBOAT drill hdb
  [ "$status" -eq 6 ]
  [[ "$output" == *"bk_00000000000000000001 is not signed: refused"* ]]
  nothing_ran
  run $LIFEBOAT restore hdb --latest --into-db copy
  [ "$status" -eq 6 ]
  run $LIFEBOAT restore hdb --latest --to "$BATS_TEST_TMPDIR/out.sql"
  [ "$status" -eq 6 ]
  [ ! -e "$BATS_TEST_TMPDIR/out.sql" ]
  nothing_ran
  [ "$(psql -Atd postgres -c "SELECT count(*) FROM pg_database WHERE datname = 'copy'")" = 0 ]
  # The way out for backups made before signing: a file to read, never loaded by lifeboat.
  run $LIFEBOAT restore hdb --latest --unsigned --into-db copy
  [ "$status" -eq 1 ]
  run $LIFEBOAT restore hdb --latest --unsigned --to "$BATS_TEST_TMPDIR/out.sql"
  [ "$status" -eq 0 ]
  grep -q 'connect prod' "$BATS_TEST_TMPDIR/out.sql"
  nothing_ran
}

@test "a backup signed by another host's key is refused by drill and restore, until the job trusts that key" {
  tricky_dump "$BATS_TEST_TMPDIR/dump.gz"
  new_key "$BATS_TEST_TMPDIR/other.pem"
  serve bk_00000000000000000002 "$BATS_TEST_TMPDIR/dump.gz" "$BATS_TEST_TMPDIR/other.pem" check=hdb compression=gzip encryption=none format=pgdump-custom source=postgres
  run $LIFEBOAT drill hdb
  [ "$status" -eq 6 ]
  [[ "$output" == *"signed by SHA256:"*"a key this job does not trust: refused"* ]]
  run $LIFEBOAT restore hdb --latest --to "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 6 ]
  [ ! -e "$BATS_TEST_TMPDIR/out" ]
  # --unsigned never overrides a signature that is there and untrusted.
  run $LIFEBOAT restore hdb --latest --unsigned --to "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 6 ]
  nothing_ran
  grep -q '^POST /v1/backups/bk_00000000000000000002/drills' "$HOSTILE_DIR/requests.log"
  grep -q '"ok":false' "$HOSTILE_DIR/bodies.log"
  # The recovery case: the old host's public key, from the recovery kit, listed in the job.
  printf 'TRUSTED_KEYS=%s\n' "$(public_key "$BATS_TEST_TMPDIR/other.pem")" >>"$LIFEBOAT_CONFIG_DIR/jobs/hdb.conf"
  run $LIFEBOAT drill hdb
  [ "$status" -eq 0 ]
  nothing_ran
}

@test "a signed custom-format dump holding \\! and \\connect as data restores as data: nothing runs" {
  tricky_dump "$BATS_TEST_TMPDIR/dump.gz"
  serve bk_00000000000000000003 "$BATS_TEST_TMPDIR/dump.gz" "$LIFEBOAT_CONFIG_DIR/host-key.pem" check=hdb compression=gzip encryption=none format=pgdump-custom source=postgres
  run $LIFEBOAT drill hdb
  [ "$status" -eq 0 ]
  nothing_ran
  run $LIFEBOAT restore hdb --latest --into-db tricky_copy
  [ "$status" -eq 0 ]
  [ "$(psql -Atd tricky_copy -c "SELECT count(*) FROM \"\\! touch $PWNED\"")" = 3 ]
  nothing_ran
}

@test "plain SQL signed by this host's own key is still never given to psql" {
  evil_sql "$BATS_TEST_TMPDIR/evil.gz"
  serve bk_00000000000000000004 "$BATS_TEST_TMPDIR/evil.gz" "$LIFEBOAT_CONFIG_DIR/host-key.pem" check=hdb compression=gzip encryption=none format=pgdump-custom source=postgres
  run $LIFEBOAT drill hdb
  [ "$status" -eq 5 ]
  [[ "$output" == *"is not pgdump-custom data: refused"* ]]
  nothing_ran
  serve bk_00000000000000000004 "$BATS_TEST_TMPDIR/evil.gz" "$LIFEBOAT_CONFIG_DIR/host-key.pem" check=hdb compression=gzip encryption=none format=pgdump-plain source=postgres
  run $LIFEBOAT restore hdb --latest --into-db copy
  [ "$status" -eq 6 ]
  [[ "$output" == *"signed as pgdump-plain, not pgdump-custom"* ]]
  nothing_ran
}

@test "a statement changed after signing, or signed for another check, is refused" {
  tricky_dump "$BATS_TEST_TMPDIR/dump.gz"
  key="$LIFEBOAT_CONFIG_DIR/host-key.pem"
  rec=$(record bk_00000000000000000005 "$BATS_TEST_TMPDIR/dump.gz" "$key" check=hdb compression=gzip encryption=none format=pgdump-custom source=postgres)
  # The server swaps the bytes and rewrites the sha256 in the statement to match.
  evil_sql "$HOSTILE_DIR/evil.gz"
  sha=$(sha256sum "$HOSTILE_DIR/evil.gz" | cut -d' ' -f1)
  forged=$(printf '%s' "$rec" | sed "s/sha256=[0-9a-f]*/sha256=$sha/")
  scenario "{\"listing\":{\"backups\":[$forged]},\"record\":$forged,\"content\":\"evil.gz\"}"
  run $LIFEBOAT drill hdb
  [ "$status" -eq 6 ]
  [[ "$output" == *"the signature does not match its statement"* ]]
  # Genuinely signed, but as a backup of another check.
  serve bk_00000000000000000006 "$BATS_TEST_TMPDIR/dump.gz" "$key" check=media compression=gzip encryption=none format=pgdump-custom source=postgres
  run $LIFEBOAT restore hdb --latest --to "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 6 ]
  [[ "$output" == *"signed as a backup of check 'media', not of hdb"* ]]
  # Genuinely signed, but the server sends other bytes.
  serve bk_00000000000000000006 "$BATS_TEST_TMPDIR/dump.gz" "$key" check=hdb compression=gzip encryption=none format=pgdump-custom source=postgres
  cp "$HOSTILE_DIR/evil.gz" "$HOSTILE_DIR/content.bk_00000000000000000006"
  run $LIFEBOAT restore hdb --latest --to "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 6 ]
  [[ "$output" == *"sha256 mismatch"* ]]
  nothing_ran
}

@test "a download is bounded by the signed size and by LIFEBOAT_TIMEOUT" {
  head -c 100000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
  key="$LIFEBOAT_CONFIG_DIR/host-key.pem"
  printf 'SOURCE=command\nCOMMAND=true\nCHECK=blob\nCOMPRESSION=none\n' >"$LIFEBOAT_CONFIG_DIR/jobs/blob.conf"
  serve bk_00000000000000000007 "$BATS_TEST_TMPDIR/blob" "$key" check=blob compression=none encryption=none format=raw source=command
  # The server sends 20 MB more than the 100,000 bytes the signed statement states.
  head -c 20000000 /dev/zero >>"$HOSTILE_DIR/content.bk_00000000000000000007"
  run $LIFEBOAT restore blob --latest --to "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 6 ]
  [[ "$output" == *"sent more than the 100000 bytes"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/out" ]
  # A server that sends a little and then nothing: given up after LIFEBOAT_TIMEOUT seconds.
  serve bk_00000000000000000007 "$BATS_TEST_TMPDIR/blob" "$key" check=blob compression=none encryption=none format=raw source=command
  sed -i 's/}$/,"stall_after":1000}/' "$HOSTILE_DIR/scenario.json"
  start=$(date +%s)
  LIFEBOAT_TIMEOUT=2 run $LIFEBOAT restore blob --latest --to "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 4 ]
  [ $(($(date +%s) - start)) -lt 15 ]
  [ -z "$(ls "$LIFEBOAT_TMPDIR")" ]
}

@test "server text is printed and sent to syslog without control characters" {
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s/syslog"\n' "$BATS_TEST_TMPDIR" >"$stub/logger"; chmod +x "$stub/logger"
  scenario '{"status":500,"error":"\u001b[31mred\u001b]0;owned\u0007 \r\u001b[2Kclean"}'
  JOURNAL_STREAM='' PATH="$stub:$PATH" run $LIFEBOAT list hdb
  [ "$status" -eq 4 ]
  # The escapes lose their ESC, BEL and CR bytes; the printable rest stays, harmless.
  [[ "$output" == *"HTTP 500: [31mred]0;owned [2Kclean"* ]]
  ! printf '%s' "$output" | grep -q "$(printf '\033')"
  ! grep -q "$(printf '\033')" "$BATS_TEST_TMPDIR/syslog"
  ! grep -q "$(printf '\r')" "$BATS_TEST_TMPDIR/syslog"
  grep -q 'HTTP 500: \[31mred' "$BATS_TEST_TMPDIR/syslog"
}

@test "an encrypted job refuses a payload that is not age, and an unencrypted backup" {
  command -v age >/dev/null || skip "age not installed"
  age-keygen -o "$BATS_TEST_TMPDIR/id.txt" 2>/dev/null
  printf 'SOURCE=command\nCOMMAND=true\nCHECK=sec\nAGE_IDENTITY_FILE=%s\n' "$BATS_TEST_TMPDIR/id.txt" >"$LIFEBOAT_CONFIG_DIR/jobs/sec.conf"
  echo "plaintext" | gzip -n >"$BATS_TEST_TMPDIR/plain.gz"
  key="$LIFEBOAT_CONFIG_DIR/host-key.pem"
  serve bk_00000000000000000008 "$BATS_TEST_TMPDIR/plain.gz" "$key" check=sec compression=gzip encryption=age format=raw source=command
  run $LIFEBOAT restore sec --latest --to "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 6 ]
  [[ "$output" == *"does not start with age's header: refused"* ]]
  serve bk_00000000000000000008 "$BATS_TEST_TMPDIR/plain.gz" "$key" check=sec compression=gzip encryption=none format=raw source=command
  run $LIFEBOAT restore sec --latest --to "$BATS_TEST_TMPDIR/out"
  [ "$status" -eq 6 ]
  [[ "$output" == *"is not encrypted, but this job's backups are"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/out" ]
}

@test "a server-chosen backup id with {a,b} or ../ is refused: no request to it, nothing in the state dir" {
  echo data >"$BATS_TEST_TMPDIR/f"
  printf 'SOURCE=command\nCOMMAND=cat %s\nCHECK=up\n' "$BATS_TEST_TMPDIR/f" >"$LIFEBOAT_CONFIG_DIR/jobs/up.conf"
  for id in 'bk_{00000000000000000001,x}' 'bk_0000000000000000000/../../api/v1' 'bk_[1-3]0000000000000000000'; do
    scenario "{\"create\":{\"id\":\"$id\",\"missing\":[0]}}"
    run $LIFEBOAT backup up
    [ "$status" -eq 4 ]
    [[ "$output" == *"the server answered no valid backup id"* ]]
    ! grep -q '^PUT' "$HOSTILE_DIR/requests.log"
    [ -z "$(ls "$LIFEBOAT_STATE_DIR")" ]
  done
  # The failure is reported by a /fail ping of the check, never to the server's path.
  grep -q '^POST /v1/ping/up/fail$' "$HOSTILE_DIR/requests.log"
}

@test "names are checked before use: option, path, glob and JSON injection through job settings" {
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  for tool in docker pg_dump curl; do
    printf '#!/bin/sh\necho "%s $*" >>"%s/ran"\nexit 1\n' "$tool" "$BATS_TEST_TMPDIR" >"$stub/$tool"; chmod +x "$stub/$tool"
  done
  echo precious >"$BATS_TEST_TMPDIR/victim"
  bad() { # bad FILE_CONTENT MESSAGE
    printf '%s\n' "$1" >"$LIFEBOAT_CONFIG_DIR/jobs/bad.conf"
    PATH="$stub:$PATH" run $LIFEBOAT backup bad
    [ "$status" -eq 2 ] || { echo "$1 → $status: $output"; return 1; }
    [[ "$output" == *"$2"* ]] || { echo "$1 → $output"; return 1; }
  }
  bad "$(printf 'SOURCE=postgres\nDATABASE=-f%s' "$BATS_TEST_TMPDIR/victim")" "DATABASE '-f"
  bad "$(printf 'SOURCE=postgres\nDATABASE=host=evil dbname=x')" "is not a valid database name"
  bad "$(printf 'SOURCE=postgres\nDATABASE=app\nDOCKER_CONTAINER=--privileged')" "DOCKER_CONTAINER '--privileged'"
  bad "$(printf 'SOURCE=postgres\nDATABASE=app\nDOCKER_CONTAINER=db\nPGUSER=-c')" "PGUSER '-c'"
  bad "$(printf 'SOURCE=volume\nVOLUME=/etc')" "VOLUME '/etc'"
  bad "$(printf 'SOURCE=volume\nVOLUME=--mount=type=bind')" "VOLUME '--mount"
  bad "$(printf 'SOURCE=sqlite\nSQLITE_DB=-cmd')" "SQLITE_DB '-cmd'"
  bad "$(printf 'SOURCE=directory\nDIRECTORY=.')" "DIRECTORY '.'"
  bad "$(printf 'SOURCE=command\nCOMMAND=true\nCHECK=db","x":"1')" "is not a check slug"
  bad "$(printf 'SOURCE=command\nCOMMAND=true\nCHECK=../../api/v1/keys')" "is not a check slug"
  bad "$(printf 'SOURCE=command\nCOMMAND=true\nCHECK=db[1-3]')" "is not a check slug"
  [ ! -e "$BATS_TEST_TMPDIR/ran" ]
  [ "$(cat "$BATS_TEST_TMPDIR/victim")" = precious ]
  [ ! -s "$HOSTILE_DIR/requests.log" ]
  # Job names and check slugs on the command line too.
  run $LIFEBOAT backup ../jobs/bad
  [ "$status" -eq 1 ]
  run $LIFEBOAT ping 'db[1-3]'
  [ "$status" -eq 1 ]
  run $LIFEBOAT restore hdb --backup 'bk_{a,b}'
  [ "$status" -eq 1 ]
  [ ! -s "$HOSTILE_DIR/requests.log" ]
}

@test "environment settings are never evaluated, and must be what they claim to be" {
  printf 'SOURCE=command\nCOMMAND=true\nCHECK=up\n' >"$LIFEBOAT_CONFIG_DIR/jobs/up.conf"
  LIFEBOAT_PART_SIZE="\$(touch $PWNED)" run $LIFEBOAT backup up --no-upload
  [ "$status" -eq 2 ]
  [[ "$output" == *"LIFEBOAT_PART_SIZE must be a number"* ]]
  LIFEBOAT_TIMEOUT='1;touch x' run $LIFEBOAT backup up --no-upload
  [ "$status" -eq 2 ]
  LIFEBOAT_MIN_FREE_MB='x[$(touch '"$PWNED"')]' run $LIFEBOAT backup up --no-upload
  [ "$status" -eq 2 ]
  [ ! -e "$PWNED" ]
}

@test "http:// is refused unless LIFEBOAT_ALLOW_HTTP=1; https is the default" {
  LIFEBOAT_ALLOW_HTTP=0 run $LIFEBOAT ping hdb
  [ "$status" -eq 2 ]
  [[ "$output" == *"is plain http: use https"* ]]
  LIFEBOAT_ALLOW_HTTP=0 run $LIFEBOAT doctor
  [ "$status" -eq 2 ]
  LIFEBOAT_URL="ftp://example.com" run $LIFEBOAT ping hdb
  [ "$status" -eq 2 ]
  [ ! -s "$HOSTILE_DIR/requests.log" ]
  run $LIFEBOAT ping hdb
  [ "$status" -eq 0 ]
  grep -q '^POST /v1/ping/hdb$' "$HOSTILE_DIR/requests.log"
}
