//! Loom models for the seats.
