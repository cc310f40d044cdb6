//! The challenge pack in the scheduler mode, driven through the workbench's AccessKit tree:
//! pick a level, play it, and read the engine's verdict.

use daxlab::sim::Decision;
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

/// Plays the decisions of the seed race's checked-in minimal witness, by thread name.
fn play_the_witness(h: &mut Harness<'static, Workbench>) {
    let w = daxlab::trace::Trace::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace"
    )))
    .expect("the checked-in witness loads");
    for d in &w.schedule.0 {
        let Decision::Run(t) = d else { continue };
        h.get_by_label(&format!("run T{}", t.index() + 1)).click();
        h.run();
    }
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
fn level_2_says_not_yet_until_the_witness_is_played_then_passes() {
    let mut h = harness();
    pick_level(&mut h, 2);
    assert_eq!(h.state().mode, Mode::Scheduler);
    assert_eq!(h.state().sched.as_ref().map(|s| s.picks), Some(0), "a level starts before any pick");
    h.get_by_label_contains("Goal: make the unfixed kernel install a 4 KiB PTE under a huge PMD with at most 2");
    h.get_by_label_contains("Not yet: the run is not finished yet");
    h.get_by_label("show a hint (1 of 3)").click();
    h.run();
    h.get_by_label_contains("Hint 1: One preemption opens the race window");
    play_the_witness(&mut h);
    h.get_by_label_contains(
        "Passed: You made the unfixed kernel install a 4 KiB PTE under a huge PMD in 2 preemptions.",
    );
}

#[test]
fn finishing_without_preemptions_does_not_pass_level_1() {
    let mut h = harness();
    pick_level(&mut h, 1);
    h.get_by_label("finish without preemptions").click();
    h.run();
    h.get_by_label_contains("your run ended ok");
    assert!(h.query_by_label_contains("Passed:").is_none(), "no pass for a run that did not fail");
}

#[test]
fn a_level_on_the_other_kernel_is_judged_as_the_wrong_kernel() {
    let mut h = harness();
    pick_level(&mut h, 4);
    assert_eq!(h.state().doc.kernel(), daxlab::Kernel::FIXED, "level 4 plays the fixed kernel");
    h.get_by_label("kernel").click();
    h.run();
    h.get_by_label("v4.11-rc5 (unfixed)").click();
    h.run();
    h.get_by_label_contains("this run is on the unfixed kernel; the challenge is about the fixed one");
}

#[test]
fn a_cannot_fail_level_is_shown_by_exploring_in_the_background() {
    let mut h = harness();
    pick_level(&mut h, 5);
    h.get_by_label("explore every interleaving with at most 2 preemptions").click();
    for _ in 0..600 {
        h.run();
        if h.query_by_label_contains("cannot fail here").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    h.get_by_label_contains("Passed: All 660 interleavings with at most 2 preemptions end without a failure");
}

#[test]
fn a_challenge_file_opens_from_the_path_box_and_a_bad_one_says_why() {
    let dir = std::env::temp_dir().join(format!("daxlab-challenge-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
