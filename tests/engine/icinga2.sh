#!/usr/bin/env bash
# Real-engine test: run the plugin under Icinga 2 through the project's CheckCommand
# (packaging/icinga2/office365-exchange.conf, included as it is) and check that
# Icinga 2 records exactly what the plugin prints (state, output, perfdata) and runs
# the command line the custom variables describe.
#
#   tests/engine/icinga2.sh [PLUGIN [MOCK]]
#
#   PLUGIN    the plugin binary   (env PLUGIN, default target/release/centreon_office365_exchange_api)
#   MOCK      the mock of Microsoft's endpoints, built with
#             `cargo build --release --example mockgraph`
#             (env MOCK, default target/release/examples/mockgraph)
#   FIXTURES  env, the tenant the mock serves (default tests/fixtures/tenant40)
#
# Builds nothing. Installs Debian's icinga2, curl and jq when missing (needs root).
# The daemon runs in the foreground as the current user, with its configuration,
# state, logs, certificates and API listener (127.0.0.1, a free port) in a temporary
# directory, removed on exit; /etc/icinga2 is not read. The daemon and the mock are
# always stopped.
#
# For each service (one per check mode, and one for a single mailbox) the test first
# runs the plugin directly with the arguments and the environment the CheckCommand
# should produce from the service's variables, then forces Icinga's check through the
# REST API (/v1/actions/reschedule-check) and polls /v1/objects/services (with a
# deadline) until Icinga has recorded a result.
#
# mail-flow counts the messages of a window that ends on the last whole minute: when
# a minute starts between the direct run and Icinga's run, both are right and differ.
# Its direct run is made again once Icinga has recorded its result, and Icinga's
# result must equal one of the two (the window cannot skip a minute between them
# unless the whole test takes over a minute).
set -euo pipefail

# shellcheck source=tests/engine/lib.sh
source "$(dirname "$0")/lib.sh"
engine_init icinga2 "$@"
DEFINITION=$repo/packaging/icinga2/office365-exchange.conf
# The services, named after their mode but for those of SERVICE_MODE; CLOCKED, those
# whose output depends on the minute of the run.
SERVICES=(email-activity mailbox-usage mailbox mailbox-quota-status email-app-usage mail-flow mail-roundtrip service-status)
declare -A SERVICE_MODE=([mailbox]=mailbox-usage)
CLOCKED=(mail-flow)
SECRET='s3cr3t+/=&?'
SECRET_VARIABLE=O365_EXCHANGE_CLIENT_SECRET

install_missing icinga2 icinga2 curl curl jq jq
ICINGA2=$(command -v icinga2)

start_mock

