#!/usr/bin/env bash
# Installs everything the other ci/ scripts need, idempotently: quick (a few
# seconds) when everything is already there.
#   - apt: aarch64, i686 and armv7 cross gcc and libc, qemu-user, a host C++
#     compiler (libFuzzer), redis-server; never the multilib gcc package (it removes the
#     aarch64 cross gcc)
#   - rustup: no_std, aarch64, i686 and armv7 targets, nightly with miri + rust-src,
#     rustfmt/clippy
#   - cargo-fuzz
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_banner "system packages (cross gcc, qemu-user)"
need_apt=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need_apt+=(gcc-aarch64-linux-gnu)
command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || need_apt+=(g++-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/lib/libc.so ] || need_apt+=(libc6-dev-arm64-cross)
command -v i686-linux-gnu-gcc >/dev/null 2>&1 || need_apt+=(gcc-i686-linux-gnu)
[ -e /usr/i686-linux-gnu/lib/libc.so ] || need_apt+=(libc6-dev-i386-cross)
command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1 || need_apt+=(gcc-arm-linux-gnueabihf)
[ -e /usr/arm-linux-gnueabihf/lib/libc.so ] || need_apt+=(libc6-dev-armhf-cross)
command -v qemu-aarch64 >/dev/null 2>&1 || need_apt+=(qemu-user)
# The host needs a C and C++ compiler too: linking, and libfuzzer-sys builds libFuzzer.
command -v cc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
command -v c++ >/dev/null 2>&1 || need_apt+=(g++)
# ci/redis.sh: the Redis tier's tests start their own redis-server (no system service).
redis_apt=()
command -v redis-server >/dev/null 2>&1 || redis_apt=(redis-server)
need_apt+=("${redis_apt[@]}")
# ci/postgres.sh: the PostgreSQL tier's tests run their own initdb + postgres
# (Debian's postgresql package ships PostgreSQL 15 in /usr/lib/postgresql/15/bin).
pg_apt=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || pg_apt=(postgresql)
need_apt+=("${pg_apt[@]}")
if [ "${#need_apt[@]}" -eq 0 ]; then
    echo "cross gcc/g++ and libcs, qemu-user, host c++ and redis-server present: skipping apt"
else
    echo "missing: ${need_apt[*]}"
    SUDO=()
    if [ "$(id -u)" -ne 0 ]; then
        SUDO=(sudo -n)
    fi
    export DEBIAN_FRONTEND=noninteractive
    ci_run "${SUDO[@]}" apt-get update -qq
    ci_run "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
        gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
        gcc-i686-linux-gnu libc6-dev-i386-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross \
        gcc g++ libc6-dev "${redis_apt[@]}" "${pg_apt[@]}" </dev/null
fi
ci_run aarch64-linux-gnu-gcc --version
ci_run qemu-aarch64 --version
ci_run redis-server --version

ci_banner "rust toolchains, targets and components"
ci_require rustup cargo
if ! rustup toolchain list | grep -q '^nightly'; then
    ci_run rustup toolchain install nightly --profile minimal
fi
ci_run rustup target add aarch64-unknown-linux-gnu i686-unknown-linux-gnu \
    armv7-unknown-linux-gnueabihf thumbv7em-none-eabihf thumbv6m-none-eabi riscv32imac-unknown-none-elf
ci_run rustup component add rustfmt clippy
ci_run rustup target add --toolchain nightly aarch64-unknown-linux-gnu x86_64-unknown-linux-gnu
ci_run rustup component add --toolchain nightly miri rust-src

ci_banner "cargo-fuzz"
if command -v cargo-fuzz >/dev/null 2>&1; then
    echo "cargo-fuzz present: $(cargo fuzz --version 2>/dev/null || echo '?')"
else
    ci_run cargo install cargo-fuzz --locked
fi

ci_banner "versions"
ci_run rustc --version
ci_run cargo --version
ci_run rustc +nightly --version
ci_run cargo fuzz --version
