#!/usr/bin/env bash
# The Redis tier: racefree-redis's contract, linearizability and fault tests
# (blocking API, then with --all-features the async one too), and
# the shared conformance crate's own tests. Every test starts its own
# redis-server on 127.0.0.1 (a temporary directory, killed on drop); none is
# skipped: a missing redis-server fails the step (bash ci/setup.sh installs it).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_require cargo redis-server
ci_run redis-server --version

ci_banner "cargo test -p racefree-redis (real redis-server, no skips)"
ci_cargo_test "racefree-redis" cargo test -p racefree-redis

# Again with every feature: the async API (`tokio`: tests/aio.rs, the async
# client's linearizability campaign, the aio doctests) and `serde`. About 20 s
# of tests on 2 cores, on top of the build.
ci_banner "cargo test -p racefree-redis --all-features (the async API too)"
ci_cargo_test "racefree-redis --all-features" cargo test -p racefree-redis --all-features

ci_banner "cargo test -p racefree-conformance"
ci_cargo_test "racefree-conformance" cargo test -p racefree-conformance

ci_banner "races demo on its own redis-server (--quick; exit 1 on any racefree-redis anomaly)"
ci_run cargo run -p racefree-redis --example races -- --quick
