#!/usr/bin/env bats
# The installer as a user runs it: curl -fsSL URL/install.sh | LIFEBOAT_KEY_ID=… sh, against a real
# wrangler dev. Paths are redirected into a temp dir; the secret comes from a file, as on a host
# without a terminal.
load helpers/common

setup_file() { start_server; }
teardown_file() { stop_server; }
# The test server is plain http on 127.0.0.1: the installer takes http only with this.
setup() { export LIFEBOAT_ALLOW_HTTP=1; }

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
  # It says which agent it installed, to compare with the dashboard's.
  [[ "$output" == *"agent sha256 $(sha256sum "$AGENT_DIR/lifeboat" | cut -d' ' -f1): compare it with the one the dashboard shows"* ]]
  # This host's signing key is made, private, and its public key printed for the recovery kit.
  [ "$(stat -c %a "$root/etc/host-key.pem")" = 600 ]
  pub=$(openssl pkey -in "$root/etc/host-key.pem" -pubout -outform DER | openssl base64 -A)
  [[ "$output" == *"$pub"* ]]
  [ "$(stat -c %a "$root/etc/lifeboat.conf")" = 600 ]
  [ "$(stat -c %a "$root/etc/secret")" = 600 ]
  grep -qx "LIFEBOAT_URL=$URL" "$root/etc/lifeboat.conf"
  grep -qx "LIFEBOAT_KEY_ID=$key_id" "$root/etc/lifeboat.conf"
  cmp "$root/etc/secret" "$BATS_TEST_TMPDIR/secret.txt"

  admin POST /api/v1/checks '{"name":"installed","slug":"installed","period_s":86400}' >/dev/null
  LIFEBOAT_CONFIG_DIR="$root/etc" LIFEBOAT_STATE_DIR="$BATS_TEST_TMPDIR/state" run dash "$root/bin/lifeboat" ping installed
  [ "$status" -eq 0 ]
  [ "$(check_status installed)" = up ]

  # A second run keeps what is there, and replaces the agent by mv: a new file, so an agent
  # running from the old one (an upgrade during a backup) keeps reading its own copy.
  inode=$(stat -c %i "$root/bin/lifeboat")
  run sh -c "curl -fsSL '$URL/install.sh' | LIFEBOAT_PREFIX='$root/bin' LIFEBOAT_CONFIG_DIR='$root/etc' sh"
  [ "$status" -eq 0 ]
  [[ "$output" == *"kept the existing"* ]]
  [ "$(stat -c %i "$root/bin/lifeboat")" != "$inode" ]
  [ "$(openssl pkey -in "$root/etc/host-key.pem" -pubout -outform DER | openssl base64 -A)" = "$pub" ]
  [ -z "$(ls -A "$root/bin" | grep -v '^lifeboat$')" ]
}

@test "a pinned LIFEBOAT_AGENT_SHA256 refuses any other agent; http:// needs LIFEBOAT_ALLOW_HTTP=1" {
  server_env
  root="$BATS_TEST_TMPDIR/root"
  good=$(sha256sum "$AGENT_DIR/lifeboat" | cut -d' ' -f1)
  run sh -c "curl -fsSL '$URL/install.sh' | LIFEBOAT_AGENT_SHA256=$(printf '%064d' 0) LIFEBOAT_KEY_ID=lbk_00000000000000000000 \
    LIFEBOAT_PREFIX='$root/bin' LIFEBOAT_CONFIG_DIR='$root/etc' sh"
  [ "$status" -ne 0 ]
  [[ "$output" == *"the downloaded agent's sha256 is $good, not the pinned LIFEBOAT_AGENT_SHA256: nothing installed"* ]]
  [ ! -e "$root/bin/lifeboat" ]
  run sh -c "curl -fsSL '$URL/install.sh' | LIFEBOAT_ALLOW_HTTP=0 LIFEBOAT_KEY_ID=lbk_00000000000000000000 \
    LIFEBOAT_PREFIX='$root/bin' LIFEBOAT_CONFIG_DIR='$root/etc' sh"
  [ "$status" -ne 0 ]
  [[ "$output" == *"is plain http: use https"* ]]
  [ ! -e "$root/bin/lifeboat" ]
  echo 0000000000000000000000000000000000000000000000000000000000000000 >"$BATS_TEST_TMPDIR/secret.txt"
  run sh -c "curl -fsSL '$URL/install.sh' | LIFEBOAT_AGENT_SHA256=$good LIFEBOAT_KEY_ID=lbk_00000000000000000000 \
    LIFEBOAT_SECRET_FROM='$BATS_TEST_TMPDIR/secret.txt' LIFEBOAT_PREFIX='$root/bin' LIFEBOAT_CONFIG_DIR='$root/etc' sh"
  [ "$status" -eq 0 ]
  cmp "$root/bin/lifeboat" "$AGENT_DIR/lifeboat"
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
