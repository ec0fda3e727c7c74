#!/usr/bin/env bash
# The README's test command (`cargo test`: unit, integration and doc tests), the
# same with every feature on, the unit tests with no feature (the no_std core,
# on the host), and racefree-tier (the server tiers' shared types).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ci_banner "cargo test (the README's command)"
ci_cargo_test "cargo test" cargo test

ci_banner "cargo test --all-features"
ci_cargo_test "cargo test --all-features" cargo test --all-features

ci_banner "cargo test --lib --no-default-features (the no_std core's unit tests)"
ci_cargo_test "unit tests, no features" cargo test --lib --no-default-features

ci_banner "cargo test -p racefree-tier (what the server tiers share; no server needed)"
ci_cargo_test "racefree-tier" cargo test -p racefree-tier --all-features
