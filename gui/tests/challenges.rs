//! The challenge pack in the scheduler mode, driven through the workbench's AccessKit tree:
//! pick a level, play it, and read the engine's verdict.

use daxlab::challenge::Branch;
use daxlab::sim::{Decision, Tid};
use daxlab_gui::panels::challenge::pack;
use daxlab_gui::{Mode, Workbench};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn harness() -> Harness<'static, Workbench> {
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .with_max_steps(80)
        .with_context_setup(daxlab_gui::setup_context)
        .build_ui_state(|ui, app: &mut Workbench| app.draw(ui), Workbench::default());
    h.run();
    h
}

/// Opens the scheduler mode and picks a level from the challenge list.
fn pick_level(h: &mut Harness<'static, Workbench>, level: u32) {
    h.get_by_label("Be the scheduler").click();
    h.run();
    h.get_by_label("Challenge").click();
    h.run();
    h.get_by_label_contains(&format!("Level {level}:")).click();
    h.run();
}

/// Clicks "run Tn" for every pick of `decisions` (a run planned with the engine's branch).
fn click_picks(h: &mut Harness<'static, Workbench>, decisions: &[Decision]) {
    for d in decisions {
        let Decision::Run(t) = d else { continue };
        h.get_by_label(&format!("run T{}", t.index() + 1)).click();
        h.run();
    }
}

/// Level 3's solution, planned with the engine's own branch: T1 into its window, T2 until
/// grab_mapping_entry() hands it the empty entry, then T1 again; the rest without
/// preemptions.
fn level_3_solution(c: &daxlab::challenge::Challenge) -> Vec<Decision> {
    let mut b = Branch::new(c.scenario.clone(), c.kernel, Vec::new());
    b.run_until(Tid(0), "preload").unwrap();
    b.run_until(Tid(1), "grab_return").unwrap();
    b.pick(Tid(0)).unwrap();
    b.finish();
    b.decisions
}

#[test]
fn the_whole_pack_is_built_in_and_parses() {
    let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../challenges"))
        .expect("challenges/")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .count();
    assert_eq!(pack().len(), on_disk, "every file of challenges/ is built in");
    for (name, parsed) in pack() {
        assert!(parsed.is_ok(), "{name}: {:?}", parsed.as_ref().err());
    }
}

#[test]
fn level_3_says_not_yet_until_its_interleaving_is_played_then_passes() {
    let mut h = harness();
    pick_level(&mut h, 3);
    assert_eq!(h.state().mode, Mode::Scheduler);
    assert_eq!(h.state().sched.as_ref().map(|s| s.picks), Some(0), "a level starts before any pick");
    h.get_by_label_contains("Goal: make the unfixed kernel install a 4 KiB PTE under a huge PMD with at most 2");
    h.get_by_label_contains("Not yet: the run is not finished yet");
    h.get_by_label("show a hint (1 of 3)").click();
    h.run();
    h.get_by_label_contains("Hint 1: The first preemption opens the window");
    let c = pack().iter().find(|(n, _)| n.starts_with("03-")).and_then(|(_, c)| c.as_ref().ok()).unwrap().clone();
    click_picks(&mut h, &level_3_solution(&c));
    h.get_by_label_contains(
        "Passed: You made the unfixed kernel install a 4 KiB PTE under a huge PMD in 2 preemptions.",
    );
}

#[test]
fn finishing_without_preemptions_does_not_pass_level_2() {
    let mut h = harness();
    pick_level(&mut h, 2);
    h.get_by_label("finish without preemptions").click();
    h.run();
    h.get_by_label_contains("your run ended ok");
    assert!(h.query_by_label_contains("Passed:").is_none(), "no pass for a run that did not fail");
}

#[test]
fn a_level_on_the_other_kernel_is_judged_as_the_wrong_kernel() {
    let mut h = harness();
    pick_level(&mut h, 5);
    assert_eq!(h.state().doc.kernel(), daxlab::Kernel::FIXED, "level 5 plays the fixed kernel");
    h.get_by_label("kernel").click();
    h.run();
    h.get_by_label("v4.11-rc5 (unfixed)").click();
    h.run();
    h.get_by_label_contains("this run is on the unfixed kernel; the challenge is about the fixed kernel");
}

/// Explores in the background at `bound` and waits for the verdict.
fn prove_at(h: &mut Harness<'static, Workbench>, bound: u32, want: &str) {
    h.state_mut().challenge.as_mut().expect("a level is being played").bound = bound;
    h.get_by_label("explore every interleaving up to it").click();
    h.step();
    // Wait for the background exploration itself, however long the machine takes.
    h.state_mut().challenge.as_mut().expect("a level is being played").wait();
    h.run();
    h.get_by_label_contains(want);
}

#[test]
fn a_cannot_fail_level_is_shown_by_exploring_to_a_bound_the_player_picks() {
    let mut h = harness();
    pick_level(&mut h, 6);
    prove_at(&mut h, 1, "Not yet: no failure within 1 preemption on the fixed kernel — but none on the unfixed");
    prove_at(&mut h, 2, "Passed: All 660 interleavings with at most 2 preemptions end without a failure");
}

#[test]
fn a_question_is_answered_by_picking_a_choice() {
    let mut h = harness();
    pick_level(&mut h, 8);
    h.get_by_label_contains("Which change in v4.12 stops this run?");
    h.get_by_label_contains("1. dax_iomap_pmd_fault() falls back").click();
    h.run();
    h.get_by_label_contains("Not yet: not choice 1");
    h.get_by_label_contains("2. Once it holds the entry lock").click();
    h.run();
    h.get_by_label_contains("Passed: choice 2:");
}

#[test]
fn a_challenge_file_opens_from_the_path_box_and_a_bad_one_says_why() {
    let dir = tempfile::Builder::new().prefix("daxlab-challenge-test-").tempdir().expect("scratch").keep();
    let good = dir.join("mine.toml");
    std::fs::write(
        &good,
        "[challenge]\ntitle = \"Mine\"\nlevel = 9\nscenario = \"pte-vs-pmd\"\nvariant = \"fixed\"\nstory = \"s\"\n\n[goal]\nkind = \"reach\"\noutcome = \"any-failure\"\n",
    )
    .unwrap();
    let mut h = harness();
    h.state_mut().open_path = good.display().to_string();
    h.get_by_label("Open").click();
    h.run();
    assert_eq!(h.state().mode, Mode::Scheduler);
    assert_eq!(h.state().doc.scenario.name, "pte-vs-pmd");
    h.get_by_label_contains("Goal: make the fixed kernel hit any failure");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[challenge]\ntitle = 3\n").unwrap();
    h.state_mut().open_path = bad.display().to_string();
    h.get_by_label("Open").click();
    h.run();
    h.get_by_label_contains("bad.toml");
    assert_eq!(h.state().doc.scenario.name, "pte-vs-pmd", "the level on screen stays");
    let _ = std::fs::remove_dir_all(&dir);
}
