#!/usr/bin/env bats
# The installer as a user runs it: curl -fsSL URL/install.sh | LIFEBOAT_KEY_ID=… sh, against a real
# wrangler dev. Paths are redirected into a temp dir; the secret comes from a file, as on a host
# without a terminal.
load helpers/common

setup_file() { start_server; }
teardown_file() { stop_server; }

@test "curl | sh installs the agent, the config (mode 600) and the secret, and the agent works" {
  server_env
  key=$(admin POST /api/v1/keys '{"host":"bats-install","checks":"*","scopes":["ping"]}')
  key_id=$(echo "$key" | sed -n 's/.*"key_id":"\([^"]*\)".*/\1/p')
  echo "$key" | sed -n 's/.*"secret":"\([^"]*\)".*/\1/p' >"$BATS_TEST_TMPDIR/secret.txt"
  one_liner=$(echo "$key" | sed -n 's/.*"install":"\([^"]*\)".*/\1/p')
  [ "$one_liner" = "curl -fsSL $URL/install.sh | LIFEBOAT_KEY_ID=$key_id sh" ]

  root="$BATS_TEST_TMPDIR/root"
  run sh -c "curl -fsSL '$URL/install.sh' | LIFEBOAT_KEY_ID=$key_id LIFEBOAT_SECRET_FROM='$BATS_TEST_TMPDIR/secret.txt' \
    LIFEBOAT_PREFIX='$root/bin' LIFEBOAT_CONFIG_DIR='$root/etc' sh"
  [ "$status" -eq 0 ]
  cmp "$root/bin/lifeboat" "$AGENT_DIR/lifeboat"
  [ "$(stat -c %a "$root/etc/lifeboat.conf")" = 600 ]
  [ "$(stat -c %a "$root/etc/secret")" = 600 ]
  grep -qx "LIFEBOAT_URL=$URL" "$root/etc/lifeboat.conf"
  grep -qx "LIFEBOAT_KEY_ID=$key_id" "$root/etc/lifeboat.conf"
  cmp "$root/etc/secret" "$BATS_TEST_TMPDIR/secret.txt"

  admin POST /api/v1/checks '{"name":"installed","slug":"installed","period_s":86400}' >/dev/null
  LIFEBOAT_CONFIG_DIR="$root/etc" LIFEBOAT_STATE_DIR="$BATS_TEST_TMPDIR/state" run dash "$root/bin/lifeboat" ping installed
  [ "$status" -eq 0 ]
  [ "$(check_status installed)" = up ]

  # A second run keeps what is there.
  run sh -c "curl -fsSL '$URL/install.sh' | LIFEBOAT_PREFIX='$root/bin' LIFEBOAT_CONFIG_DIR='$root/etc' sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *"kept the existing"* ]]
}

@test "a tampered download is refused before anything is installed" {
  server_env
  root="$BATS_TEST_TMPDIR/root2"
  # A fake server that serves the real installer but a different agent than its checksum says.
  mkdir -p "$BATS_TEST_TMPDIR/www/agent"
  curl -fsS "$URL/install.sh" >"$BATS_TEST_TMPDIR/www/install.sh"
  printf '#!/bin/sh\necho evil\n' >"$BATS_TEST_TMPDIR/www/agent/lifeboat"
  curl -fsS "$URL/agent/lifeboat.sha256" >"$BATS_TEST_TMPDIR/www/agent/lifeboat.sha256"
  port=$((30000 + $$ % 20000))
  (cd "$BATS_TEST_TMPDIR/www" && exec python3 -m http.server "$port" --bind 127.0.0.1) >/dev/null 2>&1 &
  web=$!
  for _ in $(seq 1 40); do curl -fsS -o /dev/null "http://127.0.0.1:$port/install.sh" 2>/dev/null && break; sleep 0.25; done
  run sh -c "LIFEBOAT_URL=http://127.0.0.1:$port LIFEBOAT_KEY_ID=lbk_00000000000000000000 LIFEBOAT_PREFIX='$root/bin' \
    LIFEBOAT_CONFIG_DIR='$root/etc' sh '$BATS_TEST_TMPDIR/www/install.sh'"
  kill "$web" 2>/dev/null || :
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not match its sha256"* ]]
  [ ! -e "$root/bin/lifeboat" ]
}
