#!/usr/bin/env bash
# The test suite cross-compiled for aarch64 and run under qemu-aarch64 (the linker
# and runner come from .cargo/config.toml; set here too so the script stands alone).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_require aarch64-linux-gnu-gcc qemu-aarch64

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER:-qemu-aarch64 -L /usr/aarch64-linux-gnu}"
export CC_aarch64_unknown_linux_gnu="${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}"
export CXX_aarch64_unknown_linux_gnu="${CXX_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-g++}"

ci_banner "cargo test --target aarch64-unknown-linux-gnu (qemu-aarch64)"
ci_cargo_test "cargo test aarch64 (qemu)" cargo test --target aarch64-unknown-linux-gnu
