#!/usr/bin/env bash
# Times whole runs of the plugin against the bundled mock of Microsoft's endpoints:
# per tenant size and mode, the mean wall time (hyperfine) and the peak RSS
# (/usr/bin/time -v), with a warm token cache and the report cache off (every run
# downloads its reports), next to the targets of issue 6.
#
# Then the report cache (issue 12), on a generated tenant of CACHE_USERS users: a
# per-mailbox check (mailbox-usage for one mailbox, its status counter only) answered
# from a warm cache, the same check when it has to download and store the report, and
# a cycle of CYCLE such checks, one per mailbox, run NPROC at a time on a cold cache,
# with the downloads the mock served meanwhile (GET /mock/counts).
#
# Last, the ratios of issue 26, per size of RATIO_SIZES, each measured in the same run
# against what the machine allows: the `--version` floor (the cost of starting the
# binary at all) and the transfer of the report's bytes (curl fetching the download
# URL from the same mock):
#   1. a warm per-mailbox check, and a warm check of the mailboxes of a literal
#      prefix, over the floor (goal: at most 2.5);
#   2. a cold whole-tenant check (token cached, --report-cache-ttl=0) over the
#      transfer (goal: at most 1.3);
#   3. the same check on an empty report cache (it stores the copy) over 2. (goal: at
#      most 1.2), beside its floor: curl saving the report's bytes to a file over
#      the transfer (what writing the bytes costs a downloader that does nothing
#      else);
#   4. the largest peak RSS of every report mode, cold, storing the copy and warm
#      (goal: at most 10 MB).
#
#   bench/run.sh                      # 40 (tests/fixtures/tenant40), 100000, 1000000 users
#   SIZES="40 10000" bench/run.sh     # other sizes (40 is the fixture, others generated)
#   SIZES= CACHE_USERS=0 bench/run.sh # the ratios only
#
# Then the shared state (issue 20), per tenant size in REDIS_USERS: a warm per-mailbox
# check from files and from a Redis server started for the purpose (redis-server on a
# free loopback port), and the Redis memory a report copy takes (its chunks and its
# index by mailbox).
#
# Env: SIZES, RUNS (hyperfine runs per case; default 20, 5 from 1,000,000 users up),
# RSS_RUNS (runs of /usr/bin/time per case, the largest peak is kept; default 3),
# CACHE_USERS (default 100000; 0 skips the report cache), CYCLE (default 1000),
# RATIO_SIZES (default "100000 1000000"; empty skips the ratios), NO_BUILD=1 to time
# the binaries already built. Needs hyperfine, GNU time and curl
# (apt-get install hyperfine time curl).
#
# The binaries are built with the project's release profile (LTO, one codegen unit),
# whatever the shell exports to speed up other builds, into BENCH_TARGET_DIR (default
# target-bench) so that those builds are not thrown away.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${SIZES-"40 100000 1000000"}
RSS_RUNS=${RSS_RUNS:-3}
CACHE_USERS=${CACHE_USERS:-100000}
CYCLE=${CYCLE:-1000}
RATIO_SIZES=${RATIO_SIZES-"100000 1000000"}
MODES="email-activity mailbox-usage"
# The modes that read a report, for the memory goal.
REPORT_MODES="email-activity email-app-usage mailbox-usage mailbox-quota-status list-mailboxes"
BENCH_TARGET_DIR=${BENCH_TARGET_DIR:-target-bench}
# The tenant sizes of the shared-state bench (empty: skipped); needs redis-server and redis-cli.
REDIS_USERS=${REDIS_USERS-"100000 1000000"}
PLUGIN=$BENCH_TARGET_DIR/release/centreon_office365_exchange_api
MOCK=$BENCH_TARGET_DIR/release/examples/mockgraph
# The only secret the mock accepts.
SECRET='s3cr3t+/=&?'

for tool in hyperfine /usr/bin/time curl; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found (apt-get install hyperfine time curl)" >&2; exit 1; }
done
if [[ -z ${NO_BUILD:-} ]]; then
    env -u CARGO_PROFILE_RELEASE_LTO -u CARGO_PROFILE_RELEASE_CODEGEN_UNITS -u CARGO_PROFILE_RELEASE_INCREMENTAL \
        CARGO_TARGET_DIR="$BENCH_TARGET_DIR" \
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

