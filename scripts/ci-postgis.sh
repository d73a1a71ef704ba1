#!/usr/bin/env bash
# Brings up the PostGIS instance that the geometry oracle test and the
# deconfliction benchmark measure against: PostgreSQL on 127.0.0.1:5432,
# trust auth, database `test`, extension `postgis`. Safe to run repeatedly:
# every step is skipped when its effect is already in place.
set -euo pipefail

PSQL=(psql -h 127.0.0.1 -p 5432 -U postgres -v ON_ERROR_STOP=1 -qtA)

postgis_available() {
    ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}

accepting() {
    pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null
}

if ! postgis_available; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y postgresql-15-postgis-3
fi

if ! accepting; then
    cluster_version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start || true
    for _ in $(seq 1 60); do
        accepting && break
        sleep 0.5
    done
    accepting || { echo "PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2; exit 1; }
fi

if [ "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'test'")" != "1" ]; then
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE test"
fi
"${PSQL[@]}" -d test -c "CREATE EXTENSION IF NOT EXISTS postgis"
echo "PostGIS $("${PSQL[@]}" -d test -c "SELECT postgis_lib_version()") ready on 127.0.0.1:5432/test"
