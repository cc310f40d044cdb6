//! `daxlab play`: every level of the pack solved from the shell, and the interactive game
//! driven through standard input as a player would type it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn level(file: &str) -> String {
    root().join("challenges").join(file).display().to_string()
}

fn daxlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_daxlab")).args(args).output().expect("daxlab runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Plays interactively, typing `input`.
fn play_typing(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_daxlab"))
        .arg("play")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("daxlab starts");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daxlab-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// One solution per level, as `daxlab play` flags: docs/challenges.md promises every level
/// can be played from the shell.
const SOLUTIONS: &[(&str, &[&str])] = &[
    ("01-first-steps.toml", &["--schedule", "T1:lock_acquire,T2:lock_contended"]),
    ("02-first-blood.toml", &["--schedule", "T2:preload,T1:tag_set,T1,T2"]),
    ("03-fewest-preemptions.toml", &["--schedule", "T1:preload,T2:grab_return,T1"]),
    ("04-harmless-eexist.toml", &["--schedule", "T2:preload,T1*100", "--answer", "2"]),
    ("05-the-fix-restarts.toml", &["--schedule", "T1:preload,T2:tag_set,T2,T1", "--answer", "3"]),
    ("06-fixed-cannot-fail.toml", &["--bound", "2"]),
    ("07-legitimate-eexist.toml", &["--schedule", "T2*1000", "--answer", "1"]),
    ("08-the-neighbour.toml", &["--schedule", "T1:pmd_check,T2*1000", "--answer", "2"]),
    ("09-out-of-memory.toml", &["--schedule", "T2:preload,fail,T2:preload,fail", "--answer", "2"]),
    ("10-what-the-fix-removed.toml", &["--schedule", "T2:preload,T1:insert,T2", "--answer", "3"]),
    ("11-the-backport.toml", &["--bound", "2", "--answer", "2"]),
    ("12-one-cpu.toml", &["--schedule", "T1:lock_release,T2:grab_return,T1", "--answer", "3"]),
];

#[test]
fn every_level_can_be_solved_from_the_shell() {
    let files: Vec<String> = std::fs::read_dir(root().join("challenges"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    assert_eq!(files.len(), SOLUTIONS.len(), "a solution for every level");
    for (file, flags) in SOLUTIONS {
        let path = level(file);
        let mut args = vec!["play", path.as_str()];
        args.extend_from_slice(flags);
        let o = daxlab(&args);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{file}: {out}{}", String::from_utf8_lossy(&o.stderr));
        assert!(out.contains("PASSED") && !out.contains("NOT YET"), "{file}: {out}");
    }
}

#[test]
fn a_level_is_not_passed_without_its_answer_or_with_a_wrong_one() {
    let l = level("08-the-neighbour.toml");
    let o = daxlab(&["play", &l, "--schedule", "T1:pmd_check,T2*1000"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("run: PASSED") && stdout(&o).contains("answer: NOT YET"), "{}", stdout(&o));
    let o = daxlab(&["play", &l, "--schedule", "T1:pmd_check,T2*1000", "--answer", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = daxlab(&["play", &level("06-fixed-cannot-fail.toml"), "--bound", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("cannot tell a fixed kernel from a broken one"), "{}", stdout(&o));
}

#[test]
fn a_scheduled_run_is_saved_as_a_trace_that_the_challenge_command_accepts() {
    let out = scratch("first-blood.daxtrace");
    let l = level("02-first-blood.toml");
    let o = daxlab(&["play", &l, "--schedule", "T2:preload,T1:tag_set,T1,T2", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = daxlab(&["challenge", &l, out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = daxlab(&["replay", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "the saved run replays: {}", stdout(&o));
}

#[test]
fn bad_schedules_exit_2_naming_the_pick() {
    let cases: &[(&str, &str)] = &[
        ("T3", "pick 1: `T3` is not a thread of seed-race"),
        ("T1,T1:teleport", "pick 2: `T1:teleport`: `teleport` is not an event kind"),
        ("T1*0", "the count after `*` must be a number from 1 to 10000"),
        ("fail", "nothing can be made to fail here"),
        ("T1*100,T2", "pick 2 (`T2`): the run is over"),
    ];
    for (schedule, want) in cases {
        let o = daxlab(&["play", "seed-race", "--schedule", schedule]);
        assert_eq!(o.status.code(), Some(2), "{schedule}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{schedule}: {err}");
    }
    let o = daxlab(&["play", "seed-race", "--answer", "1"]);
    assert_eq!(o.status.code(), Some(2));
    let o = daxlab(&["play", &level("02-first-blood.toml"), "--variant", "fixed"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("plays on the unfixed kernel"));
    let o = daxlab(&["play", &level("06-fixed-cannot-fail.toml"), "--bound", "4000000000"]);
    assert_eq!(o.status.code(), Some(2), "a bound past the proof limit is bad usage: {}", stdout(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--bound"));
}

#[test]
fn without_a_challenge_the_exit_code_is_the_outcome() {
    let o = daxlab(&["play", "seed-race", "--schedule", "T1:preload,T2*16,T1"]);
    assert_eq!(o.status.code(), Some(1), "a failure was found: {}", stdout(&o));
    let o = daxlab(&["play", "seed-race", "--variant", "fixed", "--schedule", "T1:preload,T2*16,T1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

/// A player who types the moves of level 2, looks at the state, takes a hint, undoes a
/// pick, and saves the run.
#[test]
fn the_interactive_game_reads_moves_from_stdin() {
    let saved = scratch("typed.daxtrace");
    let input = format!(
        "help\nT2 until preload\nT1 until tag_set\nT1\nT1\nundo\nstate\nhint\nT9\nT2\nfinish\nsave {}\n",
        saved.display()
    );
    let o = play_typing(&[&level("02-first-blood.toml")], &input);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
    for want in [
        "Level 2: First blood",
        "goal: make the unfixed kernel install a 4 KiB PTE under a huge PMD",
        "T1 until KIND",                                        // help
        "step 0: who runs next?",                               // the first turn
        "would: ",                                              // what each thread would do
        "(T2 could go on; T1's CPU runs ahead: +1 preemption)", // a pick that preempts is marked
        "tree_lock",                                            // the state after a step
        "hint 1:",                                              // hint
        "`T9` is not a thread of seed-race",                    // a typo does not end the game
        "T2's PMD fault falls back to 4 KiB",                   // the narrated steps
        "run: PASSED",                                          // the verdict when the run ends
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let o = daxlab(&["challenge", &level("02-first-blood.toml"), saved.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "the saved run passes: {}", stdout(&o));
}

#[test]
fn an_injected_failure_and_a_question_interactively() {
    let o = play_typing(
        &[&level("09-out-of-memory.toml")],
        "T2 until preload\nfail\nT2 until preload\nfail\nanswer 4\nanswer 2\n",
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("fail  T2's radix_tree_preload() fails with -ENOMEM"), "the failure is offered: {out}");
    assert!(out.contains("injected: T2's radix_tree_preload() fails with -ENOMEM"), "{out}");
    assert!(out.contains("answer: NOT YET") && out.contains("answer: PASSED"), "{out}");
    let o = play_typing(&[&level("06-fixed-cannot-fail.toml")], "prove 1\nprove 2\n");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("proof: NOT YET") && out.contains("proof: PASSED"), "{out}");
}

/// On one CPU a pick that takes a thread's CPU says so, and a thread with preemption off
/// keeps its CPU: level 3's moves do not reach level 12's goal.
#[test]
fn on_one_cpu_the_game_names_real_preemptions() {
    let o = play_typing(&[&level("12-one-cpu.toml")], "T1 until lock_release\n");
    let out = stdout(&o);
    assert!(out.contains("2 threads on 1 CPU"), "the machine is said: {out}");
    assert!(out.contains("(T1 is preempted; T2 runs on its CPU: +1 preemption)"), "{out}");
    let o = daxlab(&["play", &level("12-one-cpu.toml"), "--schedule", "T1:preload,T2:grab_return,T1", "--answer", "3"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("run: NOT YET") && out.contains("on 1 CPU"), "{out}");
    // A level's machine is its own; a scenario takes --cpus.
    let o = daxlab(&["play", &level("12-one-cpu.toml"), "--cpus", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("plays on its own machine"));
    let saved = scratch("one-cpu.daxtrace");
    let saved = saved.to_str().unwrap();
    let o =
        daxlab(&["play", "seed-race", "--cpus", "1", "--schedule", "T1:lock_release,T2:grab_return,T1", "-o", saved]);
    assert_eq!(o.status.code(), Some(1), "the crash is a failure: {}", stdout(&o));
    assert!(stdout(&o).contains("2 preemptions on 1 CPU"), "{}", stdout(&o));
    // The trace keeps its machine: its replay runs on one CPU and says so.
    let o = daxlab(&["explain", saved]);
    assert!(stdout(&o).contains("2 preemption(s) on 1 CPU"), "{}", stdout(&o));
    assert!(stdout(&o).contains("T2 is preempted; T1 runs on its CPU"), "{}", stdout(&o));
}
