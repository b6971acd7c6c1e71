//! Integration tests, one binary, a module per feature.

mod common;
mod determinism;
mod examples;
#[cfg(feature = "highs")]
mod exact;
mod properties;
mod solving;
