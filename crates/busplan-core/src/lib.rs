//! busplan: plans chartered buses, special trains and charter flights that take workers from
//! home to the factory gate, with regrouping at transfer hubs.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod check;
pub mod plan;
pub mod scenario;
pub mod travel;
pub mod validate;
