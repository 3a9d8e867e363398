//! Lambda cold start: each function binary is executed against a tiny Lambda Runtime API stub
//! on 127.0.0.1, and the time from exec to its first `GET /2018-06-01/runtime/invocation/next`
//! is taken (the init phase: tracing, environment, SDK clients). The stub never answers the
//! request; the process is killed after it arrived.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const FUNCTIONS: [&str; 4] = ["webhook", "scheduler", "mapper", "api"];

pub struct ColdStart {
    pub function: &'static str,
    pub binary: PathBuf,
    pub size_bytes: u64,
    /// Exec → first `next` request; `Err` says why there was none.
    pub init: Result<Duration, String>,
}

/// The environment the mains read (shared/lambda), with values that need no network at init.
fn lambda_env(runtime_api: &str, function: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", format!("zsync-{function}")),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "bench".into()),
        ("AWS_SECRET_ACCESS_KEY", "bench".into()),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".into()),
        ("ZSYNC_TABLE_NAME", "zsync-bench".into()),
        (
            "ZSYNC_QUEUE_URL",
            "http://127.0.0.1:9/000000000000/zsync-bench".into(),
        ),
        (
            "ZSYNC_DLQ_URL",
            "http://127.0.0.1:9/000000000000/zsync-bench-dlq".into(),
        ),
        ("ZSYNC_SECRET_PREFIX", "zsync-bench/".into()),
        ("ZSYNC_PUBLIC_URL", "https://bench.example.com".into()),
        ("ZSYNC_MAX_RECEIVES", "5".into()),
        ("RUST_LOG", "warn".into()),
    ]
}

pub fn measure(bin_dir: &Path) -> Vec<ColdStart> {
    FUNCTIONS
        .iter()
        .filter_map(|&function| {
            let binary = bin_dir.join(function);
            let size_bytes = std::fs::metadata(&binary).ok()?.len();
            let init = time_init(&binary, function);
            Some(ColdStart {
                function,
                binary,
                size_bytes,
                init,
            })
        })
        .collect()
}

fn time_init(binary: &Path, function: &str) -> Result<Duration, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (seen, next_request) = mpsc::channel();
    // The stub: the first request line that asks for the next invocation is the signal.
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(stream) = stream else { continue };
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_ok()
                && line.starts_with("GET /2018-06-01/runtime/invocation/next")
            {
                let _ = seen.send(Instant::now());
                // Hold the connection open until the process is killed.
                std::thread::sleep(Duration::from_secs(5));
                return;
            }
        }
    });
    let started = Instant::now();
    let mut child = Command::new(binary)
        .envs(lambda_env(&addr.to_string(), function))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let answer = next_request.recv_timeout(Duration::from_secs(5));
    let _ = child.kill();
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    match answer {
        Ok(at) => Ok(at.duration_since(started)),
        Err(_) => Err(format!(
            "no `next` request within 5 s; stderr: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}
