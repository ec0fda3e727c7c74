//! CAS-based counters: [`Counter`], [`BoundedCounter`], [`StripedCounter`].
//!
//! They need 64-bit atomics, which thumbv7em and riscv32imac lack: there they are
//! not compiled.
