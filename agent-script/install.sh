#!/bin/sh
# Installs the `lifeboat` agent from a Lifeboat server:
#
#   curl -fsSL https://LIFEBOAT_HOST/install.sh | LIFEBOAT_KEY_ID=lbk_… sh
#
# It downloads the agent to /usr/local/bin/lifeboat, checks it against the server's sha256, and
# writes /etc/lifeboat/lifeboat.conf (mode 600) with the key id. The key's secret is asked for on
# the terminal (or read from the file named by LIFEBOAT_SECRET_FROM) and stored in
# /etc/lifeboat/secret (mode 600): it never appears on a command line or in the environment of
# another process. Existing files are kept. Run it as root.
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
    http://* | https://*) ;;
    *) err "set LIFEBOAT_URL to your Lifeboat server (https://…)" ;;
  esac
  tmp=$(mktemp -d) || err "cannot create a temp dir"
  trap 'rm -rf "$tmp"' EXIT INT TERM

  curl -fsS -m 60 --retry 3 -o "$tmp/lifeboat" "$LIFEBOAT_URL/agent/lifeboat" || err "download of the agent failed"
  expected=$(curl -fsS -m 30 --retry 3 "$LIFEBOAT_URL/agent/lifeboat.sha256" | cut -d' ' -f1) || err "download of the checksum failed"
  [ "$(sha256_of "$tmp/lifeboat")" = "$expected" ] || err "the downloaded agent does not match its sha256"
  if ! { mkdir -p "$PREFIX" && cp "$tmp/lifeboat" "$PREFIX/lifeboat" && chmod 755 "$PREFIX/lifeboat"; }; then
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
  say "next: add a job in $CONFIG_DIR/jobs/NAME.conf, then run: lifeboat doctor"
}

main "$@" || exit 1
