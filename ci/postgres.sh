#!/usr/bin/env bash
# The PostgreSQL tier: racefree-postgres's contract, linearizability and fault
# tests and its doc examples. Every test starts its own PostgreSQL 15 cluster
# (initdb in a temporary directory, 127.0.0.1 only, run as the `postgres` user
# when CI runs as root, stopped on drop); none is skipped: missing binaries fail
# the step (bash ci/setup.sh installs Debian's postgresql).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
export PG_BIN
for tool in initdb postgres pg_ctl pg_isready; do
    if [ ! -x "$PG_BIN/$tool" ]; then
        echo "!! [$CI_SCRIPT] $PG_BIN/$tool not found: run 'bash ci/setup.sh' first" >&2
        exit 127
    fi
done
ci_require cargo setpriv
ci_run "$PG_BIN/postgres" --version

ci_banner "cargo test -p racefree-postgres (real PostgreSQL 15, no skips)"
ci_cargo_test "racefree-postgres" cargo test -p racefree-postgres

ci_banner "contention in a release build (clients fast enough to contend hard)"
ci_cargo_test "racefree-postgres contention (release)" \
    cargo test --release -p racefree-postgres --test contention

ci_banner "races demo on its own PostgreSQL (--quick; exit 1 on any racefree-postgres or FOR UPDATE anomaly)"
ci_run cargo run -p racefree-postgres --example races -- --quick
