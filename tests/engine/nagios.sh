#!/usr/bin/env bash
# Real-engine test: run the plugin under Nagios 4 with the project's own command and
# service templates (packaging/nagios/office365-exchange.cfg, which
# docs/operations.md shows), and check that Nagios records exactly what the plugin
# prints (state, output, perfdata, long output).
#
#   tests/engine/nagios.sh [PLUGIN [MOCK]]
#
#   PLUGIN    the plugin binary   (env PLUGIN, default target/release/centreon_office365_exchange_api)
#   MOCK      the mock of Microsoft's endpoints, built with
#             `cargo build --release --example mockgraph`
#             (env MOCK, default target/release/examples/mockgraph)
#   FIXTURES  env, the tenant the mock serves (default tests/fixtures/tenant40)
#
# Builds nothing. Installs Debian's nagios4-core if `nagios4` is missing (needs
# root). Everything else lives in a temporary directory, removed on exit; the
# Nagios daemon and the mock are always stopped.
#
# The definitions are used as they are, but for the plugin's path. For each service
# template (one per check mode, and the per-mailbox one) the test first runs the
# command line of the template's command itself, with the macros replaced by the
# values the test gives them, then has Nagios run it: it forces the check through the
# external command file and polls status.dat (with a deadline) until Nagios has
# recorded a result.
#
# mail-flow counts the messages of a window that ends on the last whole minute: when
# a minute starts between the direct run and Nagios' run, both are right and differ.
# Its direct run is made again once Nagios has recorded its result, and Nagios'
# result must equal one of the two (the window cannot skip a minute between them
# unless the whole test takes over a minute).
set -euo pipefail

# shellcheck source=tests/engine/lib.sh
source "$(dirname "$0")/lib.sh"
engine_init nagios "$@"
DEFINITIONS=$repo/packaging/nagios/office365-exchange.cfg
INSTALLED_PLUGIN=/usr/lib/centreon/plugins/centreon_office365_exchange_api
# The suffixes of the names of the commands and service templates the test runs (and
# the services' names); CLOCKED, those whose output depends on the minute of the run.
TEMPLATES=(email-activity mailbox-usage mailbox-quota mailbox mailbox-quota-status email-app-usage mail-flow service-status)
CLOCKED=(mail-flow)
SECRET='s3cr3t+/=&?'

install_missing nagios4 nagios4-core
NAGIOS=$(command -v nagios4)

stop_nagios() {
    local pid
    # Nagios writes its pid into the lock file; stop it and wait for it to go.
    if [[ -s $work/nagios.lock ]]; then
        pid=$(cat "$work/nagios.lock")
        if kill "$pid" 2>/dev/null; then
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
}
on_exit stop_nagios

start_mock

# --- the macros, and the command lines they make ---------------------------------
# The values the test gives the host and service macros of the definitions; only the
# statefile directory differs between the direct runs and Nagios' runs, so that
# Nagios' runs do not merely reuse the token cached by the direct runs.
declare -A host_macros=(
    [OFFICE365TENANT]=demo
    [OFFICE365CLIENTID]=demo
    [OFFICE365CLIENTSECRET]=$SECRET
)
extra_options() { # STATEDIR
    printf '%s' "--login-endpoint=$url --graph-endpoint=$url --statefile-dir=$1"
}
declare -A service_macros=(
    [email-activity:WARNINGACTIVEUSERS]=50:
    [mailbox-usage:CRITICALTOTALUSAGEACTIVE]=200GB
    [mailbox:FILTERMAILBOX]='^user000002@contoso\.onmicrosoft\.com$'
    [email-app-usage:WARNINGPOP3]=0
    [email-app-usage:EXTRAOPTIONS]='--legacy-users --verbose'
    [mail-flow:LOOKBACK]=30
    [mail-flow:WARNINGFAILEDPRCT]=20
    [service-status:INCLUDESERVICENAME]='^Exchange Online$'
)

