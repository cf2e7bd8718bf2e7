#!/bin/sh
# The agent's checks: shellcheck (POSIX sh), then the bats tests (a real wrangler dev and Postgres)
# under dash, and again under busybox ash when busybox is installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v shellcheck >/dev/null 2>&1 || { echo "needs shellcheck (apt-get install -y shellcheck)" >&2; exit 3; }
command -v bats >/dev/null 2>&1 || { echo "needs bats (apt-get install -y bats)" >&2; exit 3; }
shellcheck -s sh "$here/../lifeboat" "$here/../install.sh" "$here/run.sh" "$here/../../scripts/test-deps.sh" || exit 1
echo "# lifeboat under dash"
LIFEBOAT_TEST_SHELL=dash bats "$here" || exit 1
if command -v busybox >/dev/null 2>&1; then
  echo "# lifeboat under busybox ash"
  LIFEBOAT_TEST_SHELL="busybox sh" bats "$here" || exit 1
fi
