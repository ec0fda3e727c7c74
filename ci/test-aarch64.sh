#!/usr/bin/env bash
# The test suite cross-compiled for aarch64 and run under qemu-aarch64.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export CXX_aarch64_unknown_linux_gnu="${CXX_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-g++}"
ci_cross_test aarch64-unknown-linux-gnu aarch64-linux-gnu-gcc qemu-aarch64

# Shared memory on aarch64: the unit tests with `shm` (its crash windows), the
# multi-process tests and histories (children start through qemu too:
# RACEFREE_TEST_RUNNER, set by ci_cross_test).
ci_banner "cargo test --features shm (shm tests) aarch64-unknown-linux-gnu (qemu-aarch64)"
ci_cargo_test "cargo test shm aarch64 (qemu-aarch64)" \
    cargo test --target aarch64-unknown-linux-gnu --features shm --lib --test shm
ci_cargo_test "cargo test shm histories aarch64 (qemu-aarch64)" \
    cargo test --target aarch64-unknown-linux-gnu --features shm \
    --test linearizability -- processes::
