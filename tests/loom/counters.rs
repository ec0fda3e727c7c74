//! Loom models for the counters.
