#!/usr/bin/env bash
# Miri: undefined behaviour, data races and weak-memory effects in the unit tests,
# and every multi-threaded test named `miri_*` (unit or integration) under many
# scheduler seeds (where Miri caught planted ABA and Relaxed-ordering bugs in
# seconds; see DESIGN.md). Doc tests are not run under Miri.
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

ci_banner "miri: unit tests, strict provenance, one seed (not treiber, not miri_*)"
ci_cargo_test "miri --lib strict" env MIRIFLAGS="$STRICT" \
    "${miri[@]}" --lib -- --skip treiber --skip miri_

# The many-seeds runs re-run a whole test binary per seed, so they run only the
# binaries that hold a selected test, and only those tests (--exact). libtest
# filters are OR-ed substrings, hence the listing: "<cargo selector>\t<test name>".
ci_banner "miri: listing the miri_* tests"
list=$(mktemp)
t0=$(ci_now)
env MIRIFLAGS="$STRICT" "${miri[@]}" --lib --tests -- --list --format=terse 2>&1 |
    awk '
        /^ *Running unittests src\/lib.rs/ { sel = "--lib"; next }
        /^ *Running tests\/.*\.rs/ {
            f = $2; sub(/^tests\//, "", f); sub(/\.rs$/, "", f); sel = "--test " f; next
        }
        /^ *Running / { sel = ""; next }
        /: test$/ && sel != "" { sub(/: test$/, ""); print sel "\t" $0 }
    ' >"$list" || {
    echo "!! listing the tests under Miri failed" >&2
    exit 1
}
ci__record "$(ci_elapsed "$t0" "$(ci_now)")" ok "cargo +nightly miri test --lib --tests -- --list"
echo "miri_* tests found:"
grep -P '\t.*miri_' "$list" || echo "  (none)"

# many_seeds LABEL MIRIFLAGS GREP-ARGS...: run the listed miri_* tests whose name
# passes `grep GREP-ARGS` under $MANY.
many_seeds() {
    local label=$1 flags=$2 sels=() names=() sel name
    shift 2
    while IFS=$'\t' read -r sel name; do
        names+=("$name")
        # shellcheck disable=SC2206 # "--test NAME" splits into two words on purpose
        [[ " ${sels[*]} " == *" $sel "* ]] || sels+=($sel)
    done < <(grep -P '\t.*miri_' "$list" | grep "$@" || true)
    if [ "${#names[@]}" -eq 0 ]; then
        ci_note "$label: no matching miri_* test"
        return 0
    fi
    # Parallel seeds interleave their libtest lines, so count tests x seeds instead
    # of summing `test result:` lines; any failing seed fails the command.
    ci_run env MIRIFLAGS="$flags $MANY" "${miri[@]}" "${sels[@]}" -- --exact "${names[@]}"
    ci_note "$label: ${#names[@]} test(s) x $SEEDS seeds passed"
}

ci_banner "miri: miri_* tests, strict provenance, seeds 0..$SEEDS (not treiber)"
many_seeds "miri miri_* strict x$SEEDS seeds" "$STRICT" -v treiber

ci_banner "miri: treiber unit tests, permissive provenance, one seed (not miri_*)"
ci_cargo_test "miri --lib treiber permissive" env MIRIFLAGS="$PERMISSIVE" \
    "${miri[@]}" --lib -- treiber --skip miri_

ci_banner "miri: miri_* treiber tests, permissive provenance, seeds 0..$SEEDS"
many_seeds "miri miri_*treiber* permissive x$SEEDS seeds" "$PERMISSIVE" treiber
rm -f "$list"
