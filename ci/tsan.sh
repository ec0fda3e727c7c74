#!/usr/bin/env bash
# ThreadSanitizer over the unit and integration tests (not doc tests), with std
# rebuilt instrumented (-Zbuild-std) so TSan sees both sides of every access.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOST=x86_64-unknown-linux-gnu
tsan_options="halt_on_error=1 second_deadlock_stack=1"
# Optional suppressions (e.g. for fence-based code TSan cannot model).
if ci_have_file ci/tsan-suppressions.txt; then
    tsan_options="$tsan_options suppressions=$CI_ROOT/ci/tsan-suppressions.txt"
fi

# The compile-fail suite is skipped: trybuild would drive a cargo build with the
# sanitizer flags but without -Zbuild-std; ci/test.sh runs it.
ci_banner "ThreadSanitizer: cargo +nightly test -Zbuild-std --tests"
ci_cargo_test "tsan --tests" env RUSTFLAGS="-Zsanitizer=thread" TSAN_OPTIONS="$tsan_options" \
    cargo +nightly test -Zbuild-std --target "$HOST" --target-dir target/tsan --tests \
    -- --skip compile_fail_contract
