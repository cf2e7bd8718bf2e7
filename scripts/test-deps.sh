#!/bin/sh
# The system tools the tests need, in one list: `npm test` runs this first (its `pretest` script) and
# .ci/run reaches it through `npm test`. Installs what is missing with apt-get when it can (as root,
# or through sudo without a password); otherwise prints the one apt-get line to run and exits non-zero
# before any test starts. When nothing is missing it only looks (no apt-get update), so it costs
# milliseconds on every run after the first.
set -u

# "tool package" pairs: the tool is a command on PATH or an absolute path. Why each is here:
#   curl, openssl, coreutils (sha256sum)  the e2e tests' healthchecks one-liners and sh signing
#   bats, shellcheck, busybox             the agent's tests (busybox: the second shell it runs under)
#   age, zstd, sqlite3                    the agent's encryption, compression and SQLite source
#   postgresql (15, as on Debian 12)      throwaway clusters for pg_dump backups and restore drills
#   mariadb-server, mariadb-client        a throwaway MariaDB for the agent's mysql source
#   chromium                              the browser tests (playwright-core never downloads one;
#                                         LIFEBOAT_CHROMIUM names another binary, as in test/helpers/browser.ts)
#   restic, rclone                        the restic repository tests
REQUIRED="
curl curl
openssl openssl
sha256sum coreutils
shellcheck shellcheck
bats bats
busybox busybox
age age
zstd zstd
sqlite3 sqlite3
/usr/lib/postgresql/15/bin/initdb postgresql
/usr/sbin/mariadbd mariadb-server
mariadb-dump mariadb-client
${LIFEBOAT_CHROMIUM:-/usr/bin/chromium} chromium
restic restic
rclone rclone
"

say() { printf 'test-deps: %s\n' "$*" >&2; }

has_tool() {
  case $1 in
    /*) [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# Prints the packages whose tool is missing, space-separated, each once.
missing_packages() {
  printf '%s\n' "$REQUIRED" | while read -r tool package; do
    [ -n "$tool" ] || continue
    has_tool "$tool" || printf '%s\n' "$package"
  done | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# How to run apt-get here: directly as root, through sudo when it asks no password, else nothing.
privilege() {
  if [ "$(id -u)" = 0 ]; then
    echo root
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo sudo
  fi
}

as_root() {
  if [ "$(id -u)" = 0 ]; then
    env DEBIAN_FRONTEND=noninteractive "$@"
  else
    sudo -n env DEBIAN_FRONTEND=noninteractive "$@"
  fi
}

main() {
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  line="apt-get install -y --no-install-recommends $missing"
  if ! command -v apt-get >/dev/null 2>&1; then
    say "the tests need these tools (Debian package names): $missing"
    say "install them with your system's package manager, then run npm test again"
    return 1
  fi
  if [ -z "$(privilege)" ]; then
    say "the tests need system packages that are missing; as root, run:"
    printf '%s\n' "$line" >&2
    return 1
  fi
  say "installing what the tests need: $missing"
  as_root apt-get update -q || return 1
  # $missing is a list of Debian package names: split on spaces on purpose.
  # shellcheck disable=SC2086
  as_root apt-get install -y -q --no-install-recommends $missing || return 1
  still=$(missing_packages)
  if [ -n "$still" ]; then
    say "still missing after apt-get install: $still"
    return 1
  fi
  say "installed: $missing"
}

main "$@" || exit 1
