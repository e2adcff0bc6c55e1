#!/usr/bin/env bash
# Times whole runs of the plugin against the bundled mock of Microsoft's endpoints:
# per tenant size and mode, the mean wall time (hyperfine) and the peak RSS
# (/usr/bin/time -v), with a warm token cache, next to the targets of issue 6.
#
#   bench/run.sh                      # 40 (tests/fixtures/tenant40), 100000, 1000000 users
#   SIZES="40 10000" bench/run.sh     # other sizes (40 is the fixture, others generated)
#
# Env: SIZES, RUNS (hyperfine runs per case; default 20, 5 from 1,000,000 users up),
# RSS_RUNS (runs of /usr/bin/time per case, the largest peak is kept; default 3),
# NO_BUILD=1 to time the binaries already built. Needs hyperfine and GNU time
# (apt-get install hyperfine time).
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${SIZES:-"40 100000 1000000"}
RSS_RUNS=${RSS_RUNS:-3}
MODES="email-activity mailbox-usage"
PLUGIN=target/release/centreon_office365_exchange_api
MOCK=target/release/examples/mockgraph
# The only secret the mock accepts.
SECRET='s3cr3t+/=&?'

for tool in hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found (apt-get install hyperfine time)" >&2; exit 1; }
done
if [[ -z ${NO_BUILD:-} ]]; then
    cargo build --release --quiet --bin centreon_office365_exchange_api --example mockgraph
fi

work=$(mktemp -d)
mock_pid=
stop_mock() {
    if [[ -n $mock_pid ]]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
        mock_pid=
    fi
}
trap 'stop_mock; rm -rf "$work"' EXIT

# Starts the mock for a tenant of $1 users; sets $url.
start_mock() {
    local source=(--users "$1")
    [[ $1 == 40 ]] && source=(--data tests/fixtures/tenant40)
    "$MOCK" --port 0 "${source[@]}" >"$work/mock.out" 2>"$work/mock.err" &
    mock_pid=$!
    url=
    for _ in $(seq 1 1200); do # 1200 x 0.1 s: a generated tenant of millions takes a while
        url=$(sed -n '1s/^ready \(http[^ ]*\).*/\1/p' "$work/mock.out")
        [[ -n $url ]] && return 0
        kill -0 "$mock_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench: the mock did not start:" >&2
    cat "$work/mock.err" >&2
    exit 1
}

# Targets per size: wall ms and peak RSS MB (issue 6); none for other sizes.
target() {
    case $1 in
        40) echo "10 8" ;;
        100000) echo "150 20" ;;
        1000000) echo "1500 30" ;;
        *) echo "- -" ;;
    esac
}

lines=()
for users in $SIZES; do
    start_mock "$users"
    state="$work/state-$users"
    mkdir -p "$state"
    for mode in $MODES; do
        args=(--plugin=cloud::microsoft::office365::exchange::plugin "--mode=$mode"
            --tenant=bench --client-id=bench "--client-secret=$SECRET"
            "--login-endpoint=$url" "--graph-endpoint=$url" "--statefile-dir=$state")
        # Warms the token cache and checks the run succeeds at all.
        if ! out=$("$PLUGIN" "${args[@]}"); then
            echo "bench: $mode on $users users failed: $out" >&2
            exit 1
        fi
        runs=${RUNS:-$([[ $users -ge 1000000 ]] && echo 5 || echo 20)}
        # hyperfine -N splits its command like a shell: the secret is quoted for it.
        command="$PLUGIN ${args[*]:0:4} --client-secret='$SECRET' ${args[*]:5}"
        if ! hyperfine -N --style none --warmup 2 --runs "$runs" --export-csv "$work/h.csv" "$command" \
            >"$work/h.log" 2>&1; then
            cat "$work/h.log" >&2
            exit 1
        fi
        # CSV: command,mean,stddev,median,user,system,min,max (seconds); counted from
        # the end, whatever the command's text.
        wall=$(awk -F, 'NR == 2 { printf "%.1f ± %.1f", $(NF-6) * 1000, $(NF-5) * 1000 }' "$work/h.csv")
        mean=$(awk -F, 'NR == 2 { printf "%.1f", $(NF-6) * 1000 }' "$work/h.csv")
        rss=0
        for _ in $(seq 1 "$RSS_RUNS"); do
            kb=$(/usr/bin/time -f '%M' "$PLUGIN" "${args[@]}" 2>&1 >/dev/null | tail -n 1)
            ((kb > rss)) && rss=$kb
        done
        rss_mb=$(awk -v kb="$rss" 'BEGIN { printf "%.1f", kb / 1024 }')
        read -r wall_target rss_target < <(target "$users")
        verdict=-
        if [[ $wall_target != - ]]; then
            verdict=$(awk -v w="$mean" -v wt="$wall_target" -v r="$rss_mb" -v rt="$rss_target" \
                'BEGIN { print (w < wt && r < rt) ? "met" : "MISSED" }')
        fi
        lines+=("$(printf '%-9s %-15s %18s %10s %11s %9s %8s' "$users" "$mode" "$wall" "$rss_mb" \
            "< $wall_target" "< $rss_target" "$verdict")")
    done
    stop_mock
done

echo
echo "$(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
printf '%-9s %-15s %18s %10s %11s %9s %8s\n' users mode "wall ms (mean±σ)" "RSS MB" "target ms" "target MB" verdict
printf '%s\n' "${lines[@]}"
