//! One module per subcommand.

pub mod demo;
pub mod holder;
pub mod issuer;
pub mod loadgen;
pub mod present;
pub mod serve;
pub mod vectors;
pub mod verify;
pub mod wallet;
