//! One module per subcommand, and `database`, which the issuer and loadgen commands share.

pub mod database;
pub mod demo;
pub mod door_log;
pub mod holder;
pub mod issuer;
pub mod loadgen;
pub mod present;
pub mod serve;
pub mod serve_attestation;
pub mod vectors;
mod vectors_p256;
pub mod verify;
pub mod wallet;