# Times "$@" with hyperfine (extra hyperfine options in the array `timing`); sets
# $wall ("mean ± σ" ms) and $mean (ms).
time_it() {
    # hyperfine -N splits its command like a shell: every argument is quoted for it.
    local command
    command=$(printf "'%s' " "$@")
    if ! hyperfine -N --style none --warmup 2 --runs "$runs" "${timing[@]}" --export-csv "$work/h.csv" \
        "$command" >"$work/h.log" 2>&1; then
        cat "$work/h.log" >&2
        exit 1
    fi
    # CSV: command,mean,stddev,median,user,system,min,max (seconds); counted from
    # the end, whatever the command's text.
    wall=$(awk -F, 'NR == 2 { printf "%.1f ± %.1f", $(NF-6) * 1000, $(NF-5) * 1000 }' "$work/h.csv")
    mean=$(awk -F, 'NR == 2 { printf "%.1f", $(NF-6) * 1000 }' "$work/h.csv")
}

# The largest peak RSS (MB) of RSS_RUNS runs of "$@", each after `before_rss`; sets $rss_mb.
before_rss=true
rss_of() {
    local rss=0 kb
    for _ in $(seq 1 "$RSS_RUNS"); do
        $before_rss
        # A check may answer WARNING or CRITICAL (exit 1 or 2): its memory counts all the same.
        kb=$({ /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null || true; } | tail -n 1)
        ((kb > rss)) && rss=$kb
    done
    rss_mb=$(awk -v kb="$rss" 'BEGIN { printf "%.1f", kb / 1024 }')
}

lines=()
for users in $SIZES; do
    start_mock "$users"
    state="$work/state-$users"
    mkdir -p "$state"
    for mode in $MODES; do
        args=(--plugin=cloud::microsoft::office365::exchange::plugin "--mode=$mode"
            --tenant=bench --client-id=bench "--client-secret=$SECRET"
            "--login-endpoint=$url" "--graph-endpoint=$url" "--statefile-dir=$state" --report-cache-ttl=0)
        # Warms the token cache and checks the run succeeds at all.
        if ! out=$("$PLUGIN" "${args[@]}"); then
            echo "bench: $mode on $users users failed: $out" >&2
            exit 1
        fi
        runs=${RUNS:-$([[ $users -ge 1000000 ]] && echo 5 || echo 20)}
        timing=()
        time_it "$PLUGIN" "${args[@]}"
        rss_of "$PLUGIN" "${args[@]}"
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

# The downloads of the mailbox usage report the mock has served so far.
mailbox_downloads() {
    curl -sf "$url/mock/counts" | sed -n 's/.*"getMailboxUsageDetail":\([0-9]*\).*/\1/p' | grep . || echo 0
}

# One per-mailbox check of mailbox $1 (a number) with the statefiles in $2: prints
# the status its output starts with.
per_mailbox() {
    local out
    out=$("$PLUGIN" --plugin=cloud::microsoft::office365::exchange::plugin --mode=mailbox-usage \
        --tenant=bench --client-id=bench "--client-secret=$SECRET" "--login-endpoint=$url" "--graph-endpoint=$url" \
        "--statefile-dir=$2" '--filter-counters=^status$' \
        "--filter-mailbox=^user$(printf %06d "$1")@contoso\\.onmicrosoft\\.com\$") || true
    echo "${out%%:*}"
}

