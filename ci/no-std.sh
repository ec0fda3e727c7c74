#!/usr/bin/env bash
# no_std builds: the library alone (an rlib links nothing, so the
# critical-section implementation the final firmware must provide is not needed).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# target | features ("" = none). Every line is built with --no-default-features.
matrix=(
    "thumbv7em-none-eabihf|"
    "thumbv7em-none-eabihf|alloc"
    "thumbv7em-none-eabihf|alloc,serde,defmt"
    "riscv32imac-unknown-none-elf|"
    "riscv32imac-unknown-none-elf|alloc"
    "thumbv6m-none-eabi|critical-section"
    "thumbv6m-none-eabi|critical-section,alloc"
    "thumbv6m-none-eabi|critical-section,serde,defmt"
    "x86_64-unknown-linux-gnu|"
    "x86_64-unknown-linux-gnu|alloc"
)

ci_banner "no_std builds (${#matrix[@]} target/feature combinations)"
for entry in "${matrix[@]}"; do
    target=${entry%%|*}
    features=${entry#*|}
    args=(cargo build --no-default-features --target "$target")
    [ -n "$features" ] && args+=(--features "$features")
    log=$(mktemp)
    rc=0
    printf '\n+ %s\n' "${args[*]}"
    t0=$(ci_now)
    "${args[@]}" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
    dt=$(ci_elapsed "$t0" "$(ci_now)")
    # Warnings do not fail the build (users never see a dependency's warnings),
    # but they are reported: they usually mean a cfg combination left dead code.
    warnings=$(grep -E '^warning: ' "$log" | grep -cvE 'generated [0-9]+ warning' || true)
    rm -f "$log"
    if [ "$rc" -ne 0 ]; then
        ci__record "$dt" FAIL "${args[@]}"
        echo "!! [$CI_SCRIPT] FAILED (exit $rc): ${args[*]}"
        exit "$rc"
    fi
    ci__record "$dt" ok "${args[@]}"
    if [ "$warnings" -gt 0 ]; then
        ci_note "$target ${features:-(no features)}: builds, $warnings warning line(s)"
    fi
done
