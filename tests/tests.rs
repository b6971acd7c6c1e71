//! Integration tests, one binary, a module per feature.

mod common;
mod determinism;
mod examples;
mod exact;
mod properties;
mod solving;
