# shellcheck shell=bash
# Shared helpers for the ci/*.sh scripts. Source it; do not run it.
#
#   ci_banner TEXT          a clear section banner
#   ci_run CMD...           print, run and time one command; exit on failure
#   ci_cargo_test LABEL CMD...  like ci_run, and sums the `test result:` lines
#   ci_note TEXT            a line for the final summary of .ci/run
#   ci_have_file PATH       true when PATH exists in the repository
#
# Every script is runnable alone (`bash ci/loom.sh`); .ci/run calls them in order.
set -euo pipefail

CI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$CI_ROOT"

# Cheaper builds without losing coverage: no incremental caches (CI builds once),
# retries on flaky network, backtraces in every failing test.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export CARGO_NET_RETRY="${CARGO_NET_RETRY:-10}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
export CARGO_TERM_PROGRESS_WHEN="${CARGO_TERM_PROGRESS_WHEN:-never}"
# Never let a caller's flags leak into builds that compare fingerprints.
unset RUSTFLAGS RUSTDOCFLAGS MIRIFLAGS CARGO_BUILD_RUSTFLAGS 2>/dev/null || true

CI_SCRIPT=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
CI_NOTES_FILE="${CI_NOTES_FILE:-}"
CI_TIMES=()

ci_now() {
    if [ -n "${EPOCHREALTIME:-}" ]; then
        echo "${EPOCHREALTIME/,/.}"
    else
        date +%s
    fi
}

# Seconds between two ci_now stamps, one decimal.
ci_elapsed() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}

ci_banner() {
    printf '\n==================================================================\n'
    printf '== [%s] %s\n' "$CI_SCRIPT" "$*"
    printf '==================================================================\n'
}

ci_note() {
    echo "NOTE [$CI_SCRIPT]: $*"
    if [ -n "$CI_NOTES_FILE" ]; then
        echo "[$CI_SCRIPT] $*" >>"$CI_NOTES_FILE"
    fi
}

ci_have_file() {
    [ -e "$CI_ROOT/$1" ]
}

# Per-script table of the commands it ran, printed when the script exits.
ci_print_times() {
    local rc=$?
    if [ "${#CI_TIMES[@]}" -gt 0 ]; then
        printf '\n---- [%s] commands (seconds, status) ----\n' "$CI_SCRIPT"
        printf '%s\n' "${CI_TIMES[@]}"
    fi
    return $rc
}
trap ci_print_times EXIT

ci__record() { # seconds status command...
    local dt=$1 st=$2
    shift 2
    CI_TIMES+=("$(printf '%8s  %-4s  %s' "$dt" "$st" "$*")")
}

ci_run() {
    local t0 t1 rc=0 dt
    printf '\n+ %s\n' "$*"
    t0=$(ci_now)
    "$@" || rc=$?
    t1=$(ci_now)
    dt=$(ci_elapsed "$t0" "$t1")
    if [ "$rc" -ne 0 ]; then
        ci__record "$dt" FAIL "$@"
        printf '\n!! [%s] FAILED (exit %s after %ss): %s\n' "$CI_SCRIPT" "$rc" "$dt" "$*"
        exit "$rc"
    fi
    ci__record "$dt" ok "$@"
    printf '   (%ss)\n' "$dt"
}

# Sum the libtest closing lines ("test result: ok. 3 passed; 0 failed; ...") of a log.
ci_test_totals() {
    awk '/^test result: /{
            for (i = 1; i <= NF; i++) {
                if ($(i+1) ~ /^passed/)   p += $i
                if ($(i+1) ~ /^failed/)   f += $i
                if ($(i+1) ~ /^ignored/)  g += $i
            }
            n++
        }
        END { printf "%d passed, %d failed, %d ignored (%d test binaries/doc runs)", p, f, g, n }' "$1"
}

# ci_cargo_test LABEL CMD...: run a cargo test command with its output shown in
# full, then print (and note) the totals of its `test result:` lines.
ci_cargo_test() {
    local label=$1 log rc=0 t0 t1 dt totals
    shift
    log=$(mktemp)
    printf '\n+ %s\n' "$*"
    t0=$(ci_now)
    "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
    t1=$(ci_now)
    dt=$(ci_elapsed "$t0" "$t1")
    totals=$(ci_test_totals "$log")
    rm -f "$log"
    printf '\n== test summary [%s]: %s, exit %s, %ss\n' "$label" "$totals" "$rc" "$dt"
    ci_note "$label: $totals"
    if [ "$rc" -ne 0 ]; then
        ci__record "$dt" FAIL "$@"
        printf '\n!! [%s] FAILED (exit %s after %ss): %s\n' "$CI_SCRIPT" "$rc" "$dt" "$*"
        exit "$rc"
    fi
    ci__record "$dt" ok "$@"
}

# Fail early, with a clear message, when a tool is missing (run ci/setup.sh).
ci_require() {
    local tool
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "!! [$CI_SCRIPT] '$tool' not found: run 'bash ci/setup.sh' first" >&2
            exit 127
        fi
    done
}

# ci_cross_test TRIPLE GCC QEMU: `cargo test --target TRIPLE`, linked by the Debian
# cross gcc GCC (e.g. aarch64-linux-gnu-gcc) and run by qemu-user QEMU (e.g.
# qemu-aarch64) over that gcc's sysroot. Extra libtest arguments follow `--`.
# The compile-fail suite is skipped: trybuild drives the host's cargo, and the
# host run (ci/test.sh) already checks the type-level contract.
ci_cross_test() {
    local triple=$1 gcc=$2 qemu=$3 var
    shift 3
    ci_require "$gcc" "$qemu"
    var=$(echo "$triple" | tr 'a-z-' 'A-Z_')
    export "CARGO_TARGET_${var}_LINKER=$gcc"
    export "CARGO_TARGET_${var}_RUNNER=$qemu -L /usr/${gcc%-gcc}"
    export "CC_${triple//-/_}=$gcc"
    # Tests that start copies of themselves (shm, multi-process histories) start
    # them through the same emulator (conformance's support::TEST_RUNNER_ENV).
    export RACEFREE_TEST_RUNNER="$qemu -L /usr/${gcc%-gcc}"
    ci_banner "cargo test --target $triple ($qemu)"
    ci_cargo_test "cargo test $triple ($qemu)" \
        cargo test --target "$triple" -- --skip compile_fail_contract "$@"
}
