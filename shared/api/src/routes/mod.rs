//! Handlers, one module per resource.

pub mod cases;
pub mod integrations;
pub mod meta;
pub mod people;
