#!/usr/bin/env bash
# Every benchmark compiled (bench profile) and run once in test mode, untimed:
# criterion benches run each benchmark a single iteration with `--test`; a custom
# `main` must accept the same `--test` (and the `--bench` cargo passes).
# No timing assertions here: speed is measured with `cargo bench`, not checked.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

benches=()
for f in benches/*.rs benches/*/main.rs; do
    [ -e "$f" ] || continue
    case $f in
        */main.rs) name=$(basename "$(dirname "$f")") ;;
        *) name=$(basename "$f" .rs) ;;
    esac
    benches+=("$name")
done
if [ "${#benches[@]}" -eq 0 ]; then
    ci_note "no benches found"
    exit 0
fi

bench_args=()
for b in "${benches[@]}"; do bench_args+=(--bench "$b"); done

ci_banner "bench smoke: build ${benches[*]}"
ci_run cargo bench --no-run "${bench_args[@]}"

for b in "${benches[@]}"; do
    ci_banner "bench smoke: $b -- --test"
    ci_run cargo bench --bench "$b" -- --test
done

# The tiers side by side (starts its own redis-server and PostgreSQL, installed
# by ci/setup.sh): every tier once, briefly, nothing written.
ci_banner "bench smoke: racefree-conformance tiers -- --test"
ci_run cargo bench -p racefree-conformance --bench tiers -- --test
