#!/usr/bin/env bats
# install-timer: systemd units or a cron.d line, written under temp dirs (LIFEBOAT_SYSTEMD_DIR,
# LIFEBOAT_CRON_DIR). systemctl is stubbed (no systemd runs here): it logs its arguments.
load helpers/common

setup() {
  export LIFEBOAT_CONFIG_DIR="$BATS_TEST_TMPDIR/conf" LIFEBOAT_STATE_DIR="$BATS_TEST_TMPDIR/state"
  export LIFEBOAT_SYSTEMD_DIR="$BATS_TEST_TMPDIR/systemd" LIFEBOAT_CRON_DIR="$BATS_TEST_TMPDIR/cron.d"
  mkdir -p "$LIFEBOAT_CONFIG_DIR/jobs" "$BATS_TEST_TMPDIR/bin"
  printf 'SOURCE=directory\nDIRECTORY=/srv/media\n' >"$LIFEBOAT_CONFIG_DIR/jobs/media.conf"
  printf '#!/bin/sh\necho "systemctl $*" >>"%s/systemctl.log"\n' "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/bin/systemctl"
  chmod +x "$BATS_TEST_TMPDIR/bin/systemctl"
  export PATH="$BATS_TEST_TMPDIR/bin:$PATH"
}

unit() { cat "$LIFEBOAT_SYSTEMD_DIR/lifeboat-media.$1"; }
# The value of KEY= in a unit file.
unit_value() { sed -n "s/^$2=//p" "$LIFEBOAT_SYSTEMD_DIR/lifeboat-media.$1"; }

