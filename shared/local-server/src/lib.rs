//! zendesk-sync's local server: every function's code in one process on embedded, persistent
//! adapters (`serve`), and a demo against a simulated Zendesk (`demo`). Same code paths as the
//! Lambdas — this crate only wires them.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use zendesk_sync::{LocalServer, ServeOptions};
//! let options = ServeOptions::new("127.0.0.1:3000".parse()?, "./.zendesk-sync");
//! let server = LocalServer::start(options, zsync_api::Auth::hs256_from_env()?).await?;
//! // ... until Ctrl-C:
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod demo;
pub mod logging;
pub mod options;
pub mod scheduler;
pub mod server;
pub mod token;

pub use demo::{Demo, DemoError, DemoOptions, run_demo};
pub use options::{ServeOptions, parse_duration};
pub use server::{LocalServer, ShutdownReport, StartError};
pub use token::{generate_secret, mint_token};
