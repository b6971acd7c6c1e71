//! Integration tests, one binary, a module per feature.

mod common;
mod determinism;
mod docs;
mod examples;
mod exact;
mod properties;
mod replan;
mod solving;
