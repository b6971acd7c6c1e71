//! busplan facade
