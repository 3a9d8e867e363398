//! `zendesk-sync`: the local server (`serve`), the demo (`demo`) and a token helper (`token`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use zendesk_sync::logging::{self, FilterHandle, LogFormat};
use zendesk_sync::options::{DEFAULT_ADDR, DEFAULT_DATA_DIR, ServeOptions, parse_duration};
use zendesk_sync::{DemoError, DemoOptions, LocalServer, StartError, mint_token, run_demo};
use zsync_api::{AUTH_SECRET_ENV, Auth, AuthConfigError};

#[derive(Parser)]
#[command(
    name = "zendesk-sync",
    version,
    about = "Keeps Zendesk and the CRM in sync — locally, in one process."
)]
struct Cli {
    /// Log lines for people (pretty) or machines (json); auto = pretty on a terminal.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API, the webhook route, the scheduler and the mapper on embedded storage.
    ///
    /// Callers authenticate with HS256 JWTs signed with the secret in ZSYNC_AUTH_SECRET
    /// (claims: email, roles, exp); `zendesk-sync token` mints one.
    Serve(ServeArgs),
    /// Start the same stack plus a simulated, seeded Zendesk, run a first sync and show it.
    Demo(DemoArgs),
    /// Print an HS256 token signed with ZSYNC_AUTH_SECRET, for curl and scripts.
    Token(TokenArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// HTTP address for the API and the webhook route.
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Embedded, persistent store and queue.
    #[arg(long, default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// Base URL given to Zendesk when registering the webhook [default: http://<addr>].
    #[arg(long)]
    public_url: Option<String>,
    /// Accept http:// and non-zendesk.com integration URLs (simulators).
    #[arg(long)]
    allow_insecure_zendesk_url: bool,
    /// The schedule of the scheduler function, e.g. 30s, 5m, 1h.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    poll_interval: Duration,
    /// How long an export's lease outlives a crashed process (renewed while exporting).
    #[arg(long, default_value = "45s", value_parser = parse_duration)]
    export_lease_ttl: Duration,
}

#[derive(Args)]
struct DemoArgs {
    /// HTTP address for the API.
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Keep the data here instead of a temporary directory removed at exit.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Tickets to generate in the simulated account.
    #[arg(long, default_value_t = 300)]
    tickets: usize,
    /// Seed of the generated account (same seed, same account).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The schedule of the scheduler function after the first sync.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    poll_interval: Duration,
}

#[derive(Args)]
struct TokenArgs {
    /// The caller's e-mail (a CRM user, or anyone with --admin).
    #[arg(long)]
    email: String,
    /// Give the token the admin role.
    #[arg(long)]
    admin: bool,
    /// How long the token is valid.
    #[arg(long, default_value = "12h", value_parser = parse_duration)]
    valid_for: Duration,
}

const NO_SECRET_HELP: &str = "set it to a long random string, for example\n  \
    export ZSYNC_AUTH_SECRET=$(head -c 32 /dev/urandom | base64)\n\
    then mint a token with `zendesk-sync token --email you@example.com --admin`";

fn auth_secret() -> Result<SecretString, String> {
    match std::env::var(AUTH_SECRET_ENV) {
        Ok(secret) if !secret.trim().is_empty() => Ok(SecretString::from(secret)),
        _ => Err(format!(
            "{}; {NO_SECRET_HELP}",
            AuthConfigError::MissingSecret
        )),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Serve(args) => {
            let _fixed = logging::init(cli.log_format, "info");
            serve(args).await
        }
        Command::Demo(args) => {
            // Quiet while the progress bar runs; RUST_LOG shows more.
            let filter = logging::init(cli.log_format, "warn");
            demo(args, filter).await
        }
        Command::Token(args) => token(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("zendesk-sync: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let secret = auth_secret()?;
    let auth = Auth::hs256(&secret).map_err(|e| e.to_string())?;
    let mut options = ServeOptions::new(args.addr, args.data_dir);
    options.public_url = args.public_url;
    options.allow_insecure_zendesk_urls = args.allow_insecure_zendesk_url;
    options.poll_interval = args.poll_interval;
    options.export_lease_ttl = args.export_lease_ttl;
    let server = LocalServer::start(options, auth)
        .await
        .map_err(start_error)?;
    wait_for_signal().await;
    let report = server.shutdown().await;
    if report.abandoned.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "stopped with unfinished work ({:?}); it is redone at the next start",
            report.abandoned
        ))
    }
}

async fn demo(args: DemoArgs, filter: FilterHandle) -> Result<(), String> {
    let options = DemoOptions {
        addr: args.addr,
        data_dir: args.data_dir,
        tickets: args.tickets,
        seed: args.seed,
        poll_interval: args.poll_interval,
        auth_secret: std::env::var(AUTH_SECRET_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .map(SecretString::from),
        ..DemoOptions::default()
    };
    eprintln!(
        "zendesk-sync demo: seeding a simulated Zendesk with {} tickets…",
        options.tickets
    );
    // Ctrl-C during the first sync stops at once (nothing is kept of a temporary demo).
    let demo = tokio::select! {
        demo = run_demo(options) => demo.map_err(|e| match e {
            DemoError::Start(e) => start_error(e),
            other => other.to_string(),
        })?,
        () = wait_for_signal() => return Err("interrupted before the first sync finished".into()),
    };
    let base = demo.server.base_url();
    println!(
        "{}",
        demo.summary.render(&demo.account, &base, &demo.admin_token)
    );
    let kept = if demo.temporary {
        "a temporary directory, removed on exit"
    } else {
        "kept after exit"
    };
    println!(
        "Data: {} ({kept}). Serving on {base} — press Ctrl-C to stop.",
        demo.data_dir.display()
    );
    // From now on requests are logged as `serve` logs them.
    filter.set("info");
    wait_for_signal().await;
    demo.shutdown().await;
    Ok(())
}

fn start_error(e: StartError) -> String {
    match e {
        StartError::Bind { .. } => format!("{e}; choose another address with --addr"),
        other => other.to_string(),
    }
}

fn token(args: TokenArgs) -> Result<(), String> {
    let secret = auth_secret()?;
    let roles: &[&str] = if args.admin { &["admin"] } else { &[] };
    let token =
        mint_token(&secret, &args.email, roles, args.valid_for).map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn wait_for_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C still works");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        result = tokio::signal::ctrl_c() => {
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_has_api_md_defaults_and_takes_humane_intervals() {
        let cli = Cli::try_parse_from(["zendesk-sync", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.addr, DEFAULT_ADDR.parse().unwrap());
        assert_eq!(args.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(args.public_url, None);
        assert!(!args.allow_insecure_zendesk_url);
        assert_eq!(args.poll_interval, Duration::from_secs(300));
        assert_eq!(
            args.export_lease_ttl,
            zendesk_sync::options::DEFAULT_EXPORT_LEASE_TTL
        );
        let cli = Cli::try_parse_from([
            "zendesk-sync",
            "serve",
            "--poll-interval",
            "30s",
            "--allow-insecure-zendesk-url",
            "--public-url",
            "https://sync.example.com",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.poll_interval, Duration::from_secs(30));
        assert!(args.allow_insecure_zendesk_url);
        let cli =
            Cli::try_parse_from(["zendesk-sync", "serve", "--export-lease-ttl", "10s"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert_eq!(args.export_lease_ttl, Duration::from_secs(10));
        assert!(Cli::try_parse_from(["zendesk-sync", "serve", "--poll-interval", "soon"]).is_err());
    }
}
