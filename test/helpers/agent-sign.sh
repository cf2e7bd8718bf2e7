# Signed Lifeboat agent requests from POSIX sh with openssl and curl (docs/SECURITY.md): a preview
# of what the `lifeboat` agent does, used by test/e2e/backups.test.ts and bench/upload.mjs.
# Source it, with LIFEBOAT_URL, LIFEBOAT_KEY and LIFEBOAT_SECRET (64 hex characters) set.
# Nothing here is bash: it runs under dash.

# The hex sha256 of a file, or of stdin with no argument. `-r` prints "<hex> *<name>".
lb_sha256() {
  if [ $# -gt 0 ]; then
    openssl dgst -sha256 -r <"$1" | cut -d' ' -f1
  else
    openssl dgst -sha256 -r | cut -d' ' -f1
  fi
}

# lb_sign METHOD PATH?QUERY CONTENT_SHA256: sets LB_TS, LB_NONCE, LB_SHA and LB_SIG for lb_curl.
# The key is the secret's 32 raw bytes (hexkey:), not its 64 hex characters as text.
lb_sign() {
  LB_TS=$(date +%s)
  LB_NONCE=$(openssl rand -hex 16)
  LB_SHA=$3
  LB_SIG=$(printf '%s\n%s\n%s\n%s\n%s' "$1" "$2" "$LB_TS" "$LB_NONCE" "$LB_SHA" |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$LIFEBOAT_SECRET" -r | cut -d' ' -f1)
}

# curl with the headers of the last lb_sign; the caller adds method, body, output and URL.
lb_curl() {
  curl -sS -H "X-Lifeboat-Key: $LIFEBOAT_KEY" -H "X-Lifeboat-Timestamp: $LB_TS" \
    -H "X-Lifeboat-Nonce: $LB_NONCE" -H "X-Lifeboat-Content-SHA256: $LB_SHA" \
    -H "X-Lifeboat-Signature: $LB_SIG" "$@"
}

# lb_headers FILE: the headers of the last lb_sign, one per line, for `curl -H @FILE`. For a curl
# started in the background: `curl … &` must be curl itself (not a function's subshell) so that
# $! is curl's pid.
lb_headers() {
  {
    printf 'X-Lifeboat-Key: %s\nX-Lifeboat-Timestamp: %s\n' "$LIFEBOAT_KEY" "$LB_TS"
    printf 'X-Lifeboat-Nonce: %s\nX-Lifeboat-Content-SHA256: %s\n' "$LB_NONCE" "$LB_SHA"
    printf 'X-Lifeboat-Signature: %s\n' "$LB_SIG"
  } >"$1"
}

# lb_json METHOD PATH [BODY]: a signed request with a JSON body (none: the hash of "").
# Prints the answer, then a last line with the HTTP status.
lb_json() {
  _body=${3-}
  lb_sign "$1" "$2" "$(printf '%s' "$_body" | lb_sha256)"
  if [ "$1" = GET ]; then
    lb_curl -w '\n%{http_code}' "$LIFEBOAT_URL$2"
  else
    lb_curl -X "$1" -H 'Content-Type: application/json' --data-binary "$_body" -w '\n%{http_code}' "$LIFEBOAT_URL$2"
  fi
}

# lb_put_part ID INDEX FILE [SHA256]: one part, streamed from the file. `curl -T` sends it as a PUT
# with Content-Length (never chunked), which the Worker needs to stream it into R2. The part's
# sha256 is signed as the content hash; give it if already known so the part is not read twice.
lb_put_part() {
  _path="/v1/backups/$1/parts/$2"
  _sha=${4:-$(lb_sha256 "$3")}
  lb_sign PUT "$_path" "$_sha"
  lb_curl -T "$3" -w '\n%{http_code}' "$LIFEBOAT_URL$_path"
}

# lb_manifest CHECK PART_SIZE SIZE SHA256 PART_FILE...: the manifest of an artifact split into
# PART_FILEs (in order), as JSON on stdout. Sizes with wc -c, hashes with openssl; the source
# type is $LB_SOURCE (default command).
lb_manifest() {
  _check=$1 _part_size=$2 _size=$3 _sha=$4
  shift 4
  _i=0
  _parts=
  for _file in "$@"; do
    _psize=$(wc -c <"$_file" | tr -d ' ')
    _parts="$_parts${_parts:+,}{\"index\":$_i,\"size\":$_psize,\"sha256\":\"$(lb_sha256 "$_file")\"}"
    _i=$((_i + 1))
  done
  printf '{"check":"%s","size":%s,"sha256":"%s","part_size":%s,"parts":[%s],' \
    "$_check" "$_size" "$_sha" "$_part_size" "$_parts"
  printf '"compression":"none","encryption":"none","source":"%s","host":"%s","meta":{}}' \
    "${LB_SOURCE:-command}" "$(uname -n)"
}

# lb_download ID OUT_FILE [RANGE]: the artifact (or a byte range like 100-199) into a file.
# Prints the answer's headers, then a last line with the HTTP status.
lb_download() {
  _path="/v1/backups/$1/content"
  lb_sign GET "$_path" "$(printf '' | lb_sha256)"
  if [ -n "${3-}" ]; then
    lb_curl -D - -o "$2" -r "$3" -w '%{http_code}' "$LIFEBOAT_URL$_path"
  else
    lb_curl -D - -o "$2" -w '%{http_code}' "$LIFEBOAT_URL$_path"
  fi
}
