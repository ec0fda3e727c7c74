#!/usr/bin/env bash
# The demo a new user runs first, in its quick mode.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_banner "example: races --quick"
if ! ci_have_file examples/races.rs && ! ci_have_file examples/races/main.rs; then
    ci_note "SKIPPED: examples/races.rs does not exist"
    exit 0
fi
ci_run cargo run --release --example races -- --quick