# --- what each service's variables should make the CheckCommand run ----------------
# The arguments every service gets from the host's variables (STATEDIR differs
# between the direct runs and Icinga's, so that Icinga's runs do not merely reuse the
# token cached by the direct runs); the secret goes in the environment.
common_args() { # MODE STATEDIR
    printf '%s\n' --plugin=cloud::microsoft::office365::exchange::plugin "--mode=$1" \
        --pass-manager=environment "--environment-map-option=client-secret=$SECRET_VARIABLE" \
        --tenant=demo --client-id=demo "--login-endpoint=$url" "--graph-endpoint=$url" \
        "--statefile-dir=$2"
}
# Each service's own variables (Icinga 2 syntax), and the arguments they make: a
# threshold, an empty filter, a list, a flag, a number, a '$' (written '$$' in
# Icinga 2), a {{{...}}} string (backslashes as they are).
declare -A service_vars=(
    [email-activity]='vars.o365_warning_active_users = "50:"; vars.o365_filter_user = ""'
    [mailbox-usage]='vars.o365_critical_total_usage_active = "200GB"; vars.o365_change_perfdata = [ "total_usage_inactive,inactive_usage", "total_usage_active,active_usage" ]'
    [mailbox]='vars.o365_filter_mailbox = {{{^user000002@contoso\.onmicrosoft\.com$$}}}; vars.o365_filter_counters = "^status$$"; vars.o365_check_inactive_mailboxes = true'
    [mailbox-quota-status]='vars.o365_warning_send_prohibited = ""'
    [email-app-usage]='vars.o365_legacy_users = true; vars.o365_verbose = true; vars.o365_warning_pop3 = "0"'
    [mail-flow]='vars.o365_lookback = 30; vars.o365_warning_failed_prct = "20"'
    [mail-roundtrip]='vars.o365_probe_mailbox = "probe@contoso.onmicrosoft.com"; vars.o365_warning_roundtrip = "60"; vars.o365_critical_lost = "0"'
    [service-status]='vars.o365_verbose = true; vars.o365_include_service_name = "^Exchange Online$$"'
)
declare -A service_args=(
    [email-activity]=$'--warning-active-users=50:\n--filter-user='
    [mailbox-usage]=$'--critical-total-usage-active=200GB\n--change-perfdata\ntotal_usage_inactive,inactive_usage\n--change-perfdata\ntotal_usage_active,active_usage'
    [mailbox]=$'--filter-mailbox=^user000002@contoso\\.onmicrosoft\\.com$\n--filter-counters=^status$\n--check-inactive-mailboxes'
    [mailbox-quota-status]=$'--warning-send-prohibited='
    [email-app-usage]=$'--legacy-users\n--verbose\n--warning-pop3=0'
    [mail-flow]=$'--lookback=30\n--warning-failed-prct=20'
    [mail-roundtrip]=$'--probe-mailbox=probe@contoso.onmicrosoft.com\n--warning-roundtrip=60\n--critical-lost=0'
    [service-status]=$'--verbose\n--include-service-name=^Exchange Online$'
)
mode_of() { printf '%s' "${SERVICE_MODE[$1]-$1}"; } # SERVICE
service_args() { # SERVICE STATEDIR
    common_args "$(mode_of "$1")" "$2"
    printf '%s\n' "${service_args[$1]}"
}
mkdir -p "$work/state-direct" "$work/state-icinga"

# --- the plugin, run directly --------------------------------------------------
# What Icinga 2 should record, derived from the direct run the way Icinga 2 parses
# plugin output: the whole output stripped of surrounding white space, cut into lines
# at every CR or LF; each line up to its first '|' is output (joined by LF, none
# while the output is still empty), the rest of each such line is perfdata (joined
# by a space, none while the perfdata is still empty, then stripped).

