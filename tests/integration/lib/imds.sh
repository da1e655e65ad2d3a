# shellcheck shell=bash
#
# imds.sh - an IMDSv2 that answers only the instance id (imds_fixture.py),
# to play "this instance" in tests: instance A, then B, one server.
#
#   imds_start DIR ID   start it; DIR/imds.url is its endpoint, DIR/imds.id
#                       the id it answers
#   imds_set DIR ID     answer ID from now on
#   imds_stop DIR       stop exactly the process it started

imds_set() {
    printf '%s\n' "$2" >"$1/imds.id"
}

imds_start() {
    local dir=$1 i pid port
    mkdir -p "$dir" || return 1
    imds_set "$dir" "$2"
    rm -f "$dir/imds.ready"
    python3 "$(dirname "${BASH_SOURCE[0]}")/../imds_fixture.py" \
        --id-file "$dir/imds.id" --ready "$dir/imds.ready" \
        </dev/null >"$dir/imds.log" 2>&1 &
    echo $! >"$dir/imds.pid"
    for ((i = 0; i < 100; i++)); do
        if [[ -s $dir/imds.ready ]]; then
            read -r pid port <"$dir/imds.ready"
            echo "http://127.0.0.1:$port" >"$dir/imds.url"
            return 0
        fi
        kill -0 "$(cat "$dir/imds.pid")" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

imds_stop() {
    local pid
    [[ -f $1/imds.pid ]] || return 0
    pid=$(cat "$1/imds.pid")
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -f "$1/imds.pid"
}
