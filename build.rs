//! Names each target predicate the crate keys on, once, as a cfg:
//!
//! - `racefree_atomic_64`: native 64-bit atomics (or loom, which models them):
//!   the counters exist.
//! - `racefree_double_word_cas`: a compare-and-swap twice the pointer width (or
//!   loom's stand-in), and the `alloc` feature: `TreiberStack` and its
//!   tagged-pointer head exist (nothing else uses the double word).
//!   128-bit CAS on x86_64 (`cmpxchg16b`, detected at run time) and aarch64
//!   (`casp` / `ldxp`-`stxp`); 64-bit CAS on 32-bit targets that have it.
//!
//! The sources say `#[cfg(racefree_atomic_64)]` instead of spelling the
//! condition out at every use.
use std::env;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(racefree_atomic_64)");
    println!("cargo::rustc-check-cfg=cfg(racefree_double_word_cas)");

    let var = |name: &str| env::var(name).unwrap_or_default();
    let loom = env::var_os("CARGO_CFG_LOOM").is_some();
    let has_atomic_64 = var("CARGO_CFG_TARGET_HAS_ATOMIC")
        .split(',')
        .any(|w| w == "64");
    let arch = var("CARGO_CFG_TARGET_ARCH");
    let width = var("CARGO_CFG_TARGET_POINTER_WIDTH");

    if loom || has_atomic_64 {
        println!("cargo::rustc-cfg=racefree_atomic_64");
    }
    let double_word = match width.as_str() {
        "64" => arch == "x86_64" || arch == "aarch64",
        "32" => has_atomic_64,
        _ => false,
    };
    let alloc = env::var_os("CARGO_FEATURE_ALLOC").is_some();
    if alloc && (loom || double_word) {
        println!("cargo::rustc-cfg=racefree_double_word_cas");
    }
}
