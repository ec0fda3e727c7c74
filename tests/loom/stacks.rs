//! Loom models for the stacks.
