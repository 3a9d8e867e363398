//! `scripts/lambda-arch-check.sh`, which `scripts/lambda-build.sh` runs after the build: Lambda
//! binaries built for another machine than template.yaml's `Architectures` fail the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

/// The first 20 bytes of an ELF executable for `e_machine` (0xb7 aarch64, 0x3e x86-64).
fn elf(dir: &Path, name: &str, e_machine: u8) -> PathBuf {
    let mut header = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    header.extend([0; 8]);
    header.extend([2, 0, e_machine, 0]);
    let path = dir.join(name);
    std::fs::write(&path, header).expect("write");
    path
}

fn check(template: &Path, binaries: &[&Path]) -> (i32, String) {
    let out = Command::new("bash")
        .arg(repo().join("scripts/lambda-arch-check.sh"))
        .arg(template)
        .args(binaries)
        .output()
        .expect("bash runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn x86_64_binaries_fail_against_the_arm64_template() {
    let dir = tempfile::tempdir().expect("temp dir");
    let template = repo().join("template.yaml");
    let arm = elf(dir.path(), "arm", 0xb7);
    let x86 = elf(dir.path(), "x86", 0x3e);
    assert_eq!(check(&template, &[&arm]).0, 0);
    let (code, stderr) = check(&template, &[&arm, &x86]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("built for x86_64") && stderr.contains("[arm64]"),
        "{stderr}"
    );
    let not_elf = dir.path().join("script");
    std::fs::write(&not_elf, "#!/bin/sh\n").expect("write");
    assert_eq!(check(&template, &[&not_elf]).0, 1);
}

#[test]
fn the_declared_architecture_is_read_in_either_yaml_form() {
    let dir = tempfile::tempdir().expect("temp dir");
    let x86 = elf(dir.path(), "x86", 0x3e);
    let block = dir.path().join("block.yaml");
    std::fs::write(
        &block,
        "Globals:\n  Function:\n    Architectures:\n      - x86_64\n    Handler: bootstrap\n",
    )
    .expect("write");
    assert_eq!(check(&block, &[&x86]).0, 0);
    let none = dir.path().join("none.yaml");
    std::fs::write(&none, "Globals:\n  Function:\n    Handler: bootstrap\n").expect("write");
    assert_eq!(check(&none, &[&x86]).0, 2);
}
