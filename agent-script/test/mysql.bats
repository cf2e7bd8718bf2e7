#!/usr/bin/env bats
# mysql/mariadb jobs against a real `wrangler dev` and a real MariaDB server (docker stubbed).
load helpers/common

setup_file() {
  start_server
  start_hostile
  start_mariadb
  make_agent_config "$BATS_FILE_TMPDIR/agent" shopdb:backup halfdb:backup dockdb:backup fewdb:backup
}

teardown_file() {
  stop_mariadb
  stop_hostile
  stop_server
}

# The rows and a checksum of them, to compare a restored database with the original.
fingerprint() { my -N -B -e "SELECT COUNT(*), MD5(GROUP_CONCAT(id, email ORDER BY id)) FROM users" "$1"; }
scratch_dbs() { my -N -B -e "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE 'lifeboat_drill_%'"; }

seed_shop() {
  my -e "CREATE DATABASE $1"
  my "$1" -e "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100));
    INSERT INTO users SELECT seq, CONCAT('u', seq, '@x') FROM seq_1_to_3000;
    CREATE TABLE orders (id INT, user_id INT, note BLOB); INSERT INTO orders SELECT seq, seq % 30, UNHEX('00FF10') FROM seq_1_to_700;
    CREATE VIEW big_orders AS SELECT * FROM orders WHERE id > 500;
    CREATE TRIGGER users_lower BEFORE INSERT ON users FOR EACH ROW SET NEW.email = LOWER(NEW.email);"
}

@test "mysql: backup, DROP DATABASE, restore --into-db: same rows, views and triggers" {
  seed_shop shop
  before=$(fingerprint shop)
  printf 'SOURCE=mysql\nDATABASE=shop\nCHECK=shopdb\nMYSQL_DEFAULTS_FILE=%s\n' "$MYSQL_CNF" >"$LIFEBOAT_CONFIG_DIR/jobs/shopdb.conf"
  run $LIFEBOAT backup shopdb
  [ "$status" -eq 0 ]
  admin GET "/api/v1/backups?check=shopdb" | grep -q '"mysql_tables":3,"mysql_rows":3700'
  my -e "DROP DATABASE shop"
  run $LIFEBOAT restore shopdb --latest --into-db shop
  [ "$status" -eq 0 ]
  [ "$(fingerprint shop)" = "$before" ]
  [ "$(my -N -B -e "SELECT HEX(note) FROM orders LIMIT 1" shop)" = 00FF10 ]
  [ "$(my -N -B -e "SELECT COUNT(*) FROM big_orders" shop)" = 200 ]
  [ "$(my -N -B -e "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = 'shop'")" = 1 ]
}

@test "mysql drill: scratch database, counts match the backup's, reported, dropped" {
  start=$(date +%s%N)
  run $LIFEBOAT drill shopdb
  echo "# mysql drill wall time: $(( ($(date +%s%N) - start) / 1000000 )) ms" >&3
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9]+\.[0-9]{3}$ ]]
  drills=$(admin GET /api/v1/checks/shopdb/drills)
  [[ "$drills" == *'"ok":true'* ]]
  [[ "$drills" == *'"tables":3'* ]]
  [[ "$drills" == *'"rows":3700'* ]]
  [ "$(scratch_dbs)" = 0 ]
}

@test "a mysqldump that dies half-way yields a failed backup, never a complete one" {
  seed_shop half
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  # The real mariadb-dump, cut off after 2 kB with a failure, like a dump killed by the OOM killer.
  printf '#!/bin/sh\n/usr/bin/mariadb-dump "$@" | head -c 2000\nexit 2\n' >"$stub/mariadb-dump"; chmod +x "$stub/mariadb-dump"
  printf 'SOURCE=mysql\nDATABASE=half\nCHECK=halfdb\nMYSQL_DEFAULTS_FILE=%s\n' "$MYSQL_CNF" >"$LIFEBOAT_CONFIG_DIR/jobs/halfdb.conf"
  PATH="$stub:$PATH" run $LIFEBOAT backup halfdb
  [ "$status" -eq 5 ]
  [[ "$output" == *"mysql dump failed (exit 2)"* ]]
  [ "$(check_status halfdb)" = down ]
  ! admin GET "/api/v1/backups?check=halfdb" | grep -q '"status":"complete"'
}

