#!/usr/bin/env bash
# Fuzzing every target that `cargo fuzz list` reports:
#   x86_64:  cargo fuzz run (AddressSanitizer, debug assertions) for FUZZ_SECONDS each
#   aarch64: cargo fuzz build -s none, run under qemu-aarch64 for FUZZ_SECONDS_AARCH64
# A crash, leak, timeout or failed build fails the script. The corpus found on
# x86_64 (fuzz/corpus/T, git-ignored) seeds the aarch64 run.
#
#   FUZZ_SECONDS          per target on x86_64 (default 20)
#   FUZZ_SECONDS_AARCH64  per target on aarch64 under qemu (default 10: CI time)
#   FUZZ_TARGETS          space-separated subset (default: all)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECS="${FUZZ_SECONDS:-20}"
SECS_A64="${FUZZ_SECONDS_AARCH64:-10}"
A64=aarch64-unknown-linux-gnu
ci_require cargo-fuzz
cd fuzz

mapfile -t targets < <(cargo +nightly fuzz list)
if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
fi
if [ "${#targets[@]}" -eq 0 ]; then
    echo "!! cargo fuzz list reported no targets" >&2
    exit 1
fi
echo "fuzz targets: ${targets[*]}"

# Print libFuzzer's final stats from a log and note the exec count.
fuzz_stats() { # arch target log
    local runs rate
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$3" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$3" | tail -n1)
    ci_note "fuzz $1 $2: ${runs:-?} execs (${rate:-?}/s)"
}

# fuzz_exec LABEL CMD...: run a fuzzer, keep its log for the stats, fail on a crash.
fuzz_exec() {
    local arch=$1 target=$2 log rc=0 t0 dt
    shift 2
    log=$(mktemp)
    printf '\n+ %s\n' "$*"
    t0=$(ci_now)
    "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
    dt=$(ci_elapsed "$t0" "$(ci_now)")
    fuzz_stats "$arch" "$target" "$log"
    rm -f "$log"
    if [ "$rc" -ne 0 ]; then
        ci__record "$dt" FAIL "$@"
        echo "!! [$CI_SCRIPT] fuzz target $target ($arch) FAILED (exit $rc); artifacts under fuzz/artifacts/$target/" >&2
        exit "$rc"
    fi
    ci__record "$dt" ok "$@"
}

ci_banner "fuzz x86_64 (ASan): build"
ci_run cargo +nightly fuzz build

for t in "${targets[@]}"; do
    ci_banner "fuzz x86_64 (ASan): $t for ${SECS}s"
    mkdir -p "corpus/$t" "artifacts/$t"
    fuzz_exec x86_64 "$t" cargo +nightly fuzz run "$t" -- \
        -max_total_time="$SECS" -print_final_stats=1
done

if [ "${CI_FUZZ_AARCH64:-1}" = 0 ]; then
    ci_note "fuzz aarch64 skipped (CI_FUZZ_AARCH64=0)"
    exit 0
fi
ci_require aarch64-linux-gnu-gcc aarch64-linux-gnu-g++ qemu-aarch64
# The fuzz crate is its own workspace, but cargo reads ../.cargo/config.toml as
# well (config is found from the working directory up); set it here anyway so
# this does not depend on that. libfuzzer-sys compiles libFuzzer's C++ with CXX.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER:-aarch64-linux-gnu-gcc}"
export CC_aarch64_unknown_linux_gnu="${CC_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-gcc}"
export CXX_aarch64_unknown_linux_gnu="${CXX_aarch64_unknown_linux_gnu:-aarch64-linux-gnu-g++}"

ci_banner "fuzz aarch64 (no sanitizer): build"
ci_run cargo +nightly fuzz build -s none --target "$A64"

for t in "${targets[@]}"; do
    ci_banner "fuzz aarch64 (qemu, no sanitizer): $t for ${SECS_A64}s"
    bin="target/$A64/release/$t"
    mkdir -p "corpus/$t" "artifacts/$t"
    fuzz_exec aarch64 "$t" qemu-aarch64 -L /usr/aarch64-linux-gnu "$bin" "corpus/$t" \
        -artifact_prefix="artifacts/$t/" -max_total_time="$SECS_A64" -print_final_stats=1
done
