#!/bin/sh
# The agent's checks: shellcheck (POSIX sh), then the bats tests (a real wrangler dev and Postgres).
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v shellcheck >/dev/null 2>&1 || { echo "needs shellcheck (apt-get install -y shellcheck)" >&2; exit 3; }
command -v bats >/dev/null 2>&1 || { echo "needs bats (apt-get install -y bats)" >&2; exit 3; }
shellcheck -s sh "$here/../lifeboat" "$here/run.sh" || exit 1
exec bats "$here"
