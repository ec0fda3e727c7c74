#!/usr/bin/env bash
# The test suite on two 32-bit hosts, where tag widths, index bits and size
# arithmetic differ from 64-bit: i686 (x86, 64-bit CAS through cmpxchg8b) and
# armv7 (ldrexd/strexd), each through its Debian cross gcc and qemu-user. Debian's
# multilib gcc package is never used: it removes the aarch64 cross gcc.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_cross_test i686-unknown-linux-gnu i686-linux-gnu-gcc qemu-i386
ci_cross_test armv7-unknown-linux-gnueabihf arm-linux-gnueabihf-gcc qemu-arm
