#!/usr/bin/env bash
# `make demo`: run every mode of the plugin against the bundled mock of
# Microsoft's endpoints, so you can see real output without an Office 365 tenant.
#
# Expects the release binary and the mock example to be built already (the
# Makefile's demo target does that). Override with env vars:
#   PLUGIN      plugin binary   (default target/release/centreon_office365_exchange_api)
#   MOCK        mock binary     (default target/release/examples/mockgraph)
#   DEMO_USERS  generated tenant size (default 2000)
#
# The demo tenant's reports are dated yesterday (UTC), as Microsoft's usually are, so
# that the report-age example shows a fresh report; the message trace ends now.
set -euo pipefail

cd "$(dirname "$0")/.."
PLUGIN=${PLUGIN:-target/release/centreon_office365_exchange_api}
MOCK=${MOCK:-target/release/examples/mockgraph}
DEMO_USERS=${DEMO_USERS:-2000}

for f in "$PLUGIN" "$MOCK"; do
    [[ -x $f ]] || { echo "demo: $f not found; run 'make demo' (it builds both)" >&2; exit 1; }
done

work=$(mktemp -d)
mock_pid=
cleanup() {
    if [[ -n $mock_pid ]]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# The mock picks a free port (--port 0) and announces it on its first stdout line:
# "ready http://127.0.0.1:PORT". Poll for that line, with a deadline.
yesterday=$(date -u -d yesterday +%Y-%m-%d)
"$MOCK" --port 0 --users "$DEMO_USERS" --report-date "$yesterday" >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
url=
for _ in $(seq 1 300); do # 300 x 0.1 s = 30 s at most
    url=$(sed -n '1s/^ready \(http[^ ]*\).*/\1/p' "$work/mock.out")
    [[ -n $url ]] && break
    kill -0 "$mock_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $url ]]; then
    echo "demo: the mock did not start:" >&2
    cat "$work/mock.err" >&2
    exit 1
fi
echo "Mock of Microsoft Graph / Entra ID with $DEMO_USERS generated users (reports of $yesterday) at $url"
echo

# What a Centreon command definition would pass (the secret is quoted: it holds
# shell-special characters on purpose).
common=(
    --plugin=cloud::microsoft::office365::exchange::plugin
    --tenant=demo --client-id=demo --client-secret='s3cr3t+/=&?'
    --login-endpoint="$url" --graph-endpoint="$url"
    --statefile-dir="$work/state"
)
mkdir -p "$work/state"

run() {
    local rc=0
    # Echo the command as one would type it (the secret shown quoted, as it must be).
    echo "\$ $PLUGIN ${common[0]} $* ${common[1]} ${common[2]} --client-secret='s3cr3t+/=&?' \\"
    echo "    --login-endpoint=$url --graph-endpoint=$url --statefile-dir=\$(mktemp -d)"
    "$PLUGIN" "${common[@]}" "$@" || rc=$?
    echo "(exit code $rc)"
    echo
}

# Every mode of --list-mode runs at least once below (a test holds it).
# What the next run shows, as a comment line of the demo's output.
note() { echo "# $*"; }

note "--warning-active-users=20: alerts below 20 percent of the users: --units defaults to %, as in Perl"
run --mode=email-activity --warning-active-users=20:
note "with --units=count, below 100 users"
run --mode=email-activity --units=count --warning-active-users=100:
note "the totals only, as in Perl: --filter-counters defaults to them"
run --mode=mailbox-usage
note "each mailbox against its quotas: the status counter"
run --mode=mailbox-usage --filter-counters='^status$' --filter-mailbox='^user00000' --verbose
run --mode=service-status
run --mode=list-services
run --mode=mailbox-quota-status
run --mode=email-app-usage --warning-pop3=0 --legacy-users --filter-user='^user00001' --verbose
run --mode=mail-flow --warning-failed-prct=5 --critical-failed-prct=10
note "the demo's reports are dated yesterday: OK, below the 72 hours of the warning"
run --mode=email-activity --warning-report-age=72 --critical-report-age=120
run --mode=list-mailboxes --filter-mailbox='^user00000[0-2]@'