cache_lines=()
if [[ $CACHE_USERS != 0 ]]; then
    start_mock "$CACHE_USERS"
    state="$work/cache-state"
    mkdir -p "$state"
    check=("$PLUGIN" --plugin=cloud::microsoft::office365::exchange::plugin --mode=mailbox-usage
        --tenant=bench --client-id=bench "--client-secret=$SECRET" "--login-endpoint=$url" "--graph-endpoint=$url"
        "--statefile-dir=$state" '--filter-counters=^status$'
        '--filter-mailbox=^user050000@contoso\.onmicrosoft\.com$')
    # Downloads and stores the report (and the token), and checks the check works.
    if [[ $(per_mailbox 50000 "$state") == UNKNOWN ]]; then
        echo "bench: the per-mailbox check failed: $("${check[@]}")" >&2
        exit 1
    fi
    runs=${RUNS:-20}
    before=$(mailbox_downloads)
    timing=(--ignore-failure)
    time_it "${check[@]}"
    rss_of "${check[@]}"
    warm_downloads=$(($(mailbox_downloads) - before))
    # The targets of issue 12 are for 100,000 users.
    read -r wall_target rss_target verdict <<<"- - -"
    if [[ $CACHE_USERS == 100000 ]]; then
        read -r wall_target rss_target <<<"<=40 <=20"
        verdict=$(awk -v w="$mean" -v r="$rss_mb" -v d="$warm_downloads" \
            'BEGIN { print (w <= 40 && r <= 20 && d == 0) ? "met" : "MISSED" }')
    fi
    cache_lines+=("$(printf '%-36s %18s %10s %11s %9s %8s' "per-mailbox check, warm cache" "$wall" "$rss_mb" \
        "$wall_target" "$rss_target" "$verdict")")
    cache_lines+=("$(printf '%-36s %18s' "  downloads during those runs" "$warm_downloads")")
    stored=$(find "$state" -name 'office365_graphapi_report_*' ! -name '*.*' -printf '%s\n' |
        awk '{ bytes += $1 } END { printf "%.1f MB", bytes / 1e6 }')
    cache_lines+=("$(printf '%-36s %18s' "  the stored report" "$stored")")

    # A check that finds no copy downloads the report and stores it.
    printf '#!/bin/sh\nrm -f %s/office365_graphapi_report_*\n' "$state" >"$work/clear.sh"
    chmod +x "$work/clear.sh"
    timing=(--ignore-failure --prepare "$work/clear.sh")
    before_rss=$work/clear.sh
    runs=${RUNS:-10}
    time_it "${check[@]}"
    rss_of "${check[@]}"
    before_rss=true
    cache_lines+=("$(printf '%-36s %18s %10s %11s %9s %8s' "per-mailbox check, download + store" "$wall" \
        "$rss_mb" - - -)")

    # A cycle: one check per mailbox, NPROC at a time, on a cold cache.
    cycle_state="$work/cycle-state"
    mkdir -p "$cycle_state"
    export PLUGIN SECRET url
    export -f per_mailbox
    before=$(mailbox_downloads)
    started=$(date +%s%N)
    # shellcheck disable=SC2016 # the inner bash expands its arguments
    seq 0 $((CYCLE - 1)) | xargs -P "$(nproc)" -I '{}' bash -c 'per_mailbox "$1" "$2"' _ '{}' "$cycle_state" \
        >"$work/cycle.out"
    ended=$(date +%s%N)
    downloads=$(($(mailbox_downloads) - before))
    unknown=$(grep -c '^UNKNOWN' "$work/cycle.out" || true)
    answers=$(wc -l <"$work/cycle.out")
    seconds=$(awk -v ns=$((ended - started)) 'BEGIN { printf "%.1f s", ns / 1e9 }')
    per=$(awk -v ns=$((ended - started)) -v n="$CYCLE" 'BEGIN { printf "%.1f", ns / 1e6 / n }')
    verdict=$([[ $downloads == 1 && $unknown == 0 && $answers == "$CYCLE" ]] && echo met || echo MISSED)
    cache_lines+=("$(printf '%-36s %18s' "cycle of $CYCLE checks, $(nproc) at once" "$seconds")")
    cache_lines+=("$(printf '%-36s %18s' "  wall per check" "$per")")
    cache_lines+=("$(printf '%-36s %18s %10s %11s %9s %8s' "  downloads, UNKNOWN answers" "$downloads, $unknown" \
        - "1, 0" - "$verdict")")
    stop_mock
fi

