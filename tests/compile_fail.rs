//! The type-level contract, checked by the compiler: each file in
//! `tests/compile-fail/` must fail to compile, with exactly the error recorded
//! beside it in its `.stderr` file (so it fails for the stated reason, not for a
//! typo). Covered: invariance of both stacks in `T`, stacks of `!Send` items are
//! neither `Send` nor `Sync`, seats and seat groups cannot outlive their pool,
//! tickets are neither `Clone` nor `Deserialize`, `cancel` consumes the ticket and `confirm` the seat.
//!
//! The expected messages are those of the stable toolchain CI runs; after a
//! compiler upgrade changes their wording, review the new text and refresh them
//! with `TRYBUILD=overwrite cargo test --test compile_fail`.
#![cfg(not(loom))]

#[test]
fn compile_fail_contract() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile-fail/*.rs");
}
