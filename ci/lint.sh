#!/usr/bin/env bash
# Formatting, clippy (normal and under --cfg loom) and rustdoc, all warnings denied.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_banner "rustfmt"
ci_run cargo fmt --all -- --check
if ci_have_file fuzz/Cargo.toml; then
    # The fuzz crate is its own workspace: check it separately.
    ci_run cargo fmt --manifest-path fuzz/Cargo.toml --all -- --check
fi

ci_banner "house rules (ARCHITECTURE.md): atomics only through src/sync/, unsafe only in src/stack/ and src/shm/"
# Test code (test-only files, and a file's `#[cfg(...test...)]` modules, which
# come last) may use std's atomics to count drops and loom's model runner;
# everything else goes through the seam, so that --cfg loom reaches every atomic.
non_test() { # prints file:line:text of the lines before a file's test modules
    awk 'FNR == 1 { intest = 0 }
         /^#\[cfg\(.*test/ { intest = 1 }
         !intest && !/^[[:space:]]*\/\// { print FILENAME ":" FNR ":" $0 }' \
        $(find src -name '*.rs' ! -name tests.rs ! -name test_support.rs | sort)
}
atomics=$(non_test | grep -E 'core::sync::atomic|std::sync::atomic|portable_atomic|loom::' |
    grep -v '^src/sync/' || true)
unsafes=$(non_test | grep -E '\bunsafe\b' | grep -vE '^src/(stack|shm)/' |
    grep -vE 'forbid\(unsafe_code\)|unsafe_op_in_unsafe_fn' || true)
if [ -n "$atomics$unsafes" ]; then
    [ -n "$atomics" ] && printf '!! atomics outside src/sync/:\n%s\n' "$atomics" >&2
    [ -n "$unsafes" ] && printf '!! unsafe outside src/stack/ and src/shm/:\n%s\n' "$unsafes" >&2
    exit 1
fi
echo "ok: no atomic type outside src/sync/, no unsafe outside src/stack/ and src/shm/"

ci_banner "clippy (the workspace, all targets, all features)"
ci_run cargo clippy --workspace --all-targets --all-features -- -D warnings

ci_banner "clippy under --cfg loom (the lib and the loom models)"
# Exactly what ci/loom.sh compiles; its own target dir so the normal build's
# fingerprints are not thrown away by the different RUSTFLAGS.
loom_targets=(--lib)
ci_have_file tests/loom/main.rs && loom_targets+=(--test loom)
ci_run env RUSTFLAGS="--cfg loom" cargo clippy "${loom_targets[@]}" \
    --target x86_64-unknown-linux-gnu --target-dir target/loom -- -D warnings

ci_banner "rustdoc (warnings denied)"
ci_run env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features
