#!/usr/bin/env bash
# A user's crate model-checked with loom, racefree inside: examples/downstream-loom
# depends on racefree by path (as a user's crate depends on it from crates.io) and
# its tests/loom.rs books the last seat from two loom threads. RUSTFLAGS="--cfg loom"
# reaches every crate of that build, so racefree's atomics are loom's too: this
# checks that racefree stays usable that way (it compiles under cfg(loom) as a
# dependency, and racefree's loom and the user's loom are one), which racefree's
# own loom suite, run inside this repository, cannot show.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

crate=examples/downstream-loom
if ! ci_have_file "$crate/Cargo.toml"; then
    echo "!! $crate/Cargo.toml is missing" >&2
    exit 1
fi

# Its own target dir: the loom-configured build must not evict the normal one.
# --nocapture: each model prints how many executions it explored.
ci_banner "downstream crate under loom ($crate)"
ci_cargo_test "downstream loom" env RUSTFLAGS="--cfg loom" \
    cargo test --release --manifest-path "$crate/Cargo.toml" \
    --target-dir "$CI_ROOT/target/downstream-loom" -- --nocapture
