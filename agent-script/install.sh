#!/bin/sh
# Installs the `lifeboat` agent from a Lifeboat server:
#
#   curl -fsSL https://LIFEBOAT_HOST/install.sh | LIFEBOAT_KEY_ID=lbk_… sh
#
# It downloads the agent, prints its sha256 (compare it with the one the dashboard shows when you
# create a key, or pin it: LIFEBOAT_AGENT_SHA256=… refuses any other agent), installs it to
# /usr/local/bin/lifeboat through a temp file and mv (a running agent keeps its old copy), and
# writes /etc/lifeboat/lifeboat.conf (mode 600) with the key id. The key's secret is asked for on
# the terminal (or read from the file named by LIFEBOAT_SECRET_FROM) and stored in
# /etc/lifeboat/secret (mode 600): it never appears on a command line or in the environment of
# another process. Last, `lifeboat host-key` makes this host's signing key and prints its public
# key for your recovery kit. Existing files are kept. Run it as root.
#
# The server's own sha256 file only catches a broken download: a server (or anyone on a plain-http
# path) that changed the agent would change that file too. Hence https, the printed sha256, and the pin.
set -u

# The server fills this in when it serves the script.
LIFEBOAT_URL="${LIFEBOAT_URL:-__LIFEBOAT_URL__}"
PREFIX="${LIFEBOAT_PREFIX:-/usr/local/bin}"
CONFIG_DIR="${LIFEBOAT_CONFIG_DIR:-/etc/lifeboat}"

say() { printf 'lifeboat install: %s\n' "$*" >&2; }
err() { say "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || err "needs '$1' (install it first)"; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else openssl dgst -sha256 -r "$1" | cut -d' ' -f1
  fi
}

read_secret() {
  if [ -n "${LIFEBOAT_SECRET_FROM:-}" ]; then
    head -n 1 "$LIFEBOAT_SECRET_FROM"
    return
  fi
  # stdin is this script (curl | sh): ask on the terminal, without echo.
  [ -r /dev/tty ] || err "no terminal to ask for the key secret: set LIFEBOAT_SECRET_FROM=/path/to/file"
  printf 'Key secret for %s (shown once when the key was created): ' "$LIFEBOAT_KEY_ID" >/dev/tty
  stty -echo </dev/tty 2>/dev/null
  IFS= read -r secret </dev/tty
  stty echo </dev/tty 2>/dev/null
  printf '\n' >/dev/tty
  printf '%s\n' "$secret"
}

main() {
  need curl
  command -v sha256sum >/dev/null 2>&1 || need openssl
  case "$LIFEBOAT_URL" in
    https://*) proto='=https' ;;
    http://*)
      [ "${LIFEBOAT_ALLOW_HTTP:-0}" = 1 ] || err "$LIFEBOAT_URL is plain http: use https (LIFEBOAT_ALLOW_HTTP=1 allows http for local development only)"
      proto='=http,https' ;;
    *) err "set LIFEBOAT_URL to your Lifeboat server (https://…)" ;;
  esac
  tmp=$(mktemp -d) || err "cannot create a temp dir"
  trap 'rm -rf "$tmp"' EXIT INT TERM HUP

  curl -q --globoff --proto "$proto" -fsS -m 60 --retry 3 -o "$tmp/lifeboat" "$LIFEBOAT_URL/agent/lifeboat" || err "download of the agent failed"
  got=$(sha256_of "$tmp/lifeboat")
  if [ -n "${LIFEBOAT_AGENT_SHA256:-}" ]; then
    [ "$got" = "$LIFEBOAT_AGENT_SHA256" ] || err "the downloaded agent's sha256 is $got, not the pinned LIFEBOAT_AGENT_SHA256: nothing installed"
  else
    expected=$(curl -q --globoff --proto "$proto" -fsS -m 30 --retry 3 "$LIFEBOAT_URL/agent/lifeboat.sha256" | cut -d' ' -f1) ||
      err "download of the checksum failed"
    [ "$got" = "$expected" ] || err "the downloaded agent does not match its sha256"
  fi
  say "agent sha256 $got: compare it with the one the dashboard shows (or pin it with LIFEBOAT_AGENT_SHA256)"
  # A temp file in the same directory, then mv: a lifeboat running from the old file keeps it.
  if ! { mkdir -p "$PREFIX" && cp "$tmp/lifeboat" "$PREFIX/.lifeboat.new" && chmod 755 "$PREFIX/.lifeboat.new" &&
    mv -f "$PREFIX/.lifeboat.new" "$PREFIX/lifeboat"; }; then
    rm -f "$PREFIX/.lifeboat.new"
    err "cannot install to $PREFIX"
  fi
  say "installed $PREFIX/lifeboat"

  umask 077
  mkdir -p "$CONFIG_DIR/jobs" || err "cannot create $CONFIG_DIR"
  chmod 700 "$CONFIG_DIR"
  if [ -f "$CONFIG_DIR/lifeboat.conf" ]; then
    say "kept the existing $CONFIG_DIR/lifeboat.conf"
  else
    [ -n "${LIFEBOAT_KEY_ID:-}" ] || err "set LIFEBOAT_KEY_ID=lbk_… (from POST /api/v1/keys)"
    {
      printf 'LIFEBOAT_URL=%s\n' "$LIFEBOAT_URL"
      printf 'LIFEBOAT_KEY_ID=%s\n' "$LIFEBOAT_KEY_ID"
      printf 'LIFEBOAT_SECRET_FILE=%s\n' "$CONFIG_DIR/secret"
    } >"$CONFIG_DIR/lifeboat.conf"
    say "wrote $CONFIG_DIR/lifeboat.conf"
  fi
  if [ -f "$CONFIG_DIR/secret" ]; then
    say "kept the existing $CONFIG_DIR/secret"
  else
    secret=$(read_secret) || err "no secret given"
    printf '%s' "$secret" | grep -Eq '^[0-9a-f]{64}$' || err "a key secret is 64 hex characters"
    printf '%s\n' "$secret" >"$CONFIG_DIR/secret"
    chmod 600 "$CONFIG_DIR/secret" "$CONFIG_DIR/lifeboat.conf"
    say "stored the secret in $CONFIG_DIR/secret (mode 600)"
  fi
  # This host's signing key (made once, kept): every backup it makes is signed with it.
  pub=$(LIFEBOAT_CONFIG_DIR="$CONFIG_DIR" "$PREFIX/lifeboat" host-key) || err "could not make the host's signing key"
  say "this host's public signing key, for your recovery kit (a new host trusts it to restore these backups):"
  printf '%s\n' "$pub"
  say "next: add a job in $CONFIG_DIR/jobs/NAME.conf, then run: lifeboat doctor"
}

main "$@" || exit 1