# Prints the command_line of the command named $1 in the definitions.
command_line() {
    awk -v name="$1" '
        /^define command[ \t]*\{/ { inb = 1; n = ""; l = ""; next }
        inb && /^[ \t]*\}/ { if (n == name) { print l; exit } inb = 0; next }
        inb {
            key = $1; line = $0
            sub(/^[ \t]*[^ \t]+[ \t]+/, "", line)
            if (key == "command_name") n = line
            if (key == "command_line") l = line
        }' "$DEFINITIONS"
}

# Prints the value the service template named $1 gives its macro _$2 (nothing when
# it declares it empty, or not at all).
template_macro() { # NAME MACRO
    awk -v name="$1" -v macro="_$2" '
        /^define service[ \t]*\{/ { inb = 1; n = ""; v = ""; next }
        inb && /^[ \t]*\}/ { if (n == name) { print v; exit } inb = 0; next }
        inb {
            key = $1; line = $0
            sub(/^[ \t]*[^ \t]+[ \t]*/, "", line)
            if (key == "name") n = line
            if (key == macro) v = line
        }' "$DEFINITIONS"
}

# Prints TEXT with its $_HOST...$ and $_SERVICE...$ macros replaced the way Nagios
# replaces them for the service of TEMPLATE (the test's value, else the template's),
# and each $$ by $; fails on a macro that no template of the definitions declares
# (Nagios would pass it on as it is).
expand_macros() { # TEMPLATE STATEDIR TEXT
    local mode=$1 statedir=$2 rest=$3 out='' name var value
    while [[ $rest == *'$'*'$'* ]]; do
        out+=${rest%%\$*}
        rest=${rest#*\$}
        name=${rest%%\$*}
        rest=${rest#*\$}
        case $name in
            '') out+='$'; continue ;;
            _HOST*) var=${name#_HOST} value=${host_macros[$var]-} ;;
            _SERVICE*)
                var=${name#_SERVICE}
                if [[ -v service_macros[$mode:$var] ]]; then
                    value=${service_macros[$mode:$var]}
                else
                    value=$(template_macro "office365-exchange-$mode" "$var")
                fi
                ;;
            *) die "unexpected macro \$$name\$ in the command of $mode" ;;
        esac
        [[ $var == OFFICE365EXTRAOPTIONS ]] && value=$(extra_options "$statedir")
        grep -Eq "^[[:space:]]*_$var([[:space:]]|\$)" "$DEFINITIONS" ||
            die "no template of $DEFINITIONS declares the macro \$$name\$ of $mode's command"
        out+=$value
    done
    printf '%s' "$out$rest"
}

# The command line of TEMPLATE's command as Nagios runs it (for STATEDIR).
mode_command() { # TEMPLATE STATEDIR
    local line
    line=$(command_line "office365-exchange-$1")
    [[ $line == "$INSTALLED_PLUGIN "* ]] ||
        die "the command office365-exchange-$1 of $DEFINITIONS does not run $INSTALLED_PLUGIN"
    line="'$PLUGIN'${line#"$INSTALLED_PLUGIN"}"
    expand_macros "$1" "$2" "$line"
}
mkdir -p "$work/state-direct" "$work/state-nagios"

