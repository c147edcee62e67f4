#!/usr/bin/env bash
# Checks that the audit trail accounts for every response of a corpus run:
# every response that carries an X-Request-Id has an audit event with that
# request.id, and every 401/403 has a refusal event (authentication_failed,
# anonymous_access_denied, access_denied, run_as_denied, tampered_request,
# connection_denied). Finally the trail's hash chain must verify.
#
# "Audit the refusal" is a promise of the product (DEVELOPERS.md): this
# turns the attack corpus into a test of it across every code path the
# corpus reaches, not only the paths the unit tests name.
#
# Usage: scripts/audit-coverage.sh CASES_DIR AUDIT_FILE
#   CASES_DIR: the KEEP_DIR of test/corpus/run-cases.sh (one folder per case,
#   hdr.N = response headers; raw cases keep the whole exchange in resp).
set -euo pipefail
cases=$1 log=$2
root=$(cd "$(dirname "$0")/.." && pwd)

events=$(mktemp)
trap 'rm -f "$events"' EXIT
# request.id <TAB> event.action, for every event of the trail.
# A preallocated trail ends with NUL bytes while the proxy runs.
tr -d '\000' <"$log" | jq -r 'select(has("request.id")) | [."request.id", ."event.action"] | @tsv' >"$events"

checked=0 noid=0 problems=0
# response_ids FILE: "status<TAB>request-id" for each HTTP response in a header dump.
response_ids() {
  # A raw exchange holds several responses back to back: a body without a
  # final newline runs into the next status line, so one is looked for
  # anywhere in a line.
  LC_ALL=C awk '
    match($0, /HTTP\/[0-9.]+ [0-9][0-9][0-9]/) {
      if (code != "" && code != "100") print code "\t" id
      split(substr($0, RSTART), f, " "); code=f[2]; id=""; next
    }
    tolower($0) ~ /^x-request-id:/ { v=$0; sub(/^[^:]*:[ \t]*/, "", v); sub(/\r$/, "", v); id=v }
    END { if (code != "" && code != "100") print code "\t" id }' "$1"
}
for dir in "$cases"/*/; do
  case_id=$(basename "$dir")
  files=()
  for f in "$dir"hdr.*; do [ -f "$f" ] && files+=("$f"); done
  [ -f "$dir/raw" ] && [ -f "$dir/resp" ] && files+=("$dir/resp")
  for f in "${files[@]}"; do
    while IFS=$'\t' read -r code id; do
      [ -n "$code" ] || continue
      if [ -z "$id" ]; then
        # Answered before the proxy's handler (net/http refusing a malformed
        # request line or framing): nothing reached authentication.
        noid=$((noid + 1)); continue
      fi
      checked=$((checked + 1))
      actions=$(awk -F'\t' -v id="$id" '$1 == id { print $2 }' "$events" | sort -u | tr '\n' ' ')
      if [ -z "$actions" ]; then
        echo "AUDIT-MISSING $case_id: response $code with request id $id has no audit event"
        problems=$((problems + 1)); continue
      fi
      if [ "$code" = 401 ] || [ "$code" = 403 ]; then
        if ! grep -qE 'authentication_failed|anonymous_access_denied|access_denied|run_as_denied|tampered_request|connection_denied' <<<"$actions"; then
          echo "AUDIT-WRONG $case_id: response $code (request id $id) audited only as: $actions"
          problems=$((problems + 1))
        fi
      fi
    done < <(response_ids "$f")
  done
done
echo "audit coverage: $checked responses checked, $noid answered before the handler (no request id), $problems problems"
if ! "$root/bin/proxy" audit verify "$log"; then
  echo "audit coverage: the hash chain of $log does not verify"; exit 1
fi
[ "$problems" = 0 ]
