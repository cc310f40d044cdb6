//! The challenge pack: every level loads, a known-good run passes it, wrong runs do not,
//! and the verdicts say why.

use daxlab::Kernel;
use daxlab::challenge::{Challenge, Goal};
use daxlab::explore::{DfsScheduler, ExploreConfig, explore, replay};
use daxlab::scenario::{Execution, RunConfig, execute};
use daxlab::sim::DefaultScheduler;
use daxlab::trace::{RecordMode, Trace};
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

/// A run that reaches a "reach" goal: the minimal witness of a matching outcome row.
fn solution(c: &Challenge) -> Execution {
    let Goal::Reach { outcome, notes, max_preemptions } = &c.goal else { panic!("{} is not a reach goal", c.title) };
    let bound = max_preemptions.unwrap_or(2);
    let report = explore(&c.scenario, &ExploreConfig::exhaustive(c.kernel, bound), &mut |_| {});
    let row = report
        .rows
        .iter()
        .find(|r| {
            (r.class == *outcome || (outcome == "any-failure" && r.failure))
                && notes.iter().all(|n| r.notes.contains(n))
        })
        .unwrap_or_else(|| panic!("{}: no interleaving within {bound} preemptions reaches the goal", c.title));
    replay(&c.scenario, c.kernel, &row.witness.schedule).0
}

#[test]
fn the_pack_has_eight_levels_in_order_each_with_a_story_and_hints() {
    let p = pack();
    assert_eq!(p.len(), 8);
    for (i, (file, c)) in p.iter().enumerate() {
        assert_eq!(c.level as usize, i + 1, "{file}: levels follow the file order");
        assert!(file.starts_with(&format!("{:02}-", i + 1)), "{file}");
        assert!(c.story.len() > 80 && !c.hints.is_empty(), "{file}");
        assert!(!c.goal_text().is_empty());
    }
}

#[test]
fn a_known_good_run_passes_every_reach_level() {
    for (file, c) in pack() {
        if matches!(c.goal, Goal::CannotFail { .. }) {
            continue;
        }
        let ex = solution(&c);
        let v = c.check_execution(c.kernel, &ex);
        assert!(v.passed, "{file}: {}", v.message);
        assert!(v.message.starts_with(&format!("You made the {} kernel", c.kernel.label())), "{file}: {}", v.message);
        let trace = Trace::from_execution(&c.scenario, c.kernel, RecordMode::Interactive, &ex);
        assert!(c.check_trace(&trace).passed, "{file}: the saved run passes too");
    }
}

#[test]
fn the_checked_in_seed_witness_passes_levels_1_and_2_and_says_so() {
    let t = golden("seed-race.unfixed.bug-pte-under-huge-pmd");
    for file in ["01-first-blood.toml", "02-fewest-preemptions.toml"] {
        let v = challenge(file).check_trace(&t);
        assert!(v.passed, "{file}: {}", v.message);
        assert_eq!(v.message, "You made the unfixed kernel install a 4 KiB PTE under a huge PMD in 2 preemptions.");
    }
    let v = challenge("04-the-fix-restarts.toml").check_trace(&golden("seed-race.fixed.same-interleaving"));
    assert!(v.passed, "{}", v.message);
}

