//! The `zendesk-sync` binary itself: it refuses to serve without a token secret, serves with
//! one (JSON logs when stdout is not a terminal), accepts the tokens `zendesk-sync token` mints,
//! and stops cleanly on SIGTERM and SIGINT, leaving the data directory to the next start.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_zendesk-sync");
const SECRET: &str = "cli-test-secret-8d02c4e1f7-2b6a91c0";

struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(data_dir: &Path) -> Running {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json"])
            .arg("--data-dir")
            .arg(data_dir)
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
    let minted = Command::new(BIN)
        .args(["token", "--email", "boss@acme.test", "--admin"])
        .env("ZSYNC_AUTH_SECRET", SECRET)
        .output()
        .expect("token");
    assert!(minted.status.success());
    let token = String::from_utf8_lossy(&minted.stdout).trim().to_owned();

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
