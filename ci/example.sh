#!/usr/bin/env bash
# The demo a new user runs first, in its quick mode, and the examples of real use.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_banner "example: races --quick"
if ! ci_have_file examples/races.rs && ! ci_have_file examples/races/main.rs; then
    ci_note "SKIPPED: examples/races.rs does not exist"
    exit 0
fi
ci_run cargo run --release --example races -- --quick

ci_banner "examples of real use"
for example in static_pool booking_service metrics wait_service wait_workers; do
    ci_run cargo run --release --example "$example"
done

ci_banner "example: processes (shared memory, several OS processes)"
ci_run cargo run --release --example processes --features shm