# The ratios of issue 26 (see the top of this file).
ratio_lines=()
# "$1 / $2" to two decimals, and whether it is at most the goal $3 ("-" without one):
# sets $ratio and $verdict.
ratio_of() {
    ratio=$(awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }')
    verdict=-
    if [[ -n ${3:-} ]]; then
        verdict=$(awk -v r="$ratio" -v g="$3" 'BEGIN { print (r <= g) ? "met" : "MISSED" }')
    fi
}
for users in $RATIO_SIZES; do
    start_mock "$users"
    state="$work/ratio-$users"
    mkdir -p "$state"
    base=(--plugin=cloud::microsoft::office365::exchange::plugin --tenant=bench --client-id=bench
        "--client-secret=$SECRET" "--login-endpoint=$url" "--graph-endpoint=$url" "--statefile-dir=$state")
    cold=("$PLUGIN" "${base[@]}" --mode=mailbox-usage --report-cache-ttl=0)
    if ! out=$("${cold[@]}"); then
        echo "bench: mailbox-usage on $users users failed: $out" >&2
        exit 1
    fi
    runs=${RUNS:-$([[ $users -ge 1000000 ]] && echo 5 || echo 20)}

    # --version answers with exit 3, as Centreon's plugins do.
    timing=(--ignore-failure)
    time_it "$PLUGIN" --version
    floor=$mean floor_wall=$wall
    timing=()

    # The download URL the report call redirects to, with the token the run cached.
    token=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$state"/office365_graphapi_*_* | head -n 1)
    download=$(curl -s -o /dev/null -w '%{redirect_url}' -H "Authorization: Bearer $token" \
        "$url/v1.0/reports/getMailboxUsageDetail(period='D7')")
    [[ -n $download ]] || { echo "bench: no download URL from the mock" >&2; exit 1; }
    time_it curl -sf -o /dev/null "$download"
    transfer=$mean transfer_wall=$wall

    time_it "${cold[@]}"
    cold_ms=$mean cold_wall=$wall
    ratio_of "$cold_ms" "$transfer" 1.3
    ratio_lines+=("$(printf '%-9s %-44s %16s %16s %7s %6s %8s' "$users" "2. cold check, cache off / transfer" \
        "$cold_wall" "$transfer_wall" "$ratio" "1.3" "$verdict")")

    # What writing the report's bytes to a file costs a downloader that does nothing
    # else with them: curl saving the body in the state directory (a new file each
    # run, as the report cache writes one), over the transfer. Not a goal: the floor
    # that goal 3 is measured against.
    printf '#!/bin/sh\nrm -f %s/body.csv\n' "$state" >"$work/clear-body.sh"
    chmod +x "$work/clear-body.sh"
    timing=(--prepare "$work/clear-body.sh")
    time_it curl -sf -o "$state/body.csv" "$download"
    rm -f "$state/body.csv"
    ratio_of "$mean" "$transfer"
    ratio_lines+=("$(printf '%-9s %-44s %16s %16s %7s %6s %8s' "$users" "3. floor: curl saving the body / transfer" \
        "$wall" "$transfer_wall" "$ratio" "-" "$verdict")")
    timing=()

    printf '#!/bin/sh\nrm -f %s/office365_graphapi_report_*\n' "$state" >"$work/clear-ratio.sh"
    chmod +x "$work/clear-ratio.sh"
    timing=(--prepare "$work/clear-ratio.sh")
    time_it "$PLUGIN" "${base[@]}" --mode=mailbox-usage
    ratio_of "$mean" "$cold_ms" 1.2
    ratio_lines+=("$(printf '%-9s %-44s %16s %16s %7s %6s %8s' "$users" "3. cold check, storing the copy / 2." \
        "$wall" "$cold_wall" "$ratio" "1.2" "$verdict")")
    timing=()

    one="^user$(printf %06d $((users / 2)))@contoso\\.onmicrosoft\\.com\$"
    prefix="^user$(printf %05d $((users / 20)))"
    for filter in "$one" "$prefix"; do
        warm=("$PLUGIN" "${base[@]}" --mode=mailbox-usage '--filter-counters=^status$' "--filter-mailbox=$filter")
        "${warm[@]}" >/dev/null || true
        timing=(--ignore-failure)
        time_it "${warm[@]}"
        rss_of "${warm[@]}"
        ratio_of "$mean" "$floor" 2.5
        what="1. warm check, one mailbox / floor"
        [[ $filter == "$prefix" ]] && what="1. warm check, prefix $prefix / floor"
        ratio_lines+=("$(printf '%-9s %-44s %16s %16s %7s %6s %8s %s' "$users" "$what" \
            "$wall" "$floor_wall" "$ratio" "2.5" "$verdict" "(RSS $rss_mb MB)")")
    done
    timing=()

    # 4. every report mode: cold (cache off), storing (cache on and no copy: the run
    # downloads the report and stores it, as the first run of the default
    # configuration does) and warm (from the copy the storing runs left).
    peak=0 peak_case= mode_lines=()
    for mode in $REPORT_MODES; do
        figures=()
        for case in cold storing warm; do
            run=("$PLUGIN" "${base[@]}" "--mode=$mode" "--report-cache-ttl=$([[ $case == cold ]] && echo 0 || echo 900)")
            "${run[@]}" >/dev/null || true
            [[ $case == storing ]] && before_rss=$work/clear-ratio.sh
            rss_of "${run[@]}"
            before_rss=true
            figures+=("$rss_mb")
            if awk -v r="$rss_mb" -v p="$peak" 'BEGIN { exit !(r > p) }'; then
                peak=$rss_mb peak_case="$mode, $case"
            fi
        done
        mode_lines+=("$(printf '%-9s %-44s %16s' "" "  $mode: cold, storing, warm" "${figures[*]}")")
    done
    verdict=$(awk -v r="$peak" 'BEGIN { print (r <= 10) ? "met" : "MISSED" }')
    ratio_lines+=("$(printf '%-9s %-44s %16s %16s %7s %6s %8s' "$users" "4. peak RSS MB, every report mode ($peak_case)" \
        "$peak" - - "10" "$verdict")" "${mode_lines[@]}")
    stop_mock
done

