//! `zendesk-sim`: a seeded simulated Zendesk account on a loopback port, for the demo and
//! benchmarks.
//!
//! ```text
//! zendesk-sim [--port 8900] [--tickets 1000] [--users 200] [--agents 10] [--comments 3]
//!             [--seed 1] [--email admin@example.com] [--token sim-token]
//! ```

use std::process::ExitCode;

use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::{SeedSpec, SimConfig, Simulator};

struct Args {
    port: u16,
    email: String,
    token: String,
    spec: SeedSpec,
}

const USAGE: &str = "usage: zendesk-sim [--port N] [--tickets N] [--users N] [--agents N] \
[--comments N] [--seed N] [--email E] [--token T]";

fn parse_args(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        port: 8900,
        email: "admin@example.com".to_owned(),
        token: "sim-token".to_owned(),
        spec: SeedSpec {
            tickets: 1000,
            users: 200,
            agents: 10,
            comments_per_ticket: 3,
            seed: 1,
        },
    };
    while let Some(flag) = raw.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_owned());
        }
        let value = raw
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: {value:?} is not a number"))
        };
        match flag.as_str() {
            "--port" => {
                args.port = value
                    .parse()
                    .map_err(|_| format!("--port: {value:?} is not a port"))?
            }
            "--tickets" => args.spec.tickets = number()?,
            "--users" => args.spec.users = number()?,
            "--agents" => args.spec.agents = number()?,
            "--comments" => args.spec.comments_per_ticket = number()?,
            "--seed" => {
                args.spec.seed = value
                    .parse()
                    .map_err(|_| format!("--seed: {value:?} is not a number"))?
            }
            "--email" => args.email = value,
            "--token" => args.token = value,
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let config = SimConfig {
        bind: ([127, 0, 0, 1], args.port).into(),
        ..SimConfig::default()
    };
    let sim = match Simulator::start(config).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("zendesk-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    sim.add_api_user(&args.email, &args.token, UserRole::Admin);
    let started = std::time::Instant::now();
    let summary = sim.seed(args.spec);
    println!(
        "zendesk-sim on {} — {} tickets, {} comments, {} end-users, {} agents (seeded in {:?}); \
         API user {} (token given with --token)",
        sim.base_url(),
        summary.ticket_ids.len(),
        summary.comments,
        summary.end_user_ids.len(),
        summary.agent_ids.len(),
        started.elapsed(),
        args.email,
    );
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("zendesk-sim: cannot wait for Ctrl-C; stopping");
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_options_and_refuses_garbage() {
        let args = parse(&["--port", "9000", "--tickets", "20000", "--seed", "7"]).unwrap();
        assert_eq!(
            (args.port, args.spec.tickets, args.spec.seed),
            (9000, 20000, 7)
        );
        assert!(parse(&["--tickets", "many"]).is_err());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--bogus", "1"]).is_err());
    }
}