# The metrics Icinga 2 makes of PERFDATA, joined by spaces: from the start, a label
# up to the next '=' (its quotes dropped, and put back if it holds a space) and a
# value up to the next space, until no '=' is left.
icinga_perfdata() { # PERFDATA
    local rest=$1 label value
    local -a items=()
    while [[ $rest == *=* ]]; do
        label=${rest%%=*}
        rest=${rest#*=}
        value=${rest%% *}
        if [[ $rest == *' '* ]]; then rest=${rest#* }; else rest=; fi
        if ((${#label} > 2)) && [[ $label == \'*\' ]]; then label=${label:1:${#label}-2}; fi
        [[ $label == *' '* ]] && label="'$label'"
        items+=("$label=$value")
    done
    local IFS=' '
    printf '%s' "${items[*]}"
}

declare -A want_state want_exit want_output want_perf
# Runs the plugin as SERVICE's check should and records what Icinga 2 should record
# under KEY.
direct_run() { # SERVICE KEY
    local key=$2 rc out text perf line
    local -a args lines
    mapfile -t args < <(service_args "$1" "$work/state-direct")
    rc=0
    out=$(env "$SECRET_VARIABLE=$SECRET" "$PLUGIN" "${args[@]}") || rc=$?
    echo "direct  $key: exit $rc: $(head -n1 <<<"$out" | cut -c1-160)"
    want_exit[$key]=$rc
    ((rc <= 3)) || rc=3 # Icinga 2 maps any other exit code to UNKNOWN
    want_state[$key]=$rc
    mapfile -t lines < <(trim "$out" | tr '\r' '\n')
    text='' perf=''
    for line in "${lines[@]}"; do
        [[ -n $text ]] && text+=$'\n'
        text+=${line%%|*}
        if [[ $line == *'|'* ]]; then
            [[ -n $perf ]] && perf+=' '
            perf+=${line#*|}
        fi
    done
    want_output[$key]=$text
    want_perf[$key]=$(icinga_perfdata "$(trim "$perf")")
}
for service in "${SERVICES[@]}"; do
    direct_run "$service" "$service"
done

# --- a private Icinga 2 ---------------------------------------------------------
# Paths: every directory Icinga 2 writes to is under $work (-D defines below).
mkdir -p "$work"/{etc,data/certs,log,cache,spool,run}
defines=(
    -DRunAsUser="$(id -un)" -DRunAsGroup="$(id -gn)"
    -DDataDir="$work/data" -DLogDir="$work/log" -DCacheDir="$work/cache"
    -DSpoolDir="$work/spool" -DInitRunDir="$work/run"
)
# The API listener's certificate: self-signed, its own CA.
"$ICINGA2" pki new-cert "${defines[@]}" --cn localhost \
    --key "$work/data/certs/localhost.key" --cert "$work/data/certs/localhost.crt" >"$work/pki.out" 2>&1 ||
    { cat "$work/pki.out" >&2; die "icinga2 pki new-cert failed"; }
cp "$work/data/certs/localhost.crt" "$work/data/certs/ca.crt"

# A free port on 127.0.0.1 for the API (nothing answers on it).
port=
for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
        port=$candidate
        break
    fi
done
[[ -n $port ]] || die "found no free port for the API"
api_password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# The secret is a constant of its own file, as an admin keeps it out of the
# configuration repository.
cat >"$work/etc/secrets.conf" <<EOF
const EngineTestClientSecret = "$SECRET"
EOF
{
    cat <<EOF
const NodeName = "localhost"
const ZoneName = "localhost"

include <itl>
include "$DEFINITION"
include "secrets.conf"

object Endpoint NodeName { }
object Zone ZoneName { endpoints = [ NodeName ] }
object CheckerComponent "checker" { }
object ApiListener "api" {
    bind_host = "127.0.0.1"
    bind_port = $port
    accept_config = false
    accept_commands = false
}
object ApiUser "engine-test" {
    password = "$api_password"
    permissions = [ "objects/query/Service", "actions/reschedule-check" ]
}

object Host "office365" {
    check_command = "dummy"
    check_interval = 1d
    vars.o365_plugin = "$PLUGIN"
    vars.o365_tenant = "demo"
    vars.o365_client_id = "demo"
    vars.o365_client_secret = EngineTestClientSecret
    vars.o365_login_endpoint = "$url"
    vars.o365_graph_endpoint = "$url"
    vars.o365_statefile_dir = "$work/state-icinga"
}
EOF
    # Checks are due only once a day: the forced check below is the one the test
    # waits for (a scheduled one would record the same).
    for service in "${SERVICES[@]}"; do
        cat <<EOF

object Service "$service" {
    host_name = "office365"
    check_command = "office365-exchange"
    check_interval = 1d
    retry_interval = 1d
    max_check_attempts = 1
    vars.o365_mode = "$(mode_of "$service")"
    ${service_vars[$service]}
}
EOF
    done
} >"$work/etc/icinga2.conf"

"$ICINGA2" daemon --validate -c "$work/etc/icinga2.conf" "${defines[@]}" >"$work/validate.out" 2>&1 || {
    cat "$work/validate.out" >&2
    die "icinga2 daemon --validate rejected the configuration"
}

# Its own session, so that its process group (the daemon and its helpers) can be
# stopped as a whole.
setsid "$ICINGA2" daemon -c "$work/etc/icinga2.conf" "${defines[@]}" >"$work/daemon.out" 2>&1 </dev/null &
icinga_pid=$!
stop_icinga() {
    kill -TERM "$icinga_pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do kill -0 "$icinga_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$icinga_pid" 2>/dev/null || true
    wait "$icinga_pid" 2>/dev/null || true
}
on_exit stop_icinga

api() { # METHOD PATH [JSON]
    curl -sS --fail --insecure --max-time 10 -u "engine-test:$api_password" \
        -H 'Accept: application/json' -X "$1" "https://127.0.0.1:$port$2" ${3:+--data "$3"}
}

end=$((SECONDS + DEADLINE))
until api GET /v1/objects/services >/dev/null 2>&1; do
    kill -0 "$icinga_pid" 2>/dev/null || { cat "$work/daemon.out" >&2; die "icinga2 exited"; }
    ((SECONDS < end)) || { cat "$work/daemon.out" >&2; die "the Icinga 2 API did not answer"; }
    sleep 0.2
done

api POST /v1/actions/reschedule-check \
    '{ "type": "Service", "filter": "host.name == \"office365\"", "force": true }' >"$work/reschedule.out" ||
    die "the API refused to reschedule the checks"

# --- read the check results ------------------------------------------------------
results() { api GET /v1/objects/services >"$work/services.json.tmp" && mv "$work/services.json.tmp" "$work/services.json"; }
all_checked() {
    results || return 1
    jq -e --argjson n "${#SERVICES[@]}" \
        '[.results[] | select(.attrs.last_check_result != null)] | length == $n' "$work/services.json" >/dev/null
}
until all_checked; do
    ((SECONDS < end)) || break
    sleep 0.2
done

# Sets $got to the jq expression EXPR of SERVICE's attributes, as it is (trailing
# newlines included).
svc_field() { # SERVICE EXPR
    got=$(jq -j --arg svc "$1" ".results[] | select(.attrs.name == \$svc) | .attrs | $2" "$work/services.json"
        printf x)
    got=${got%x}
}

# The clock-dependent services' direct runs, made again now that Icinga has run them.
for service in "${CLOCKED[@]}"; do
    direct_run "$service" "$service@after"
done

# --- compare -----------------------------------------------------------------------
passed=0 failed=0
mismatches=''
check() { # SERVICE WHAT EXPR WANT: adds to $mismatches when they differ
    svc_field "$1" "$3"
    [[ $got == "$4" ]] && return 0
    mismatches+="FAIL $1: $2"$'\n'"  want: ${4:0:400}"$'\n'"  got:  ${got:0:400}"$'\n'
    return 1
}
# Whether Icinga ran SERVICE's command and recorded what the direct run KEY gave.
recorded() { # SERVICE KEY
    local ok=1
    check "$1" "plugin run" '.last_check_result.command // [] | .[0]' "$PLUGIN" || ok=0
    check "$1" "arguments (sorted)" '.last_check_result.command // [] | .[1:] | sort | join("\n")' \
        "$(service_args "$1" "$work/state-icinga" | LC_ALL=C sort)" || ok=0
    check "$1" state .state "${want_state[$2]}" || ok=0
    check "$1" exit_status .last_check_result.exit_status "${want_exit[$2]}" || ok=0
    check "$1" output .last_check_result.output "${want_output[$2]}" || ok=0
    check "$1" performance_data '.last_check_result.performance_data // [] | join(" ")' \
        "${want_perf[$2]}" || ok=0
    ((ok))
}
for service in "${SERVICES[@]}"; do
    mismatches=''
    key=$service
    if ! recorded "$service" "$key" && [[ " ${CLOCKED[*]} " == *" $service "* ]]; then
        key=$service@after
        recorded "$service" "$key" && mismatches=''
    fi
    if [[ -z $mismatches ]]; then
        passed=$((passed + 1))
        echo "ok      $service: icinga2 ran the expected command and recorded state ${want_state[$key]}, output and perfdata"
    else
        failed=$((failed + 1))
        printf '%s' "$mismatches"
    fi
done
if ((failed)); then
    echo "--- icinga2's log (tail)"
    tail -n 20 "$work/daemon.out" || true
fi
echo "$passed passed, $failed failed"
((failed == 0))