# --- the plugin, run directly --------------------------------------------------
# What Nagios should record, derived from the direct run the way Nagios 4 parses
# plugin output: the first line splits at its first '|' into plugin_output and
# performance_data (each stripped of surrounding white space); the other lines
# are the long output, until a line with a '|', whose remainder and all lines
# after it are more perfdata. status.dat escapes '\' and newlines in the long output.
declare -A want_state want_output want_perf want_long
# Runs TEMPLATE's command and records what Nagios should record under KEY.
direct_run() { # TEMPLATE KEY
    local mode=$1 key=$2 cmd rc out first short perf long in_perf line
    local -a lines
    cmd=$(mode_command "$mode" "$work/state-direct")
    rc=0
    # Nagios runs a command line with quotes through /bin/sh, as here.
    out=$(/bin/sh -c "$cmd") || rc=$?
    ((rc <= 3)) || rc=3 # Nagios maps any other exit code to UNKNOWN
    echo "direct  $key: exit $rc: $(head -n1 <<<"$out" | cut -c1-160)"
    mapfile -t lines <<<"$out"
    first=${lines[0]-}
    if [[ $first == *'|'* ]]; then
        short=${first%%|*} perf=${first#*|}
    else
        short=$first perf=
    fi
    long='' in_perf=0
    for line in "${lines[@]:1}"; do
        if ((in_perf)); then
            perf+=" $line"
        elif [[ $line == *'|'* ]]; then
            long+="${line%%|*}"$'\n'
            perf+=" ${line#*|}"
            in_perf=1
        else
            long+="$line"$'\n'
        fi
    done
    long=${long%$'\n'}
    long=${long//\\/\\\\}
    long=${long//$'\n'/\\n}
    want_state[$key]=$rc
    want_output[$key]=$(trim "$short")
    want_perf[$key]=$(trim "$perf")
    want_long[$key]=$(trim "$long")
}
for mode in "${TEMPLATES[@]}"; do
    direct_run "$mode" "$mode"
done

# --- a private Nagios ----------------------------------------------------------
mkdir -p "$work/tmp" "$work/checkresults"
cat >"$work/nagios.cfg" <<EOF
log_file=$work/nagios.log
cfg_file=$work/office365-exchange.cfg
cfg_file=$work/objects.cfg
object_cache_file=$work/objects.cache
precached_object_file=$work/objects.precache
status_file=$work/status.dat
state_retention_file=$work/retention.dat
command_file=$work/nagios.cmd
lock_file=$work/nagios.lock
temp_file=$work/nagios.tmp
temp_path=$work/tmp
check_result_path=$work/checkresults
query_socket=$work/nagios.qh
nagios_user=root
nagios_group=root
check_external_commands=1
status_update_interval=1
interval_length=1
check_result_reaper_frequency=1
retain_state_information=0
process_performance_data=1
enable_notifications=0
enable_event_handlers=0
enable_flap_detection=0
service_check_timeout=60
use_syslog=0
EOF

# The project's definitions, with the plugin where this test has it.
sed "s|$INSTALLED_PLUGIN |'$PLUGIN' |" "$DEFINITIONS" >"$work/office365-exchange.cfg"

# The host and the services, built on the definitions' templates. One directive per
# line, and the closing brace on its own line (Nagios' parser wants that). Checks are
# due only once a day: the forced check below is the one the test waits for.
{
    cat <<EOF
define timeperiod {
    timeperiod_name 24x7
    alias 24x7
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}
define command {
    command_name noop
    command_line /bin/true
}
define contact {
    contact_name nobody
    alias nobody
    host_notifications_enabled 0
    service_notifications_enabled 0
    host_notification_period 24x7
    service_notification_period 24x7
    host_notification_options n
    service_notification_options n
    host_notification_commands noop
    service_notification_commands noop
}
define host {
    use office365-exchange
    host_name office365
    alias office365
    address 127.0.0.1
    check_command noop
    max_check_attempts 1
    check_period 24x7
    contacts nobody
    notification_interval 0
    notification_period 24x7
EOF
    for macro in "${!host_macros[@]}"; do
        echo "    _$macro ${host_macros[$macro]}"
    done
    echo "    _OFFICE365EXTRAOPTIONS $(extra_options "$work/state-nagios")"
    echo "}"
    for mode in "${TEMPLATES[@]}"; do
        cat <<EOF
define service {
    use office365-exchange-$mode
    host_name office365
    service_description $mode
    max_check_attempts 1
    check_interval 86400
    retry_interval 86400
    check_period 24x7
    contacts nobody
    notification_interval 0
    notification_period 24x7
    notifications_enabled 0
EOF
        for key in "${!service_macros[@]}"; do
            [[ $key == "$mode:"* ]] && echo "    _${key#*:} ${service_macros[$key]}"
        done
        echo "}"
    done
} >"$work/objects.cfg"

"$NAGIOS" -v "$work/nagios.cfg" >"$work/verify.out" 2>&1 || {
    cat "$work/verify.out" >&2
    die "nagios4 -v rejected the configuration"
}
"$NAGIOS" -d "$work/nagios.cfg"

# The external command file is a FIFO that Nagios creates once it runs.
for _ in $(seq 1 $((DEADLINE * 10))); do
    [[ -p $work/nagios.cmd ]] && break
    sleep 0.1
done
[[ -p $work/nagios.cmd ]] || { cat "$work/nagios.log" >&2 || true; die "nagios did not start"; }

now=$(date +%s)
for mode in "${TEMPLATES[@]}"; do
    # timeout: a write to a FIFO with no reader would block for ever
    # shellcheck disable=SC2016 # $1/$2 are expanded by the inner bash
    timeout 10 bash -c 'printf "%s\n" "$1" >"$2"' _ \
        "[$now] SCHEDULE_FORCED_SVC_CHECK;office365;$mode;$now" "$work/nagios.cmd"
done

# --- read status.dat ------------------------------------------------------------
# Prints KEY's value in the servicestatus block of SERVICE (status.dat is
# rewritten by rename, so each read sees a whole file).
svc_field() { # SERVICE KEY
    awk -v svc="$1" -v key="$2" '
        /^servicestatus \{/ { inb = 1; found = 0; has = 0; next }
        inb && /^[ \t]*\}/ { if (found && has) { print val; exit } inb = 0; next }
        inb {
            line = $0; sub(/^[ \t]+/, "", line)
            i = index(line, "="); k = substr(line, 1, i - 1)
            if (k == "service_description" && substr(line, i + 1) == svc) found = 1
            if (k == key) { val = substr(line, i + 1); has = 1 }
        }' "$work/status.dat" 2>/dev/null
}

all_checked() {
    local mode
    for mode in "${TEMPLATES[@]}"; do
        [[ $(svc_field "$mode" has_been_checked) == 1 ]] || return 1
    done
}

end=$((SECONDS + DEADLINE))
until all_checked; do
    ((SECONDS < end)) || break
    sleep 0.2
done

# The clock-dependent commands, run again now that Nagios has run them.
for mode in "${CLOCKED[@]}"; do
    direct_run "$mode" "$mode@after"
done

# --- compare -----------------------------------------------------------------------
passed=0 failed=0
mismatches=''
check() { # SERVICE FIELD WANT: adds to $mismatches when FIELD differs
    local got
    got=$(svc_field "$1" "$2")
    if [[ $got == "$3" ]]; then
        return 0
    fi
    mismatches+="FAIL $1: $2"$'\n'"  want: ${3:0:400}"$'\n'"  got:  ${got:0:400}"$'\n'
    return 1
}
# Whether Nagios recorded, for the service of TEMPLATE, what the direct run KEY gave.
recorded() { # TEMPLATE KEY
    local ok=1
    check "$1" has_been_checked 1 || ok=0
    check "$1" current_state "${want_state[$2]}" || ok=0
    check "$1" plugin_output "${want_output[$2]}" || ok=0
    check "$1" performance_data "${want_perf[$2]}" || ok=0
    check "$1" long_plugin_output "${want_long[$2]}" || ok=0
    ((ok))
}
for mode in "${TEMPLATES[@]}"; do
    mismatches=''
    key=$mode
    if ! recorded "$mode" "$key" && [[ " ${CLOCKED[*]} " == *" $mode "* ]]; then
        key=$mode@after
        recorded "$mode" "$key" && mismatches=''
    fi
    if [[ -z $mismatches ]]; then
        passed=$((passed + 1))
        echo "ok      $mode: nagios recorded state ${want_state[$key]}, output and perfdata"
    else
        failed=$((failed + 1))
        printf '%s' "$mismatches"
    fi
done
if ((failed)); then
    echo "--- nagios.log (tail)"
    tail -n 20 "$work/nagios.log" || true
fi
echo "$passed passed, $failed failed"
((failed == 0))
