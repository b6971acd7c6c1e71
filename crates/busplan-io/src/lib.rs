//! busplan for planners: what goes between a labour bureau's spreadsheets and maps and the
//! planning core. Every function takes and returns values (text, bytes, plain data); only the
//! binary touches files.
//!
//! - [`import`]: worker registration and employer shortage CSVs into a scenario.
//! - [`pmedian`]: choosing departure points that minimise the workers' access distance.
//! - [`manifest`]: one row per worker, and one printable sheet per bus for its escort.
//! - [`geojson`]: the plan as GeoJSON for desktop GIS and web maps.
//! - [`map`]: SVG pictures of a plan and of labour supply against shortages.
//! - [`roads`]: road graphs from CSV edge lists or GeoJSON extracts, and road closures.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod geojson;
pub mod import;
pub mod manifest;
pub mod map;
pub mod pmedian;
pub mod roads;