@test "mysql in a container: docker exec with the password in MYSQL_PWD, never in any argument" {
  seed_shop dock
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  # The stand-in logs its arguments, checks the container and that MYSQL_PWD came through the
  # environment, then runs the command as the container would: its client's own config (a
# ~/.my.cnf here) knows the socket, not the password.
  cat >"$stub/docker" <<STUB
#!/bin/sh
echo "\$*" >>"$BATS_TEST_TMPDIR/docker.argv"
[ "\$1 \$2" = "exec -i" ] || exit 125
shift 2
[ "\$1 \$2" = "-e MYSQL_PWD" ] && [ -n "\$MYSQL_PWD" ] || { echo "no MYSQL_PWD" >&2; exit 125; }
shift 2
[ "\$1" = -- ] || { echo "no -- before the container" >&2; exit 125; }
shift
[ "\$1" = app-db-1 ] || { echo "no such container: \$1" >&2; exit 1; }
shift
export HOME="$BATS_TEST_TMPDIR/container"
exec "\$@"
STUB
  chmod +x "$stub/docker"
  mkdir "$BATS_TEST_TMPDIR/container"
  printf '[client]\nsocket=%s\n' "$MYSQL_SOCK" >"$BATS_TEST_TMPDIR/container/.my.cnf"
  printf 'SOURCE=mysql\nDATABASE=dock\nCHECK=dockdb\nDOCKER_CONTAINER=app-db-1\nMYSQL_DEFAULTS_FILE=%s\n' "$MYSQL_CNF" >"$LIFEBOAT_CONFIG_DIR/jobs/dockdb.conf"
  PATH="$stub:$PATH" run $LIFEBOAT backup dockdb
  [ "$status" -eq 0 ]
  PATH="$stub:$PATH" run $LIFEBOAT drill dockdb
  [ "$status" -eq 0 ]
  admin GET /api/v1/checks/dockdb/drills | grep -q '"rows":3700'
  grep -q 'mariadb-dump mysqldump -u root --single-transaction' "$BATS_TEST_TMPDIR/docker.argv"
  ! grep -q "$MYSQL_TEST_PASSWORD" "$BATS_TEST_TMPDIR/docker.argv"
  [ "$(scratch_dbs)" = 0 ]
}

@test "mysql drill fails when fewer tables come back than the backup recorded" {
  my -e "CREATE DATABASE few; CREATE TABLE few.t (id INT); INSERT INTO few.t VALUES (1), (2)"
  printf 'SOURCE=mysql\nDATABASE=few\nCHECK=fewdb\nMYSQL_DEFAULTS_FILE=%s\n' "$MYSQL_CNF" >"$LIFEBOAT_CONFIG_DIR/jobs/fewdb.conf"
  stub="$BATS_TEST_TMPDIR/bin"; mkdir -p "$stub"
  # At backup time the source claims 4 tables (as if the dump had silently lost three).
  printf '#!/bin/sh\ncase "$*" in *information_schema*) printf "4\\t\\n"; exit 0 ;; esac\nexec /usr/bin/mariadb "$@"\n' >"$stub/mariadb"
  chmod +x "$stub/mariadb"
  PATH="$stub:$PATH" run $LIFEBOAT backup fewdb
  [ "$status" -eq 0 ]
  run $LIFEBOAT drill fewdb
  [ "$status" -eq 5 ]
  [[ "$output" == *"restored 1 tables; the source had 4"* ]]
  admin GET /api/v1/checks/fewdb/drills | grep -q '"ok":false'
  [ "$(scratch_dbs)" = 0 ]
}

