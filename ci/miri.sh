#!/usr/bin/env bash
# Miri: undefined behaviour, data races, leaks and weak-memory effects. Which tests
# run, under which provenance mode and how many scheduler seeds, is listed
# explicitly in ci/miri-tests.tsv (see its header); the concurrent tests run under
# many seeds, where Miri caught planted ABA and Relaxed-ordering bugs in seconds
# (VERIFICATION.md). Doc tests are not run under Miri.
#
#   MIRI_SEEDS   seeds for the many-seeds runs (default 8: seeds 0..8; CI time)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SEEDS="${MIRI_SEEDS:-8}"
MANIFEST=ci/miri-tests.tsv
declare -A FLAG=([strict]="-Zmiri-strict-provenance" [permissive]="-Zmiri-permissive-provenance")
miri=(cargo +nightly miri test)

ci_banner "miri setup (sysroot)"
ci_run cargo +nightly miri setup

# Every test Miri can see, as "target<TAB>name" (target: lib or the test's name).
ci_banner "miri: checking $MANIFEST against the test list"
listed=$(mktemp)
wanted=$(mktemp)
trap 'rm -f "$listed" "$wanted"' EXIT
env MIRIFLAGS="${FLAG[strict]}" "${miri[@]}" --lib --tests -- --list --format=terse 2>&1 |
    awk '
        /^ *Running unittests src\/lib.rs/ { target = "lib"; next }
        /^ *Running tests\// {
            f = $2; sub(/^tests\//, "", f); sub(/(\/main)?\.rs$/, "", f); target = f; next
        }
        /^ *Running / { target = ""; next }
        /: test$/ && target != "" { sub(/: test$/, ""); print target "\t" $0 }
    ' | sort >"$listed"
grep -v '^#' "$MANIFEST" | awk -F'\t' 'NF == 4' >"$wanted"
problems=0
while IFS=$'\t' read -r target name _; do
    if ! grep -qxF "$target"$'\t'"$name" "$listed"; then
        echo "!! $MANIFEST lists $target $name, which does not exist" >&2
        problems=1
    fi
done <"$wanted"
while IFS=$'\t' read -r target name; do
    base=${name##*::}
    if [[ $base == miri_* ]] && ! awk -F'\t' -v t="$target" -v n="$name" \
        '$1 == t && $2 == n { found = 1 } END { exit !found }' "$wanted"; then
        echo "!! $target $name is a miri_ test missing from $MANIFEST" >&2
        problems=1
    fi
done <"$listed"
[ "$problems" = 0 ] || exit 1
echo "$MANIFEST matches the test list ($(wc -l <"$wanted") entries)"

# selection PROVENANCE SEEDS: "--lib" / "--test NAME" selectors and names, one
# pair per line, of the manifest lines with that provenance and seed count.
selection() {
    awk -F'\t' -v p="$1" -v s="$2" '$3 == p && $4 == s' "$wanted"
}

# run LABEL PROVENANCE SEEDS: one miri invocation for those manifest lines.
run() {
    local label=$1 prov=$2 seeds=$3 sels=() names=() target name rest flags
    while IFS=$'\t' read -r target name rest; do
        names+=("$name")
        local sel="--test $target"
        [ "$target" = lib ] && sel="--lib"
        # shellcheck disable=SC2206 # "--test NAME" splits into two words on purpose
        [[ " ${sels[*]} " == *" $sel "* ]] || sels+=($sel)
    done < <(selection "$prov" "$seeds")
    if [ "${#names[@]}" -eq 0 ]; then
        return 0
    fi
    flags=${FLAG[$prov]}
    [ "$seeds" = many ] && flags="$flags -Zmiri-many-seeds=0..$SEEDS"
    ci_banner "miri: $label"
    # Parallel seeds interleave their libtest lines: count tests x seeds instead.
    ci_run env MIRIFLAGS="$flags" "${miri[@]}" "${sels[@]}" -- --exact "${names[@]}"
    ci_note "$label: ${#names[@]} test(s)$([ "$seeds" = many ] && echo " x $SEEDS seeds") passed"
}

# The unit tests not in the manifest: once, strict provenance.
skips=()
while IFS=$'\t' read -r target name _; do
    [ "$target" = lib ] && skips+=(--skip "$name")
done <"$wanted"
ci_banner "miri: unit tests not in $MANIFEST, strict provenance, one seed"
ci_cargo_test "miri --lib strict" env MIRIFLAGS="${FLAG[strict]}" \
    "${miri[@]}" --lib -- --exact "${skips[@]}"

run "listed tests, permissive provenance, one seed" permissive one
run "listed tests, strict provenance, seeds 0..$SEEDS" strict many
run "listed tests, permissive provenance, seeds 0..$SEEDS" permissive many