#[test]
fn wrong_runs_fail_with_a_reason() {
    let c1 = challenge("01-first-blood.toml");
    // Nobody preempted: T1 runs to its end first, nothing goes wrong.
    let calm = execute(&c1.scenario, &RunConfig::new(Kernel::UNFIXED), &mut DefaultScheduler);
    let v = c1.check_execution(Kernel::UNFIXED, &calm);
    assert!(!v.passed);
    assert!(
        v.message
            .starts_with("your run ended ok on the unfixed kernel; the goal is to make the unfixed kernel install"),
        "{}",
        v.message
    );
    // The right crash on the wrong kernel.
    let v = c1.check_trace(&golden("seed-race.fixed.same-interleaving"));
    assert!(!v.passed && v.message.contains("the challenge is about the unfixed one"), "{}", v.message);
    // The wrong scenario.
    let v = c1.check_trace(&golden("pte-vs-pmd.unfixed.bug-pte-under-huge-pmd"));
    assert!(!v.passed && v.message.contains("not the challenge's `seed-race`"), "{}", v.message);
    // A crash with three preemptions is not economical enough for level 2.
    let three = crash_with_preemptions(&c1, 3);
    assert!(c1.check_execution(Kernel::UNFIXED, &three).passed);
    let v = challenge("02-fewest-preemptions.toml").check_execution(Kernel::UNFIXED, &three);
    assert!(!v.passed && v.message.contains("it took 3 preemptions; can you do it with 2?"), "{}", v.message);
    // An unfinished run.
    let mut paused = three.clone();
    paused.paused = calm_pause(&c1);
    assert!(paused.paused.is_some());
    let v = c1.check_execution(Kernel::UNFIXED, &paused);
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

/// A pause as the workbench's interactive scheduler leaves it.
fn calm_pause(c: &Challenge) -> Option<daxlab::sim::Pause> {
    let mut s = daxlab::sim::InteractiveScheduler::new(Vec::new());
    execute(&c.scenario, &RunConfig::new(c.kernel), &mut s).paused
}

#[test]
fn an_edited_outcome_does_not_count() {
    let mut t = golden("seed-race.unfixed.bug-pte-under-huge-pmd");
    t.outcome = daxlab::Outcome::Ok;
    t.notes = vec![daxlab::Note::Fallback { reason: daxlab::dax::FallbackReason::GrabEexist }];
    let v = challenge("03-harmless-eexist.toml").check_trace(&t);
    assert!(!v.passed, "the replay's outcome is judged, not the recorded one: {}", v.message);
}

#[test]
fn cannot_fail_is_shown_by_exhaustive_exploration_only() {
    let c = challenge("05-fixed-cannot-fail.toml");
    let v = c.prove().unwrap();
    assert!(v.passed, "{}", v.message);
    assert!(v.message.contains("interleavings with at most 2 preemptions end without a failure"), "{}", v.message);
    let low = explore(&c.scenario, &ExploreConfig::exhaustive(Kernel::FIXED, 1), &mut |_| {});
    let v = c.check_exploration(&low);
    assert!(!v.passed && v.message.contains("raise the bound"), "{}", v.message);
    let unfixed = explore(&c.scenario, &ExploreConfig::exhaustive(Kernel::UNFIXED, 2), &mut |_| {});
    assert!(!c.check_exploration(&unfixed).passed);
    let v = c.check_trace(&golden("seed-race.fixed.same-interleaving"));
    assert!(!v.passed && v.message.starts_with("one run cannot show"), "{}", v.message);
    // The same goal on the unfixed kernel is refuted, with the class found.
    let text = std::fs::read_to_string(root().join("challenges/05-fixed-cannot-fail.toml")).unwrap();
    let bad =
        Challenge::from_toml(&text.replace("kernel = \"v4.11\"", "variant = \"unfixed\""), "edited", Path::new("."))
            .unwrap();
    let v = bad.prove().unwrap();
    assert!(!v.passed && v.message.contains("found bug(pte-under-huge-pmd) with 2 preemption(s)"), "{}", v.message);
}

#[test]
fn bad_challenge_files_are_refused_with_a_reason() {
    let good = std::fs::read_to_string(root().join("challenges/01-first-blood.toml")).unwrap();
    let e = Challenge::from_toml(&good.replace("[goal]", "[goal]\ncolour = \"red\""), "x.toml", Path::new("."))
        .unwrap_err();
    assert!(e.to_string().contains("x.toml") && e.to_string().contains("colour"), "{e}");
    let e = Challenge::from_toml(&good.replace("seed-race", "no-such.toml"), "x.toml", Path::new("/nonexistent"))
        .unwrap_err();
    assert!(e.to_string().contains("the challenge's scenario"), "{e}");
    let e = Challenge::from_toml(&good.replace("bug(pte-under-huge-pmd)", " "), "x.toml", Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("goal.outcome"), "{e}");
    assert!(Challenge::load(Path::new("/nonexistent/c.toml")).is_err());
}

fn daxlab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_daxlab")).args(args).output().expect("daxlab runs")
}

#[test]
fn the_challenge_command_exits_0_on_a_pass_1_on_a_miss_and_2_on_bad_input() {
    let c = root().join("challenges/01-first-blood.toml");
    let c = c.to_str().unwrap();
    let good = root().join("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace");
    let wrong = root().join("traces/seed-race.fixed.same-interleaving.daxtrace");
    let o = daxlab(&["challenge", c, good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("PASSED: You made the unfixed kernel"));
    let o = daxlab(&["challenge", c, wrong.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("NOT YET:"));
    let o = daxlab(&["challenge", c, "--hints"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("hint 1:"));
    let o = daxlab(&["challenge", "missing.toml"]);
    assert_eq!(o.status.code(), Some(2));
}