# Starts redis-server on a free loopback port; sets $redis_port and $redis_pid.
redis_pid=
start_redis() {
    for _ in $(seq 1 20); do
        redis_port=$((20000 + RANDOM % 30000))
        (echo >"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && continue
        redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
            >"$work/redis.log" 2>&1 &
        redis_pid=$!
        for _ in $(seq 1 100); do
            redis-cli -p "$redis_port" ping >/dev/null 2>&1 && return 0
            kill -0 "$redis_pid" 2>/dev/null || break
            sleep 0.05
        done
        stop_redis
    done
    echo "bench: redis-server did not start" >&2
    exit 1
}
stop_redis() {
    if [[ -n $redis_pid ]]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
        redis_pid=
    fi
}
trap 'stop_mock; stop_redis; rm -rf "$work"' EXIT

redis_lines=()
for users in $REDIS_USERS; do
    start_mock "$users"
    start_redis
    files="$work/redis-files-$users"
    mkdir -p "$files"
    base=(--plugin=cloud::microsoft::office365::exchange::plugin --mode=mailbox-usage
        --tenant=bench --client-id=bench "--client-secret=$SECRET" "--login-endpoint=$url" "--graph-endpoint=$url"
        '--filter-counters=^status$' '--filter-mailbox=^user050000@contoso\.onmicrosoft\.com$')
    from_files=("$PLUGIN" "${base[@]}" "--statefile-dir=$files")
    from_redis=("$PLUGIN" "${base[@]}" "--statefile-dir=$work/no-such-dir" "--redis-server=127.0.0.1:$redis_port")
    "${from_files[@]}" >/dev/null || true
    memory_before=$(redis-cli -p "$redis_port" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
    "${from_redis[@]}" >/dev/null || true
    memory_after=$(redis-cli -p "$redis_port" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
    chunks=$(redis-cli -p "$redis_port" --scan --pattern '*office365_graphapi_report_*' |
        grep -cv '\.index$' || true)
    runs=${RUNS:-20}
    timing=(--ignore-failure)
    before=$(mailbox_downloads)
    time_it "${from_files[@]}"
    rss_of "${from_files[@]}"
    redis_lines+=("$(printf '%-9s %-34s %18s %10s' "$users" "per-mailbox check, warm, files" "$wall" "$rss_mb")")
    time_it "${from_redis[@]}"
    rss_of "${from_redis[@]}"
    verdict=$(awk -v w="$mean" 'BEGIN { print (w <= 10) ? "met" : "MISSED" }')
    redis_lines+=("$(printf '%-9s %-34s %18s %10s %11s %8s' "$users" "per-mailbox check, warm, Redis" "$wall" \
        "$rss_mb" "<=10" "$verdict")")
    redis_lines+=("$(printf '%-9s %-34s %18s' "" "  downloads during those runs" "$(($(mailbox_downloads) - before))")")
    redis_lines+=("$(printf '%-9s %-34s %18s' "" "  Redis memory of the copy" \
        "$(awk -v b="$memory_before" -v a="$memory_after" 'BEGIN { printf "%.1f MB", (a - b) / 1e6 }')")")
    redis_lines+=("$(printf '%-9s %-34s %18s' "" "  keys: head + chunks" "$chunks")")
    stop_redis
    stop_mock
done

echo
echo "$(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
if ((${#lines[@]})); then
    printf '%-9s %-15s %18s %10s %11s %9s %8s\n' users mode "wall ms (mean±σ)" "RSS MB" "target ms" "target MB" verdict
    printf '%s\n' "${lines[@]}"
fi
if ((${#cache_lines[@]})); then
    echo
    echo "report cache, $CACHE_USERS users: mailbox-usage --filter-mailbox=<one mailbox> --filter-counters='^status\$'"
    printf '%-36s %18s %10s %11s %9s %8s\n' case "wall ms (mean±σ)" "RSS MB" "target ms" "target MB" verdict
    printf '%s\n' "${cache_lines[@]}"
fi
if ((${#ratio_lines[@]})); then
    echo
    echo "issue 26 ratios: floor = $PLUGIN --version; transfer = curl of the report's download URL"
    printf '%-9s %-44s %16s %16s %7s %6s %8s\n' users case "wall ms" "against ms" ratio goal verdict
    printf '%s\n' "${ratio_lines[@]}"
fi
if ((${#redis_lines[@]})); then
    echo
    echo "shared state: mailbox-usage --filter-mailbox=<one mailbox> --filter-counters='^status\$', from files and from Redis"
    printf '%-9s %-34s %18s %10s %11s %8s\n' users case "wall ms (mean±σ)" "RSS MB" "target ms" verdict
    printf '%s\n' "${redis_lines[@]}"
fi
