#!/usr/bin/env bash
# The test suite cross-compiled for aarch64 and run under qemu-aarch64.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export CXX_aarch64_unknown_linux_gnu="${CXX_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-g++}"
ci_cross_test aarch64-unknown-linux-gnu aarch64-linux-gnu-gcc qemu-aarch64
