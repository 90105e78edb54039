//! Pieces every resource shares: tags on every object, set and read in one place.

pub mod tags;
