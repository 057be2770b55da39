#!/usr/bin/env bash
# Install (if missing) and start PostgreSQL from Debian's packages on 127.0.0.1:5432,
# with a `phuhop` role and the `phuhop_test` and `phuhop_bench` databases.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p 5432 -q && break
  sleep 1
done
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='phuhop'\"" | grep -q 1 ||
  su postgres -c "psql -q -c \"CREATE ROLE phuhop LOGIN PASSWORD 'phuhop' CREATEDB\""
for db in phuhop_test phuhop_bench; do
  su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 ||
    su postgres -c "createdb -O phuhop $db"
done
echo "PostgreSQL $version ready on 127.0.0.1:5432"
