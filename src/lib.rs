//! busplan: plans chartered buses, special trains and charter flights that take migrant
//! workers from their home counties to their employers, with regrouping at transfer hubs.
//!
//! This facade re-exports [`busplan_core`] (see its documentation for the pipeline) and, as
//! [`io`], [`busplan_io`] for planners' files.
#![forbid(unsafe_code)]

pub use busplan_core::*;

/// For planners: registration CSV import, departure points, manifests, GeoJSON, maps, roads.
pub use busplan_io as io;
