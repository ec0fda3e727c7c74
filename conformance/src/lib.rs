//! Dev-only conformance kit shared by every racefree tier's tests (in-process,
//! Redis, ...): one definition of what "correct" means, run against each.
//!
//! - [`history`]: recording concurrent histories against one logical clock;
//! - [`checker`]: the Wing–Gong linearizability search (memoised), and a
//!   brute-force oracle to test it;
//! - [`models`]: the sequential specifications (counter, bounded counter, stack,
//!   seat pool), written from the API contract alone;
//! - [`harness`] and [`subjects`]: randomized rounds of threads and the per-family
//!   workloads that drive any subject implementing the small `*Like` traits;
//! - [`processes`]: histories recorded by several OS processes on one object
//!   (shared memory, a server), on the system-wide monotonic clock (Unix);
//! - [`synth`]: synthetic linearizable histories for testing the checker;
//! - [`server`]: starting and stopping a throwaway `redis-server` on 127.0.0.1
//!   for tests, demos and benchmarks (no dependency on any Redis client);
//! - [`postgres_server`]: the same for a throwaway PostgreSQL 15 cluster
//!   (`initdb` in a temporary directory, 127.0.0.1 only, stopped on drop);
//! - [`support`]: a free port, fresh temporary directories and names, bounded
//!   polling and the killed-client fault child, for the servers and tier tests;
//! - [`untagged_stack`]: a DELIBERATELY BROKEN (untagged) index stack beside the
//!   same algorithm with a tag, for the ABA tests, loom models and demo.
//!
//! This crate is `publish = false`: it exists for tests only.

pub mod checker;
pub mod harness;
pub mod history;
pub mod models;
pub mod postgres_server;
#[cfg(unix)]
pub mod processes;
pub mod server;
pub mod subjects;
pub mod support;
pub mod synth;
pub mod untagged_stack;
