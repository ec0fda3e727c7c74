//! Support for `tests/linearizability.rs`: history recording, the checker, sequential
//! models, workloads, and reference subjects (correct and broken).

pub mod checker;
pub mod harness;
pub mod history;
pub mod models;
pub mod reference;
pub mod subjects;
pub mod synth;
