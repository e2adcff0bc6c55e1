# shellcheck shell=bash
# Shared by the real-engine tests (nagios.sh, icinga2.sh); sourced, not run.
#
# engine_init NAME [PLUGIN [MOCK]]
#   sets repo, PLUGIN, MOCK, FIXTURES (env or arguments, as absolute paths), checks
#   them, and creates the scratch directory $work, removed on exit (KEEP_WORKDIR=1
#   keeps it). Commands added with on_exit run first, last added first.
# install_missing COMMAND PACKAGE [COMMAND PACKAGE ...]
#   installs Debian's PACKAGE for each COMMAND that is not on PATH (needs root).
# start_mock
#   starts the mock of Microsoft's endpoints on 127.0.0.1 and sets $url.
# trim TEXT
#   TEXT without leading and trailing white space.

DEADLINE=${DEADLINE:-60} # seconds to wait for the mock, a daemon, or check results

engine_name=engine
die() { echo "$engine_name: $*" >&2; exit 2; }

abspath() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }

exit_commands=()
on_exit() { exit_commands+=("$*"); }
run_exit_commands() {
    local i
    for ((i = ${#exit_commands[@]} - 1; i >= 0; i--)); do
        eval "${exit_commands[i]}" || true
    done
    if [[ -n ${work:-} ]]; then
        if [[ ${KEEP_WORKDIR:-} == 1 ]]; then
            echo "$engine_name: kept $work" >&2
        else
            rm -rf "$work"
        fi
    fi
}

engine_init() { # NAME [PLUGIN [MOCK]]
    engine_name=$1
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    PLUGIN=${2:-${PLUGIN:-$repo/target/release/centreon_office365_exchange_api}}
    MOCK=${3:-${MOCK:-$repo/target/release/examples/mockgraph}}
    FIXTURES=${FIXTURES:-$repo/tests/fixtures/tenant40}
    [[ -x $PLUGIN ]] || die "plugin '$PLUGIN' is not an executable file"
    [[ -x $MOCK ]] || die "mock '$MOCK' is not an executable file (cargo build --release --example mockgraph)"
    [[ -d $FIXTURES ]] || die "fixture directory '$FIXTURES' not found"
    PLUGIN=$(abspath "$PLUGIN")
    MOCK=$(abspath "$MOCK")
    FIXTURES=$(abspath "$FIXTURES")
    work=$(mktemp -d "/tmp/$engine_name-engine-test.XXXXXX")
    chmod 755 "$work"
    trap run_exit_commands EXIT
    # Same TZ for the direct runs and for the daemon (and so for its checks): the
    # email-activity perfdate depends on it.
    export TZ=UTC
}

install_missing() { # COMMAND PACKAGE ...
    local packages=() policy=/usr/sbin/policy-rc.d added_policy=0
    while (($# >= 2)); do
        command -v "$1" >/dev/null 2>&1 || packages+=("$2")
        shift 2
    done
    ((${#packages[@]})) || return 0
    [[ $(id -u) -eq 0 ]] || die "${packages[*]} not installed, and installing needs root"
    echo "Installing Debian's ${packages[*]} ..."
    # The packages' scripts would start the system's own daemon: a policy (the
    # usual one of containers and chroots) forbids that while they install.
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    local rc=0
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; } || rc=$?
    ((added_policy)) && rm -f "$policy"
    ((rc == 0)) || die "could not install ${packages[*]}"
}

mock_pid=
stop_mock() {
    if [[ -n $mock_pid ]]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
}

start_mock() {
    on_exit stop_mock
    # It announces its base URL on its first stdout line: "ready http://127.0.0.1:PORT".
    "$MOCK" --port 0 --data "$FIXTURES" >"$work/mock.out" 2>"$work/mock.err" &
    mock_pid=$!
    url=
    local _
    for _ in $(seq 1 $((DEADLINE * 10))); do
        url=$(sed -n '1s/^ready \(http[^ ]*\).*/\1/p' "$work/mock.out")
        [[ -n $url ]] && break
        kill -0 "$mock_pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -n $url ]] || { cat "$work/mock.err" >&2; die "the mock did not announce its URL"; }
}

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }
