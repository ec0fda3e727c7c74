#!/usr/bin/env bash
# Loom model checking of tests/loom/ (main.rs and its modules), in release
# mode, on x86_64 and on aarch64 under qemu. Each model has a default preemption
# bound (tests/loom/main.rs, `model`); LOOM_MAX_PREEMPTIONS is passed through only
# when the caller sets it, and then it overrides every model's default.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! ci_have_file tests/loom/main.rs; then
    echo "!! tests/loom/main.rs is missing: nothing to model-check" >&2
    exit 1
fi

# Both arches share one target dir: with an explicit --target, RUSTFLAGS reach
# only the target's crates, and each triple has its own subdirectory.
common=(cargo test --release --test loom --target-dir target/loom)
# --nocapture: each model's own output (iterations, bounds) lands in the log.
# LOOM_TEST_THREADS=1 keeps the output of parallel models from interleaving.
harness=(-- --nocapture)
[ -n "${LOOM_TEST_THREADS:-}" ] && harness+=(--test-threads="$LOOM_TEST_THREADS")
[ -n "${LOOM_MAX_PREEMPTIONS:-}" ] && echo "LOOM_MAX_PREEMPTIONS=$LOOM_MAX_PREEMPTIONS (from the caller)"

ci_banner "loom, x86_64"
ci_cargo_test "loom x86_64" env RUSTFLAGS="--cfg loom" \
    "${common[@]}" --target x86_64-unknown-linux-gnu "${harness[@]}"

# Models inside the crate, as unit tests under cfg(loom): the shared-memory
# pool's recovery protocol (src/shm/protocol.rs, with the shm feature) and
# TreiberStack::trim's grace period (src/stack/treiber.rs, which must also catch
# a trim without one).
ci_banner "loom, in-crate models (shm recovery protocol, TreiberStack::trim), x86_64"
ci_cargo_test "loom in-crate models" env RUSTFLAGS="--cfg loom" \
    cargo test --release --lib --features shm --target-dir target/loom \
    --target x86_64-unknown-linux-gnu "${harness[@]}" shm::protocol stack::treiber::loom_tests

if [ "${CI_LOOM_AARCH64:-1}" = 0 ]; then
    ci_note "loom aarch64 skipped (CI_LOOM_AARCH64=0)"
    exit 0
fi
ci_require aarch64-linux-gnu-gcc qemu-aarch64
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER:-qemu-aarch64 -L /usr/aarch64-linux-gnu}"
export CC_aarch64_unknown_linux_gnu="${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}"

# Loom simulates the memory model itself, so this half checks the aarch64 build
# (32/64-bit cfgs, the double-word head) rather than new interleavings; under qemu
# it runs about 5x slower than x86_64 (measured). LOOM_AARCH64_FILTER (a libtest
# filter, default: every model) bounds it if the suite grows.
a64_harness=("${harness[@]}")
[ -n "${LOOM_AARCH64_FILTER:-}" ] && a64_harness+=("$LOOM_AARCH64_FILTER")
ci_banner "loom, aarch64 (qemu)${LOOM_AARCH64_FILTER:+, filter '$LOOM_AARCH64_FILTER'}"
ci_cargo_test "loom aarch64 (qemu)" env RUSTFLAGS="--cfg loom" \
    "${common[@]}" --target aarch64-unknown-linux-gnu "${a64_harness[@]}"