@test "mysql: restore --into-db refuses a database with tables unless --replace" {
  seed_shop keepm
  printf 'SOURCE=mysql\nDATABASE=keepm\nCHECK=shopdb\nMYSQL_DEFAULTS_FILE=%s\n' "$MYSQL_CNF" >"$LIFEBOAT_CONFIG_DIR/jobs/keepm.conf"
  run $LIFEBOAT backup keepm
  [ "$status" -eq 0 ]
  before=$(fingerprint keepm)
  my keepm -e "DELETE FROM users WHERE id > 10; CREATE TABLE extra (x INT)"
  run $LIFEBOAT restore keepm --latest --into-db keepm
  [ "$status" -eq 5 ]
  [[ "$output" == *"database keepm already exists and has tables: nothing was restored"* ]]
  [ "$(my -N -B -e "SELECT COUNT(*) FROM users" keepm)" = 10 ]
  run $LIFEBOAT restore keepm --latest --into-db keepm --replace
  [ "$status" -eq 0 ]
  [ "$(fingerprint keepm)" = "$before" ]
  # MySQL cannot roll back: --replace starts from an empty database, so extra is gone too.
  [ "$(my -N -B -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'keepm' AND table_name = 'extra'")" = 0 ]
}

@test "mysql: a dump with \\! runs nothing (--sandbox), one that switches database is refused, an unsigned one too" {
  hostile_agent_config "$BATS_TEST_TMPDIR/h"
  new_key "$LIFEBOAT_CONFIG_DIR/host-key.pem"
  key="$LIFEBOAT_CONFIG_DIR/host-key.pem"
  my -e "CREATE DATABASE prodm; CREATE TABLE prodm.users (id INT); INSERT INTO prodm.users VALUES (1), (2), (3)"
  printf 'SOURCE=mysql\nDATABASE=prodm\nCHECK=hmy\nMYSQL_DEFAULTS_FILE=%s\n' "$MYSQL_CNF" >"$LIFEBOAT_CONFIG_DIR/jobs/hmy.conf"
  pwned="$BATS_TEST_TMPDIR/PWNED"
  printf 'CREATE TABLE t (x INT);\n\\! touch %s\nINSERT INTO t VALUES (1);\n' "$pwned" | gzip -n >"$BATS_TEST_TMPDIR/shell.gz"
  serve bk_00000000000000000011 "$BATS_TEST_TMPDIR/shell.gz" "$key" check=hmy compression=gzip encryption=none format=mysqldump source=mysql
  run $LIFEBOAT drill hmy
  [ "$status" -eq 5 ]
  [[ "$output" == *"sandbox"* ]]
  [ ! -e "$pwned" ]
  [ "$(scratch_dbs)" = 0 ]
  for switch in '\r prodm' '\u prodm' 'USE prodm;' 'connect prodm;' '/*!40000 USE prodm */;'; do
    printf 'CREATE TABLE t (x INT);\n%s\nDROP TABLE users;\n' "$switch" | gzip -n >"$BATS_TEST_TMPDIR/switch.gz"
    serve bk_00000000000000000012 "$BATS_TEST_TMPDIR/switch.gz" "$key" check=hmy compression=gzip encryption=none format=mysqldump source=mysql
    run $LIFEBOAT drill hmy
    [ "$status" -eq 5 ] && [[ "$output" == *"switches to another database"* ]] || { echo "$switch: $status $output"; return 1; }
    run $LIFEBOAT restore hmy --latest --into-db copym
    [ "$status" -eq 6 ]
  done
  [ "$(my -N -B -e "SELECT COUNT(*) FROM prodm.users")" = 3 ]
  [ "$(scratch_dbs)" = 0 ]
  serve bk_00000000000000000013 "$BATS_TEST_TMPDIR/shell.gz" none check=hmy compression=gzip encryption=none format=mysqldump source=mysql
  run $LIFEBOAT drill hmy
  [ "$status" -eq 6 ]
  [[ "$output" == *"is not signed: refused"* ]]
  [ ! -e "$pwned" ]
}
