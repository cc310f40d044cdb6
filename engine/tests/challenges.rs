//! The challenge pack: every level loads, the exploration's own witness does not hand out
//! the levels that ask for an interleaving of their own, the verdicts say why a run misses,
//! and questions and proofs are judged by the engine.

use daxlab::Kernel;
use daxlab::challenge::{Challenge, Goal};
use daxlab::explore::{DfsScheduler, ExploreConfig, explore, replay};
use daxlab::scenario::{Execution, RunConfig, execute};
use daxlab::sim::DefaultScheduler;
use daxlab::trace::Trace;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn pack() -> Vec<(String, Challenge)> {
    let mut out: Vec<(String, Challenge)> = std::fs::read_dir(root().join("challenges"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), Challenge::load(&p).unwrap()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn challenge(file: &str) -> Challenge {
    Challenge::load(&root().join("challenges").join(file)).unwrap()
}

fn golden(stem: &str) -> Trace {
    Trace::load(&root().join("traces").join(format!("{stem}.daxtrace"))).unwrap()
}

/// The minimal witness exploration prints for the outcome (and notes) a reach goal asks.
fn explore_witness(c: &Challenge) -> Execution {
    let Goal::Reach { outcome, notes, max_preemptions, .. } = &c.goal else {
        panic!("{} is not a reach goal", c.title)
    };
    let bound = max_preemptions.unwrap_or(2);
    let report = explore(&c.scenario, &ExploreConfig::exhaustive(c.kernel, bound), &mut |_| {});
    let row = report
        .rows
        .iter()
        .find(|r| r.class == *outcome && notes.iter().all(|n| r.notes.contains(n)))
        .unwrap_or_else(|| panic!("{}: no interleaving within {bound} preemptions ends {outcome}", c.title));
    replay(&c.scenario, c.kernel, &row.witness.schedule).0
}

#[test]
fn the_pack_has_twelve_levels_in_order_each_with_a_story_and_hints() {
    let p = pack();
    assert_eq!(p.len(), 12);
    for (i, (file, c)) in p.iter().enumerate() {
        assert_eq!(c.level as usize, i + 1, "{file}: levels follow the file order");
        assert!(file.starts_with(&format!("{:02}-", i + 1)), "{file}");
        assert!(c.story.len() > 80 && !c.hints.is_empty(), "{file}");
        assert!(!c.goal_text().is_empty());
    }
}

/// Levels 2 to 4 ask for an interleaving of the player's own: what `daxlab explore` prints
/// (and `--witness-out` saves), and the trace in traces/, do not pass them.
#[test]
fn the_tools_own_witnesses_do_not_solve_the_interleaving_levels() {
    for file in ["02-first-blood.toml", "03-fewest-preemptions.toml", "04-harmless-eexist.toml", "12-one-cpu.toml"] {
        let c = challenge(file);
        let v = c.check_execution(c.kernel, &explore_witness(&c));
        assert!(!v.passed, "{file}: the exploration's witness passes: {}", v.message);
        assert!(v.message.contains("does not show"), "{file}: {}", v.message);
    }
    let seed = golden("seed-race.unfixed.bug-pte-under-huge-pmd");
    for file in ["02-first-blood.toml", "03-fewest-preemptions.toml"] {
        let v = challenge(file).check_trace(&seed);
        assert!(!v.passed, "{file}: the checked-in trace passes: {}", v.message);
    }
}

#[test]
fn wrong_runs_fail_with_a_reason() {
    let c2 = challenge("02-first-blood.toml");
    // Nobody preempted: T1 runs to its end first, nothing goes wrong.
    let calm = execute(&c2.scenario, &RunConfig::new(Kernel::UNFIXED), &mut DefaultScheduler);
    let v = c2.check_execution(Kernel::UNFIXED, &calm);
    assert!(!v.passed);
    assert!(
        v.message
            .starts_with("your run ended ok on the unfixed kernel; the goal is to make the unfixed kernel install"),
        "{}",
        v.message
    );
    // The right crash on the wrong kernel.
    let v = c2.check_trace(&golden("seed-race.fixed.same-interleaving"));
    assert!(!v.passed && v.message.contains("the challenge is about the unfixed kernel"), "{}", v.message);
    // The wrong scenario.
    let v = c2.check_trace(&golden("pte-vs-pmd.unfixed.bug-pte-under-huge-pmd"));
    assert!(!v.passed && v.message.contains("not the challenge's `seed-race`"), "{}", v.message);
    // A crash with three preemptions is not economical enough for level 3.
    let three = crash_with_preemptions(&c2, 3);
    let v = challenge("03-fewest-preemptions.toml").check_execution(Kernel::UNFIXED, &three);
    assert!(!v.passed, "{}", v.message);
    // An unfinished run.
    let mut paused = three.clone();
    paused.paused = calm_pause(&c2);
    assert!(paused.paused.is_some());
    let v = c2.check_execution(Kernel::UNFIXED, &paused);
    assert!(!v.passed && v.message.contains("not finished"), "{}", v.message);
}

fn crash_with_preemptions(c: &Challenge, n: u32) -> Execution {
    let mut dfs = DfsScheduler::new(n);
    loop {
        let ex = execute(&c.scenario, &RunConfig::new(c.kernel), &mut dfs);
        if ex.preemptions == n && ex.outcome.class() == "bug(pte-under-huge-pmd)" {
            return ex;
        }
        assert!(dfs.next_execution(), "some crash takes {n} preemptions");
    }
}

/// A pause as the interactive scheduler leaves it.
fn calm_pause(c: &Challenge) -> Option<daxlab::sim::Pause> {
    let mut s = daxlab::sim::InteractiveScheduler::new(Vec::new());
    execute(&c.scenario, &RunConfig::new(c.kernel), &mut s).paused
}

#[test]
fn an_edited_outcome_does_not_count() {
    let mut t = golden("seed-race.unfixed.bug-pte-under-huge-pmd");
    t.outcome = daxlab::Outcome::Ok;
    t.notes = vec![daxlab::Note::Fallback { reason: daxlab::dax::FallbackReason::GrabEexist }];
    let v = challenge("04-harmless-eexist.toml").check_trace(&t);
    assert!(!v.passed, "the replay's outcome is judged, not the recorded one: {}", v.message);
}

#[test]
fn a_proof_needs_a_bound_that_tells_the_kernels_apart() {
    let c = challenge("06-fixed-cannot-fail.toml");
    let v = c.prove(1);
    assert!(!v.passed && v.message.contains("none on the unfixed kernel either"), "{}", v.message);
    let v = c.prove(2);
    assert!(v.passed, "{}", v.message);
    assert!(v.message.contains("interleavings with at most 2 preemptions end without a failure"), "{}", v.message);
    assert!(v.message.contains("fails with bug(pte-under-huge-pmd)"), "{}", v.message);
    assert!(!c.prove(daxlab::challenge::MAX_PROOF_BOUND + 1).passed);
    let unfixed = explore(&c.scenario, &ExploreConfig::exhaustive(Kernel::UNFIXED, 2), &mut |_| {});
    assert!(!c.check_exploration(&unfixed).passed);
    let v = c.check_trace(&golden("seed-race.fixed.same-interleaving"));
    assert!(!v.passed && v.message.starts_with("one run cannot show"), "{}", v.message);
    // The same goal on the unfixed kernel is refuted, with the class found.
    let text = std::fs::read_to_string(root().join("challenges/06-fixed-cannot-fail.toml")).unwrap();
    let bad = text.replace("kernel = \"v4.11\"", "kernel = \"v4.11-rc5\"").replace("against = \"unfixed\"", "");
    let bad = Challenge::from_toml(&bad, "edited", Path::new(".")).unwrap();
    let v = bad.prove(2);
    assert!(!v.passed && v.message.contains("found bug(pte-under-huge-pmd) with 2 preemption(s)"), "{}", v.message);
}

#[test]
fn questions_are_judged_by_the_choice() {
    let c = challenge("08-the-neighbour.toml");
    let q = c.question.as_ref().expect("level 8 asks a question");
    let right = q.answer;
    assert!(c.check_answer(right).passed);
    let wrong = if right == 1 { 2 } else { 1 };
    assert!(!c.check_answer(wrong).passed);
    assert!(!c.check_answer(0).passed && !c.check_answer(q.choices.len() as u32 + 1).passed);
    assert!(!challenge("02-first-blood.toml").check_answer(1).passed, "no question, no answer");
}

#[test]
fn bad_challenge_files_are_refused_with_a_reason() {
    let good = std::fs::read_to_string(root().join("challenges/03-fewest-preemptions.toml")).unwrap();
    let refused = |text: String, want: &str| {
        let e = Challenge::from_toml(&text, "x.toml", Path::new(".")).unwrap_err().to_string();
        assert!(e.contains("x.toml") && e.contains(want), "{want}: {e}");
    };
    refused(good.replace("[goal]", "[goal]\ncolour = \"red\""), "colour");
    refused(good.replace("bug(pte-under-huge-pmd)", " "), "goal.outcome");
    refused(good.replace("thread = \"T1\"", "thread = \"T9\""), "goal.order[1].thread");
    refused(good.replace("event = \"replace\"", "event = \"teleport\""), "goal.order[2].event");
    let e = Challenge::from_toml(&good.replace("seed-race", "no-such.toml"), "x.toml", Path::new("/nonexistent"))
        .unwrap_err();
    assert!(e.to_string().contains("the challenge's scenario"), "{e}");
    let quiz = std::fs::read_to_string(root().join("challenges/08-the-neighbour.toml")).unwrap();
    refused(quiz.replace("answer = 2", "answer = 7"), "question");
    let proof = std::fs::read_to_string(root().join("challenges/06-fixed-cannot-fail.toml")).unwrap();
    refused(proof.replace("against = \"unfixed\"", "against = \"fixed\""), "goal.against");
    refused(proof.replace("against = \"unfixed\"", "against = \"v9.9\""), "goal.against");
    refused(good.replace("kernel = ", "cpus = 0\nkernel = "), "cpus");
    assert!(Challenge::load(Path::new("/nonexistent/c.toml")).is_err());
}

fn daxlab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_daxlab")).args(args).output().expect("daxlab runs")
}

#[test]
fn the_challenge_command_shows_a_level_and_checks_a_saved_run() {
    let c = root().join("challenges/05-the-fix-restarts.toml");
    let c = c.to_str().unwrap();
    let good = root().join("traces/seed-race.fixed.same-interleaving.daxtrace");
    let wrong = root().join("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace");
    let o = daxlab(&["challenge", c, good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("PASSED: You made the fixed kernel"));
    let o = daxlab(&["challenge", c, wrong.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("NOT YET:"));
    let o = daxlab(&["challenge", c, "--hints"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("hint 1:") && out.contains("question:") && out.contains("daxlab play"), "{out}");
    let o = daxlab(&["challenge", "missing.toml"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A level's `cpus` puts its scenario on that machine: the player's runs, the tool's
/// witnesses and the verdicts are all on it.
#[test]
fn a_level_on_one_cpu_runs_and_judges_on_one_cpu() {
    let c = challenge("12-one-cpu.toml");
    assert_eq!(c.scenario.cpu_count(), 1);
    assert!(c.goal_text().contains("with at most 2 preemptions on 1 CPU"), "{}", c.goal_text());
    // Its witness is a one-CPU run: every switch is the kernel's own, none another CPU's.
    let w = explore_witness(&c);
    assert!(!w.switches.is_empty());
    assert!(w.switches.iter().all(|s| s.how != daxlab::sim::SwitchHow::OtherCpu), "{:?}", w.switches);
    // Level 3 on its own machine is a different level: the same goal, one CPU per thread.
    let three = challenge("03-fewest-preemptions.toml");
    assert_eq!(three.scenario.cpu_count(), 2);
    assert!(!three.goal_text().contains("CPU"), "{}", three.goal_text());
    // A trace made on one CPU per thread does not count for the one-CPU level.
    let v = c.check_trace(&golden("seed-race.unfixed.bug-pte-under-huge-pmd"));
    assert!(!v.passed && v.message.contains("not the challenge's"), "{}", v.message);
}
