//! The `zendesk-sync` binary itself: it refuses to serve without a token secret, serves with
//! one (JSON logs when stdout is not a terminal), accepts the tokens `zendesk-sync token` mints,
//! stops cleanly on SIGTERM and SIGINT, leaving the data directory to the next start, and after
//! a SIGKILL in the middle of an export the next start continues that export within a minute.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zsync_mapping::zendesk::UserRole;
use zsync_zendesk_sim::{FaultPlan, SeedSpec, SimConfig, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_zendesk-sync");
const SECRET: &str = "cli-test-secret-8d02c4e1f7-2b6a91c0";

struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(data_dir: &Path) -> Running {
        Self::start_with(data_dir, &[])
    }

    /// `serve` with `extra` options after the test's own.
    fn start_with(data_dir: &Path, extra: &[&str]) -> Running {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .env("ZSYNC_AUTH_SECRET", SECRET)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first JSON log line whose message is `message` (waits at most 30 s).
    fn wait_for_log(&mut self, message: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else {
                break;
            };
            self.seen.push(line.clone());
            let json: Value = serde_json::from_str(&line).expect("every log line is JSON");
            if json["message"] == message {
                return json;
            }
        }
        panic!("no log {message:?}; saw {:#?}", self.seen)
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits (at most 30 s) for the process to exit; true if it exited successfully.
    fn wait_for_exit(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("did not stop within 30 s")
    }
}

/// An admin token minted by `zendesk-sync token`.
fn admin_token() -> String {
    let minted = Command::new(BIN)
        .args(["token", "--email", "boss@acme.test", "--admin"])
        .env("ZSYNC_AUTH_SECRET", SECRET)
        .output()
        .expect("token");
    assert!(minted.status.success());
    String::from_utf8_lossy(&minted.stdout).trim().to_owned()
}

#[test]
fn serve_refuses_to_start_without_a_token_secret() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("ZSYNC_AUTH_SECRET")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ZSYNC_AUTH_SECRET is not set"), "{stderr}");
    assert!(
        stderr.contains("zendesk-sync token"),
        "says how to go on: {stderr}"
    );
}

#[test]
fn serve_refuses_a_token_secret_shorter_than_32_bytes() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path())
        .env("ZSYNC_AUTH_SECRET", "only-twenty-bytes-xx")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ZSYNC_AUTH_SECRET is 20 bytes") && stderr.contains("at least 32"),
        "{stderr}"
    );
}

#[tokio::test]
async fn serve_answers_with_minted_tokens_and_stops_cleanly_on_signals() {
    let dir = tempfile::tempdir().expect("dir");
    let token = admin_token();

    for signal in ["-TERM", "-INT"] {
        let mut server = Running::start(dir.path());
        let serving = server.wait_for_log("zendesk-sync is serving");
        let addr = serving["addr"].as_str().expect("addr").to_owned();
        let http = reqwest::Client::new();
        let health = http
            .get(format!("http://{addr}/health"))
            .send()
            .await
            .expect("health");
        assert_eq!(health.status(), 200);
        let listed = http
            .get(format!("http://{addr}/integrations"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("integrations");
        assert_eq!(listed.status(), 200);
        let forged = http
            .get(format!("http://{addr}/integrations"))
            .bearer_auth(format!("{token}x"))
            .send()
            .await
            .expect("integrations");
        assert_eq!(forged.status(), 401);

        server.signal(signal);
        server.wait_for_log("stopped cleanly");
        assert!(server.wait_for_exit(), "exit status after {signal}");
        // The loop's second round starts on the same data directory: it was released.
    }
}

/// `POST` through the API; the answer must be a success.
async fn post(http: &reqwest::Client, base: &str, token: &str, path: &str, body: Value) -> Value {
    let response = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let json: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {path}: {status} {json}");
    json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_sigkill_mid_export_the_next_start_continues_the_export_within_a_minute() {
    const ZD_EMAIL: &str = "api@acme.test";
    const ZD_TOKEN: &str = "zd-token-kill-5519";
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("simulator");
    sim.add_api_user(ZD_EMAIL, ZD_TOKEN, UserRole::Admin);
    let tickets = sim
        .seed(SeedSpec {
            tickets: 30,
            users: 10,
            agents: 2,
            comments_per_ticket: 1,
            seed: 5,
        })
        .ticket_ids;
    // The first ticket-export request hangs: the process is killed while it holds the lease.
    sim.inject_faults(FaultPlan {
        next_timeouts: 1,
        timeout_delay: Duration::from_secs(120),
        endpoints: vec!["incremental_tickets".into()],
        ..FaultPlan::default()
    });
    let dir = tempfile::tempdir().expect("dir");
    // A short lease keeps the test quick; the default (45 s) is checked by the core's tests.
    let options = [
        "--allow-insecure-zendesk-url",
        "--poll-interval",
        "1h",
        "--export-lease-ttl",
        "6s",
    ];
    let mut server = Running::start_with(dir.path(), &options);
    let serving = server.wait_for_log("zendesk-sync is serving");
    let base = format!("http://{}", serving["addr"].as_str().expect("addr"));
    let http = reqwest::Client::new();
    let token = admin_token();
    let user = post(
        &http,
        &base,
        &token,
        "/users",
        json!({"email": "boss@acme.test", "name": "Boss", "roles": ["admin"]}),
    )
    .await;
    let integration = post(
        &http,
        &base,
        &token,
        "/integrations",
        json!({"type": "zendesk", "name": "Acme", "url": sim.base_url(),
               "api_email": ZD_EMAIL, "api_token": ZD_TOKEN,
               "owner_id": user["id"], "two_way_sync": false}),
    )
    .await;
    let id = integration["id"].as_str().expect("id").to_owned();
    post(
        &http,
        &base,
        &token,
        &format!("/integrations/{id}/activate"),
        json!({}),
    )
    .await;
    let job = post(
        &http,
        &base,
        &token,
        &format!("/integrations/{id}/sync"),
        json!({"full": true}),
    )
    .await;
    let job_id = job["id"].as_str().expect("job").to_owned();

    let waiting = Instant::now() + Duration::from_secs(30);
    while sim.request_count("incremental_tickets") == 0 {
        assert!(Instant::now() < waiting, "the export never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.signal("-KILL");
    let killed = Instant::now();
    assert!(!server.wait_for_exit(), "killed, not stopped");
    sim.clear_faults();

    let mut server = Running::start_with(dir.path(), &options);
    let serving = server.wait_for_log("zendesk-sync is serving");
    let base = format!("http://{}", serving["addr"].as_str().expect("addr"));
    let within = Duration::from_secs(60);
    loop {
        let job = http
            .get(format!("{base}/integrations/{id}/jobs/{job_id}"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("job")
            .json::<Value>()
            .await
            .expect("job json");
        let cases = http
            .get(format!("{base}/cases?integration_id={id}&limit=200"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("cases")
            .json::<Value>()
            .await
            .expect("cases json");
        let imported = cases["items"].as_array().map_or(0, Vec::len);
        if job["state"] == "succeeded" && imported == tickets.len() {
            break;
        }
        assert!(
            killed.elapsed() < within,
            "the export did not continue within {within:?} of the kill: job {job}, {imported} of {} cases",
            tickets.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("export finished {:?} after the kill", killed.elapsed());
    server.signal("-TERM");
    assert!(server.wait_for_exit());
}