@test "systemd: a oneshot service running backup JOB and a persistent, randomized timer, enabled" {
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --at 04:30
  [ "$status" -eq 0 ]
  [ "$(unit_value service ExecStart)" = "$AGENT_DIR/lifeboat backup media" ]
  [ "$(unit_value service Type)" = oneshot ]
  # The settings of the shell that installed it go along.
  [ "$(unit_value service Environment)" = "$(printf 'LIFEBOAT_CONFIG_DIR=%s\nLIFEBOAT_STATE_DIR=%s' "$LIFEBOAT_CONFIG_DIR" "$LIFEBOAT_STATE_DIR")" ]
  [ "$(unit_value timer OnCalendar)" = "*-*-* 04:30:00" ]
  [ "$(unit_value timer Persistent)" = true ]
  [ -n "$(unit_value timer RandomizedDelaySec)" ]
  [ "$(unit_value timer WantedBy)" = timers.target ]
  [ "$(stat -c %a "$LIFEBOAT_SYSTEMD_DIR/lifeboat-media.timer")" = 644 ]
  [ "$(cat "$BATS_TEST_TMPDIR/systemctl.log")" = "systemctl daemon-reload
systemctl enable lifeboat-media.timer
systemctl restart lifeboat-media.timer" ]
  [ ! -e "$LIFEBOAT_CRON_DIR/lifeboat-media" ]
}

@test "systemd: the units pass systemd-analyze verify; a --cron schedule becomes the same OnCalendar" {
  command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --cron '*/20 1-3 * * 1-5'
  [ "$status" -eq 0 ]
  [ "$(unit_value timer OnCalendar)" = "Mon..Fri *-*-* 1..3:0/20:00" ]
  # The same next run as cron would pick: weekdays 01:00–03:40 every 20 minutes.
  systemd-analyze calendar "$(unit_value timer OnCalendar)" | grep -q 'Normalized form: Mon..Fri \*-\*-\* 01..03:00/20:00'
  # verify warns (and still exits 0) about unknown keys: no output at all is the pass.
  run systemd-analyze verify "$LIFEBOAT_SYSTEMD_DIR/lifeboat-media.service" "$LIFEBOAT_SYSTEMD_DIR/lifeboat-media.timer"
  [ "$status" -eq 0 ] && [ -z "$output" ]
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --on-calendar 'Sun *-*-* 05:00'
  [ "$status" -eq 0 ]
  systemd-analyze calendar "$(unit_value timer OnCalendar)" >/dev/null
}

@test "a rerun replaces the schedule; --remove disables and deletes, and is idempotent" {
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --at 01:00
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --at 02:15
  [ "$status" -eq 0 ]
  [ "$(unit_value timer OnCalendar)" = "*-*-* 02:15:00" ]
  [ "$(grep -c OnCalendar "$LIFEBOAT_SYSTEMD_DIR/lifeboat-media.timer")" = 1 ]
  : >"$BATS_TEST_TMPDIR/systemctl.log"
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --remove
  [ "$status" -eq 0 ]
  [ ! -e "$LIFEBOAT_SYSTEMD_DIR/lifeboat-media.timer" ] && [ ! -e "$LIFEBOAT_SYSTEMD_DIR/lifeboat-media.service" ]
  grep -qx 'systemctl disable --now lifeboat-media.timer' "$BATS_TEST_TMPDIR/systemctl.log"
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --remove
  [ "$status" -eq 0 ]
}

@test "cron: a cron.d line with PATH, output to logger, mode 644; switching to systemd removes it" {
  LIFEBOAT_SCHEDULER=cron run $LIFEBOAT install-timer media --at 03:05
  [ "$status" -eq 0 ]
  file="$LIFEBOAT_CRON_DIR/lifeboat-media"
  grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$file"
  line=$(grep -v '^#' "$file" | grep -v '^PATH=')
  [ "$line" = "5 3 * * * root LIFEBOAT_CONFIG_DIR=$LIFEBOAT_CONFIG_DIR LIFEBOAT_STATE_DIR=$LIFEBOAT_STATE_DIR LIFEBOAT_SYSLOG=0 $AGENT_DIR/lifeboat backup media 2>&1 | logger -t lifeboat" ]
  [ "$(stat -c %a "$file")" = 644 ]
  [ ! -e "$BATS_TEST_TMPDIR/systemctl.log" ]
  LIFEBOAT_SCHEDULER=cron run $LIFEBOAT install-timer media --cron '0 */6 * * *'
  [ "$(grep -c ' root ' "$file")" = 1 ]
  grep -q '^0 \*/6 \* \* \* root ' "$file"
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media
  [ "$status" -eq 0 ]
  [ ! -e "$file" ]
  [ -e "$LIFEBOAT_SYSTEMD_DIR/lifeboat-media.timer" ]
}

@test "the cron line actually runs: it backs up and stays silent on success" {
  src="$BATS_TEST_TMPDIR/src"; mkdir -p "$src"; echo hi >"$src/a"
  printf 'SOURCE=directory\nDIRECTORY=%s\n' "$src" >"$LIFEBOAT_CONFIG_DIR/jobs/media.conf"
  # The config names a plain-http URL: allowed with LIFEBOAT_ALLOW_HTTP=1, which the cron line carries on.
  export LIFEBOAT_ALLOW_HTTP=1
  LIFEBOAT_SCHEDULER=cron LIFEBOAT_BIN="$BATS_TEST_TMPDIR/bin/lifeboat" run $LIFEBOAT install-timer media
  [ "$status" -eq 0 ]
  # A lifeboat that only builds the artifact (no server here), and a logger that keeps what it gets.
  printf '#!/bin/sh\nexec %s %s "$@" --no-upload\n' "${LIFEBOAT_TEST_SHELL:-dash}" "$AGENT_DIR/lifeboat" >"$BATS_TEST_TMPDIR/bin/lifeboat"
  printf '#!/bin/sh\ncat >>"%s/syslog"\n' "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/bin/logger"
  chmod +x "$BATS_TEST_TMPDIR/bin/lifeboat" "$BATS_TEST_TMPDIR/bin/logger"
  printf '%064d\n' 0 >"$LIFEBOAT_CONFIG_DIR/secret"
  printf 'LIFEBOAT_URL=http://127.0.0.1:9\nLIFEBOAT_KEY_ID=lbk_x\nLIFEBOAT_SECRET_FILE=%s\n' "$LIFEBOAT_CONFIG_DIR/secret" >"$LIFEBOAT_CONFIG_DIR/lifeboat.conf"
  # What cron runs: the command after the five time fields and the user.
  cmd=$(grep ' root ' "$LIFEBOAT_CRON_DIR/lifeboat-media" | cut -d' ' -f7-)
  run sh -c "$cmd"
  [ "$status" -eq 0 ]
  [ ! -s "$BATS_TEST_TMPDIR/syslog" ]
  printf 'SOURCE=directory\nDIRECTORY=/nonexistent\n' >"$LIFEBOAT_CONFIG_DIR/jobs/media.conf"
  run sh -c "$cmd"
  grep -q "is not a directory" "$BATS_TEST_TMPDIR/syslog"
}

@test "--dry-run prints the files and commands and writes nothing" {
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --at 05:00 --dry-run
  [ "$status" -eq 0 ]
  [[ "$output" == *"would write $LIFEBOAT_SYSTEMD_DIR/lifeboat-media.timer"* ]]
  [[ "$output" == *"OnCalendar=*-*-* 05:00:00"* ]]
  [[ "$output" == *"would run: systemctl enable lifeboat-media.timer"* ]]
  [ ! -e "$LIFEBOAT_SYSTEMD_DIR" ] && [ ! -e "$BATS_TEST_TMPDIR/systemctl.log" ]
  LIFEBOAT_SCHEDULER=cron run $LIFEBOAT install-timer media --dry-run
  [ "$status" -eq 0 ]
  [[ "$output" == *"root LIFEBOAT_CONFIG_DIR="*"backup media 2>&1 | logger -t lifeboat"* ]]
  [ ! -e "$LIFEBOAT_CRON_DIR" ]
}

@test "bad schedules, unknown jobs and --on-calendar without systemd are refused" {
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --at 25:00
  [ "$status" -eq 1 ]
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --on-calendar $'daily\nExecStart=/bin/evil'
  [ "$status" -eq 1 ]
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media --cron '0 3 1 * 1'
  [ "$status" -eq 1 ]
  [[ "$output" == *"use --on-calendar"* ]]
  LIFEBOAT_SCHEDULER=cron run $LIFEBOAT install-timer media --on-calendar daily
  [ "$status" -eq 1 ]
  LIFEBOAT_SCHEDULER=cron run $LIFEBOAT install-timer media --cron '0 3 * *'
  [ "$status" -eq 1 ]
  LIFEBOAT_SCHEDULER=cron run $LIFEBOAT install-timer nosuchjob
  [ "$status" -eq 2 ]
  [ ! -e "$LIFEBOAT_SYSTEMD_DIR" ] && [ ! -e "$LIFEBOAT_CRON_DIR" ]
}

@test "a failing systemctl is exit 5 with its command" {
  printf '#!/bin/sh\necho "Failed to enable unit" >&2; exit 1\n' >"$BATS_TEST_TMPDIR/bin/systemctl"
  LIFEBOAT_SCHEDULER=systemd run $LIFEBOAT install-timer media
  [ "$status" -eq 5 ]
  [[ "$output" == *"systemctl daemon-reload failed"* ]]
}
