#!/usr/bin/env bash
# Writes link/hot-code.txt: the functions of the binary that report checks run, which
# build.rs has the linker lay out together (fewer 64 KB windows of code to map per run:
# see docs/performance.md, "Flat memory").
#
# Builds the binary with the release profile (LTO, one codegen unit) but its symbols
# kept, into HOT_TARGET_DIR (default target-hot), starts the mock with a generated
# tenant of HOT_USERS users (default 20000: several blocks and index runs per copy),
# and runs under callgrind every report mode cold (--report-cache-ttl=0), storing
# the copy (cache on, no copy) and warm (from that copy), then the per-mailbox check
# of one mailbox and of a name prefix, storing and warm. Every function any of them
# ran is listed, in the order the build laid them out. Needs valgrind.
#
# Run it again when a change of toolchain or dependencies renames the functions (the
# peak RSS of bench/run.sh's ratio 4 then grows back by megabytes).
#
#   bench/hot-code.sh
set -euo pipefail

cd "$(dirname "$0")/.."
HOT_TARGET_DIR=${HOT_TARGET_DIR:-target-hot}
HOT_USERS=${HOT_USERS:-20000}
REPORT_MODES="email-activity email-app-usage mailbox-usage mailbox-quota-status list-mailboxes"
PLUGIN=$HOT_TARGET_DIR/release/centreon_office365_exchange_api
MOCK=$HOT_TARGET_DIR/release/examples/mockgraph
LIST=link/hot-code.txt
# The only secret the mock accepts.
SECRET='s3cr3t+/=&?'

command -v valgrind >/dev/null || { echo "hot-code: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
env -u CARGO_PROFILE_RELEASE_LTO -u CARGO_PROFILE_RELEASE_CODEGEN_UNITS -u CARGO_PROFILE_RELEASE_INCREMENTAL \
    CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_DIR="$HOT_TARGET_DIR" \
    cargo build --release --quiet --bin centreon_office365_exchange_api --example mockgraph

work=$(mktemp -d)
mock_pid=
trap '[[ -n $mock_pid ]] && kill "$mock_pid" 2>/dev/null; rm -rf "$work"' EXIT
"$MOCK" --port 0 --users "$HOT_USERS" >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
url=
for _ in $(seq 1 600); do
    url=$(sed -n '1s/^ready \(http[^ ]*\).*/\1/p' "$work/mock.out")
    [[ -n $url ]] && break
    kill -0 "$mock_pid" 2>/dev/null || break
    sleep 0.1
done
[[ -n $url ]] || { echo "hot-code: the mock did not start:" >&2; cat "$work/mock.err" >&2; exit 1; }

state=$work/state
mkdir -p "$state"
base=("$PLUGIN" --plugin=cloud::microsoft::office365::exchange::plugin --tenant=bench --client-id=bench
    "--client-secret=$SECRET" "--login-endpoint=$url" "--graph-endpoint=$url" "--statefile-dir=$state")
# Caches the token, so that every run below is a check as a poller runs it; a check
# may answer WARNING or CRITICAL, not UNKNOWN.
status=0
out=$("${base[@]}" --mode=mailbox-usage --report-cache-ttl=0) || status=$?
((status < 3)) || { echo "hot-code: the check failed: $out" >&2; exit 1; }
runs=0
# Runs "$@" under callgrind (a check may answer WARNING or CRITICAL).
traced() {
    runs=$((runs + 1))
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/run-$runs.out" "$@" >/dev/null 2>&1 || true
}
for mode in $REPORT_MODES; do
    traced "${base[@]}" "--mode=$mode" --report-cache-ttl=0
    rm -f "$state"/office365_graphapi_report_*
    traced "${base[@]}" "--mode=$mode" --report-cache-ttl=900
    traced "${base[@]}" "--mode=$mode" --report-cache-ttl=900
done
for filter in '^user000100@contoso\.onmicrosoft\.com$' '^user0001'; do
    rm -f "$state"/office365_graphapi_report_*
    for _ in storing warm; do
        traced "${base[@]}" --mode=mailbox-usage '--filter-counters=^status$' "--filter-mailbox=$filter"
    done
done

# The functions callgrind saw (fn= and cfn= lines name them), in address order.
sed -n 's/^c\{0,1\}fn=([0-9]*) //p' "$work"/run-*.out | sort -u >"$work/ran"
nm --defined-only "$PLUGIN" | awk '$2 ~ /^[tTwW]$/ { print $1, $3 }' | sort >"$work/symbols"
{
    echo "# The functions report checks run, laid out first by the linker (build.rs)."
    echo "# Written by bench/hot-code.sh ($runs runs, rustc $(rustc -V | cut -d' ' -f2)); do not edit."
    awk 'NR == FNR { ran[$0] = 1; next } ($2 in ran) && !seen[$2]++ { print $2 }' "$work/ran" "$work/symbols"
} >"$LIST"
echo "hot-code: $(grep -vc '^#' "$LIST") functions in $LIST"
