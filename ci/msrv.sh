#!/usr/bin/env bash
# MSRV: the library builds with the oldest compiler Cargo.toml promises
# (`rust-version`), with default features and with none; so does racefree-tier (the
# server tiers' shared types), which promises the same rust-version. Only the
# libraries: tests, benches and examples may use newer dev-dependencies and are not
# part of the promise.
#
# Knobs (environment):
#   MSRV=1.xx          check another toolchain than Cargo.toml's rust-version
#   MSRV_FRESH_LOCK=1  skip the committed Cargo.lock and go straight to the fallback
#                      below (to exercise it)
#
# Cargo.lock: it is version 4, which cargo reads since 1.78, so the MSRV toolchain
# first builds with the committed lock as it is (`--locked`: it must never rewrite
# it). If a locked dependency has meanwhile raised its own rust-version past ours,
# that build stops with "... requires rustc X". That is not a bug of racefree: a
# user on the MSRV gets an older release of that dependency from cargo's
# MSRV-aware resolver. The script then does what such a user's cargo does: it
# copies the repository (without target/, .git/, fuzz/) to a temporary folder,
# resolves a fresh lock there with CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback
# (prefer versions whose rust-version fits), and builds that copy. The committed
# Cargo.lock is never touched, and the fallback is reported as a NOTE so that
# nobody mistakes it for a plain pass.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -z "${MSRV:-}" ]; then
    MSRV=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)
fi
if [ -z "$MSRV" ]; then
    echo "!! [$CI_SCRIPT] no rust-version in Cargo.toml and no MSRV=... given" >&2
    exit 2
fi

ci_banner "MSRV $MSRV: toolchain"
ci_require rustup cargo
if rustup toolchain list | grep -q "^$MSRV-"; then
    echo "toolchain $MSRV present"
else
    ci_run rustup toolchain install "$MSRV" --profile minimal
fi
ci_run rustc +"$MSRV" --version

# One target dir of its own: an old compiler's artifacts must not evict the stable
# ones from target/debug (and cannot share them anyway).
builds=("" "--no-default-features" "--features shm,serde,defmt")

# build_all DIR TARGET_DIR LOCK_FLAG: both feature sets of the library, in DIR.
build_all() {
    local dir=$1 tdir=$2 lock=$3 features
    for features in "${builds[@]}"; do
        # shellcheck disable=SC2086 # $features and $lock are one flag or none
        ci_run env -C "$dir" cargo +"$MSRV" build -p racefree --lib $features $lock \
            --target-dir "$tdir"
    done
    # shellcheck disable=SC2086 # $lock is one flag or none
    ci_run env -C "$dir" cargo +"$MSRV" build -p racefree-tier --lib $lock --target-dir "$tdir"
}

fallback=${MSRV_FRESH_LOCK:-0}
if [ "$fallback" != 1 ]; then
    ci_banner "MSRV $MSRV: library with the committed Cargo.lock"
    # The first build is run by hand (not ci_run) so that a rust-version refusal can
    # be told apart from a real compile error.
    log=$(mktemp)
    rc=0
    first=(cargo +"$MSRV" build -p racefree --lib --locked --target-dir "$CI_ROOT/target/msrv")
    printf '\n+ %s\n' "${first[*]}"
    t0=$(ci_now)
    "${first[@]}" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
    dt=$(ci_elapsed "$t0" "$(ci_now)")
    if [ "$rc" -eq 0 ]; then
        ci__record "$dt" ok "${first[@]}"
        rm -f "$log"
        ci_run cargo +"$MSRV" build -p racefree --lib --no-default-features --locked \
            --target-dir "$CI_ROOT/target/msrv"
        ci_run cargo +"$MSRV" build -p racefree --lib --features shm,serde,defmt --locked \
            --target-dir "$CI_ROOT/target/msrv"
        ci_run cargo +"$MSRV" build -p racefree-tier --lib --all-features --locked \
            --target-dir "$CI_ROOT/target/msrv"
        ci_note "racefree builds with Rust $MSRV (default features, no default features, shm+serde+defmt), and so does racefree-tier"
        exit 0
    fi
    if ! grep -qE 'requires rustc|rust-version' "$log"; then
        rm -f "$log"
        ci__record "$dt" FAIL "${first[@]}"
        printf '\n!! [%s] FAILED (exit %s): racefree does not build with Rust %s\n' \
            "$CI_SCRIPT" "$rc" "$MSRV"
        exit "$rc"
    fi
    ci__record "$dt" "MSRV" "${first[@]}"
    echo "a locked dependency needs a newer rustc than $MSRV:"
    grep -E 'requires rustc|rust-version' "$log" | sed 's/^/    /'
    rm -f "$log"
fi

ci_banner "MSRV $MSRV: library with a lock resolved for $MSRV (temporary copy)"
tmp=$(mktemp -d)
trap 'rc=$?; rm -rf "$tmp"; (exit "$rc"); ci_print_times' EXIT
tar -C "$CI_ROOT" --exclude=./target --exclude=./.git --exclude=./fuzz -cf - . |
    tar -C "$tmp" -xf -
ci_run env -C "$tmp" CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo +"$MSRV" generate-lockfile
build_all "$tmp" "$CI_ROOT/target/msrv-fallback" ""
changed=$(diff <(grep -A1 '^name = ' Cargo.lock | paste - - - 2>/dev/null) \
    <(grep -A1 '^name = ' "$tmp/Cargo.lock" | paste - - - 2>/dev/null) | grep -c '^>' || true)
ci_note "racefree builds with Rust $MSRV only with an MSRV-resolved lock ($changed package version(s) differ from Cargo.lock)"
