//! `daxlab … | head` closes daxlab's standard output early. Every command must then end
//! quietly, as Unix tools do (killed by SIGPIPE, or exiting), never with a panic.

use std::path::Path;
use std::process::{Command, Stdio};

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path).display().to_string()
}

/// Runs daxlab with a standard output whose reading end is already closed.
fn run_into_closed_pipe(args: &[&str]) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let child = Command::new(env!("CARGO_BIN_EXE_daxlab"))
        .args(args)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .expect("daxlab starts");
    let out = child.wait_with_output().expect("daxlab ends");
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn every_command_ends_quietly_when_stdout_is_closed() {
    let trace = repo("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace");
    let challenge = repo("challenges/02-first-blood.toml");
    let commands: Vec<Vec<&str>> = vec![
        vec!["scenarios"],
        vec!["show", "seed-race"],
        vec!["explore", "seed-race"],
        vec!["explore", "seed-race", "--json"],
        vec!["replay", &trace, "--transcript"],
        vec!["replay", &trace, "--to", "24"],
        vec!["explain", &trace],
        vec!["diff", &trace],
        vec!["export", &trace],
        vec!["export", &trace, "--format", "text"],
        vec!["challenge", &challenge, "--hints"],
        vec!["play", &challenge, "--schedule", "T2:preload,T1:tag_set,T1,T2"],
        vec!["play", "seed-race"],
        vec!["stress", "holetest", "--variant", "fixed", "--iterations", "1", "--sizes", "1"],
        vec!["--help"],
    ];
    for args in commands {
        let (status, stderr) = run_into_closed_pipe(&args);
        assert!(!stderr.contains("panicked"), "daxlab {args:?} panicked:\n{stderr}");
        assert!(stderr.trim().is_empty(), "daxlab {args:?} printed to stderr:\n{stderr}");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            let quiet = status.signal() == Some(libc_sigpipe()) || matches!(status.code(), Some(0 | 1));
            assert!(quiet, "daxlab {args:?} ended with {status}");
        }
    }
}

/// SIGPIPE is 13 on every Linux architecture.
#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13
}
