#!/usr/bin/env bash
# Miri: undefined behaviour, data races and weak-memory effects in the unit tests,
# and every multi-threaded test named `miri_*` under many scheduler seeds (where
# Miri caught planted ABA and Relaxed-ordering bugs in seconds; see DESIGN.md).
#
# Provenance: everything runs with -Zmiri-strict-provenance, except tests whose
# path contains `treiber` (TreiberStack packs an exposed address into its 128-bit
# head and needs permissive provenance); those run in their own invocations.
#
#   MIRI_SEEDS   seeds for the many-seeds runs (default 16: seeds 0..16)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SEEDS="${MIRI_SEEDS:-16}"
STRICT="-Zmiri-strict-provenance"
PERMISSIVE="-Zmiri-permissive-provenance"
MANY="-Zmiri-many-seeds=0..$SEEDS"
miri=(cargo +nightly miri test)

ci_banner "miri setup (sysroot)"
ci_run cargo +nightly miri setup

ci_banner "miri: unit tests, strict provenance (one seed; not treiber, not miri_*)"
ci_cargo_test "miri --lib strict" env MIRIFLAGS="$STRICT" \
    "${miri[@]}" --lib -- --skip treiber --skip miri_

ci_banner "miri: miri_* tests (lib + integration), strict provenance, seeds 0..$SEEDS"
ci_cargo_test "miri miri_* strict x$SEEDS seeds" env MIRIFLAGS="$STRICT $MANY" \
    "${miri[@]}" --lib --tests -- miri_ --skip treiber

ci_banner "miri: treiber unit tests, permissive provenance (one seed; not miri_*)"
ci_cargo_test "miri --lib treiber permissive" env MIRIFLAGS="$PERMISSIVE" \
    "${miri[@]}" --lib -- treiber --skip miri_

ci_banner "miri: miri_* treiber tests (lib + integration), permissive provenance, seeds 0..$SEEDS"
# libtest filters are OR-ed substrings, so list the tests and pick those matching both.
mapfile -t names < <(
    env MIRIFLAGS="$PERMISSIVE" "${miri[@]}" --lib --tests -q -- --list --format=terse 2>/dev/null |
        sed -n 's/: test$//p' | grep 'miri_' | grep 'treiber' | sort -u
)
if [ "${#names[@]}" -eq 0 ]; then
    ci_note "no test matches both 'miri_' and 'treiber': nothing to run under many seeds"
else
    printf 'selected: %s\n' "${names[@]}"
    ci_cargo_test "miri miri_*treiber* permissive x$SEEDS seeds" env MIRIFLAGS="$PERMISSIVE $MANY" \
        "${miri[@]}" --lib --tests -- --exact "${names[@]}"
fi
