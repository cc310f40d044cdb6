//! The workbench driven headlessly through its AccessKit tree (no GPU, no display), as a
//! first-time user would: step, jump to the -EEXIST, switch kernels, be the scheduler,
//! explore, open and save traces.

use daxlab::Kernel;
use daxlab::sim::Decision;
use daxlab::trace::{EventKind, Trace};
use daxlab_gui::{Mode, Workbench};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn harness() -> Harness<'static, Workbench> {
    harness_with(Workbench::default())
}

fn harness_with(app: Workbench) -> Harness<'static, Workbench> {
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .with_max_steps(80)
        .with_context_setup(daxlab_gui::setup_context)
        .build_ui_state(|ui, app: &mut Workbench| app.draw(ui), app);
    h.run();
    h
}

fn just_run(h: &Harness<'_, Workbench>) -> EventKind {
    let app = h.state();
    app.doc.events()[app.pos - 1].kind.clone()
}

/// The narration panel shows the engine's sentence for the event just run (exactly: the
/// event list shows it too, prefixed with step and thread).
fn narration_shown(h: &Harness<'_, Workbench>, expect: &str) {
    let app = h.state();
    let sentence = app.doc.narration(app.pos - 1);
    assert!(sentence.contains(expect), "narration {sentence:?} does not say {expect:?}");
    h.get_by_label(&sentence);
}

/// `name` inside a fresh folder of its own (tests run in parallel and must not meet).
fn temp(name: &str) -> std::path::PathBuf {
    tempfile::Builder::new().prefix("daxlab-gui-test-").tempdir().expect("scratch").keep().join(name)
}

#[test]
fn it_opens_on_the_unfixed_seed_race_at_step_0() {
    let h = harness();
    let app = h.state();
    assert_eq!(app.doc.scenario.name, "seed-race");
    assert_eq!(app.doc.kernel(), Kernel::UNFIXED);
    assert!(app.doc.header.outcome.is_failure(), "the witness shown is the failing one");
    assert_eq!(app.pos, 0);
    h.get_by_label_contains("step 0 · nothing has run yet");
    h.get_by_label("timeline");
}

#[test]
fn stepping_changes_the_step_label_and_the_narration() {
    let mut h = harness();
    h.get_by_label("forward ▶").click();
    h.run();
    let first = h.state().pos;
    assert!(first >= 1 && !matches!(just_run(&h), EventKind::Enter { .. }), "calls are skipped");
    h.get_by_label_contains(&format!("event {first} of"));
    narration_shown(&h, "T1 reads the PMD slot");
    for _ in 0..6 {
        h.key_press(egui::Key::ArrowRight);
        h.run();
    }
    let pos = h.state().pos;
    assert!(pos > 6, "calls are skipped, so six presses pass more than six events");
    h.get_by_label_contains(&format!("event {pos} of"));
    h.get_by_label("◀ back").click();
    h.run();
    assert!(h.state().pos < pos);
    h.key_press(egui::Key::End);
    h.run();
    assert_eq!(h.state().pos, h.state().doc.len());
    h.key_press(egui::Key::Home);
    h.run();
    assert_eq!(h.state().pos, 0);
    h.key_press(egui::Key::E);
    h.run();
    assert!(matches!(just_run(&h), EventKind::Insert { err: Some(_), .. }), "E jumps to the -EEXIST");
    h.key_press(egui::Key::B);
    h.run();
    assert!(matches!(just_run(&h), EventKind::Bug { .. }), "B jumps to the bug");
}

#[test]
fn next_eexist_lands_on_the_eexist_and_says_why() {
    let mut h = harness();
    h.get_by_label("next -EEXIST").click();
    h.run();
    assert!(matches!(just_run(&h), EventKind::Insert { err: Some(_), .. }), "{:?}", just_run(&h));
    narration_shown(&h, "-EEXIST: T2's entry now covers 0x200");
    h.get_by_label_contains("Why: while T1 had dropped tree_lock to preload (steps 6–24), T2 inserted");
    // The state panels show the PMD entry T2 inserted, locked.
    h.get_by_label_contains("locked by T2");
}

#[test]
fn the_fixed_kernel_shows_the_relookup_restart() {
    let mut h = harness();
    h.get_by_label("next -EEXIST").click();
    h.run();
    h.get_by_label("kernel").click();
    h.run();
    h.get_by_label("v4.11 (fixed)").click();
    h.run();
    assert_eq!(h.state().doc.kernel(), Kernel::FIXED);
    assert!(!h.state().doc.header.outcome.is_failure());
    h.get_by_label("next restart").click();
    h.run();
    assert!(matches!(just_run(&h), EventKind::Restart { .. }));
    narration_shown(&h, "restarts grab_mapping_entry(0x200)");
    h.get_by_label_contains("outcome ok [restart(relookup)]");
}

#[test]
fn the_kernel_picker_replays_the_interleaving_on_any_release() {
    let mut h = harness();
    h.get_by_label("kernel").click();
    h.run();
    for label in ["v4.10", "v4.11-rc5 (unfixed)", "v4.11 (fixed)", "v4.12", "v4.13"] {
        h.get_by_label(label);
    }
    h.get_by_label("v4.12").click();
    h.run();
    assert_eq!(h.state().doc.kernel(), Kernel::stock(daxlab::Release::V4_12));
    assert!(!h.state().doc.header.outcome.is_failure(), "v4.12 has the seed fix");
    h.get_by_label_contains("← same interleaving on the fixed kernel");
}

#[test]
fn compare_marks_where_the_kernels_part() {
    let mut h = harness();
    h.get_by_label("Compare kernels").click();
    h.run();
    assert_eq!(h.state().mode, Mode::Compare);
    h.get_by_label("timeline unfixed");
    h.get_by_label("timeline fixed");
    h.get_by_label_contains("They part at step");
    h.get_by_label("jump to where they part").click();
    h.run();
    assert!(matches!(just_run(&h), EventKind::Insert { err: Some(_), .. }));
}

#[test]
fn clicking_the_timeline_jumps_there() {
    let mut h = harness();
    h.get_by_label("timeline").click();
    h.run();
    assert!(h.state().pos > 0);
}

#[test]
fn being_the_scheduler_reproduces_the_bug_and_the_challenge_says_so() {
    let mut h = harness();
    let witness = h.state().doc.header.schedule.0.clone();
    let names = h.state().doc.names.clone();
    h.get_by_label("Be the scheduler").click();
    h.run();
    h.get_by_label_contains("try to make the unfixed kernel fail");
    for d in witness {
        let Decision::Run(t) = d else { continue };
        h.get_by_label(&format!("run {}", names[t.index()])).click();
        h.run();
    }
    h.get_by_label_contains("You made the unfixed kernel fail: bug(pte-under-huge-pmd), in 2 preemptions");
    assert!(h.state().doc.header.outcome.is_failure());
}

#[test]
fn a_scheduler_branch_saves_as_a_trace_that_reloads() {
    let mut h = harness();
    h.get_by_label("Be the scheduler").click();
    h.run();
    h.get_by_label("run T2").click();
    h.run();
    let path = temp("branch.daxtrace");
    h.state_mut().save_path = path.display().to_string();
    h.get_by_label("Save").click();
    h.run();
    h.get_by_label_contains("saved");
    let t = Trace::load(&path).expect("the saved branch loads");
    assert_eq!(t.schedule.0.first(), Some(&Decision::Run(daxlab::Tid(1))));
    h.state_mut().open_path = path.display().to_string();
    h.get_by_label("Open").click();
    h.run();
    h.get_by_label_contains("opened");
    assert_eq!(h.state().doc.len(), t.events.len());
}

#[test]
fn a_corrupt_or_missing_trace_shows_an_error_not_a_panic() {
    let mut h = harness();
    let bad = temp("corrupt.daxtrace");
    std::fs::write(&bad, b"DAXTRACE\x01\x00garbage that is not a trace").unwrap();
    h.state_mut().open_path = bad.display().to_string();
    h.get_by_label("Open").click();
    h.run();
    h.get_by_label_contains("truncated");
    let json = temp("corrupt.json");
    std::fs::write(&json, b"{ \"format\": \"daxlab-trace\", \"version\": 1, \"trace\": 7 }").unwrap();
    h.state_mut().open_path = json.display().to_string();
    h.get_by_label("Open").click();
    h.run();
    h.get_by_label_contains("does not match the trace format");
    assert_eq!(h.state().doc.scenario.name, "seed-race", "the trace on screen stays");
    h.state_mut().open_path = temp("missing.daxtrace").display().to_string();
    h.get_by_label("Open").click();
    h.run();
    h.get_by_label_contains("missing.daxtrace");
    let bad = Workbench::from_args(Some(temp("also-missing.daxtrace")));
    assert!(bad.message.as_ref().is_some_and(|m| m.error));
}

#[test]
fn the_explorer_finds_the_bug_in_the_background_and_opens_the_witness() {
    let mut h = harness();
    h.get_by_label("Explore").click();
    h.run();
    h.get_by_label("Run exploration").click();
    h.step();
    // Wait for the background exploration itself, however long the machine takes.
    h.state_mut().explore.wait();
    h.run();
    h.get_by_label_contains("1 failure class(es) found");
    h.get_by_label("open witness: bug(pte-under-huge-pmd)").click();
    h.run();
    assert_eq!(h.state().mode, Mode::Trace);
    assert!(h.state().doc.header.outcome.is_failure());
    assert_eq!(h.state().pos, 0);
}

#[test]
fn space_plays_and_pauses() {
    let mut h = harness();
    h.key_press(egui::Key::Space);
    h.step();
    assert!(h.state().play.playing);
    for _ in 0..30 {
        h.step();
    }
    h.key_press(egui::Key::Space);
    h.step();
    assert!(!h.state().play.playing);
}

#[test]
fn next_of_a_chosen_kind_and_the_event_list() {
    let mut h = harness();
    h.state_mut().kind_target = "relookup";
    h.get_by_label("next of kind").click();
    h.run();
    h.get_by_label_contains("no relookup after this point");
    h.state_mut().kind_target = "wake";
    h.get_by_label("next of kind").click();
    h.run();
    assert!(matches!(just_run(&h), EventKind::Wake { .. }));
    narration_shown(&h, "T2 wakes T1 waiting on 0x200");
}

#[test]
fn the_scheduler_injects_an_allocation_failure_where_the_scenario_allows_it() {
    let (_, src) = daxlab::scenario::BUILTINS.iter().find(|(n, _)| *n == "seed-race").unwrap();
    let src = src.replace("[file]", "inject_enomem = true\n\n[file]");
    let sc = daxlab::Scenario::from_toml(&src, "seed-race with -ENOMEM").unwrap();
    let mut h = harness_with(Workbench::with_doc(daxlab_gui::model::seed::default_run(&sc, Kernel::UNFIXED)));
    h.get_by_label("Be the scheduler").click();
    h.run();
    for _ in 0..4 {
        if h.query_by_label_contains("fails with -ENOMEM").is_some() {
            break;
        }
        h.get_by_label("run T1 to its next lock / entry / wait").click();
        h.run();
    }
    h.get_by_label("make it fail: T1's radix_tree_preload() fails with -ENOMEM").click();
    h.run();
    let failed = h.state().doc.events().iter().any(|e| matches!(e.kind, EventKind::Preload { ok: false, .. }));
    assert!(failed, "the branch now has a failed preload");
}

#[test]
fn an_exploration_can_be_cancelled() {
    let mut h = harness();
    h.get_by_label("Explore").click();
    h.run();
    h.state_mut().explore.random = true;
    h.state_mut().explore.runs = 10_000_000;
    h.step();
    h.get_by_label("Run exploration").click();
    h.step();
    assert!(h.state().explore.is_running());
    h.step();
    h.get_by_label("Cancel").click();
    h.step();
    // Ten million runs would take many minutes: the exploration ends this soon only
    // because the cancel was honoured (no deadline: wait for the report itself).
    h.state_mut().explore.wait();
    assert!(!h.state().explore.is_running());
    h.run();
    h.get_by_label_contains("(incomplete)");
}

#[test]
fn every_checked_in_trace_and_built_in_scenario_opens_and_steps() {
    let traces = daxlab_gui::panels::toolbar::checked_in_traces();
    assert!(!traces.is_empty(), "the workspace has checked-in traces");
    let mut docs: Vec<daxlab_gui::model::Loaded> =
        traces.iter().map(|p| daxlab_gui::model::Loaded::open(p).expect("a checked-in trace opens")).collect();
    for (name, _) in daxlab::scenario::BUILTINS {
        let sc = daxlab::scenario::builtin(name).unwrap().unwrap();
        docs.push(daxlab_gui::model::seed::default_run(&sc, Kernel::FIXED));
    }
    for doc in docs {
        let what = doc.origin.describe();
        let n = doc.len();
        let mut h = harness_with(Workbench::with_doc(doc));
        for k in [egui::Key::E, egui::Key::End, egui::Key::ArrowLeft, egui::Key::Home, egui::Key::ArrowRight] {
            h.key_press(k);
            h.run();
        }
        assert!(h.state().pos <= n, "{what}");
        h.get_by_label("Compare kernels").click();
        h.run();
        h.get_by_label("timeline fixed");
    }
}

/// The browser opens a dropped file from its bytes: the same checks as a file by path.
#[test]
fn a_trace_given_as_bytes_opens_and_bad_bytes_say_which_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace");
    let bytes = std::fs::read(path).expect("the checked-in witness");
    let doc = daxlab_gui::model::Loaded::open_bytes("dropped.daxtrace", &bytes).expect("the witness opens");
    assert_eq!(doc.scenario.name, "seed-race");
    assert!(doc.header.outcome.is_failure());
    let Err(e) = daxlab_gui::model::Loaded::open_bytes("dropped.daxtrace", b"DAXTRACE\x01\x00garbage") else {
        panic!("garbage opened as a trace");
    };
    assert!(e.contains("dropped.daxtrace") && e.contains("truncated"), "{e}");
}

/// A file whose outcome was edited opens as its replay, under a banner that says it does
/// not replay; the status line (the browser's page title) says so too.
#[test]
fn an_edited_trace_is_shown_as_replayed_under_a_banner() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace");
    let mut t = Trace::load(std::path::Path::new(path)).expect("the checked-in witness");
    t.outcome = daxlab::Outcome::Ok;
    let doc = daxlab_gui::model::Loaded::open_bytes("edited.json", &t.encode_json()).expect("opens");
    assert!(doc.header.outcome.is_failure(), "the replay's outcome is shown, not the file's");
    let banner = doc.banner.clone().expect("a banner");
    assert!(banner.starts_with("this trace does not replay: the file says outcome ok"), "{banner}");
    let h = harness_with(Workbench::with_doc(doc));
    h.get_by_label_contains("this trace does not replay");
    assert!(h.state().status_line().contains("DOES NOT REPLAY"));
}

/// Free play says what a kernel can or cannot do only after the engine explored it here:
/// pte-vs-pmd's fixed kernel fails, and the line says so.
#[test]
fn free_play_verdicts_come_from_an_exploration_that_ran() {
    let sc = daxlab::scenario::builtin("pte-vs-pmd").unwrap().unwrap();
    let mut h = harness_with(Workbench::with_doc(daxlab_gui::model::seed::default_run(&sc, Kernel::FIXED)));
    h.get_by_label("Be the scheduler").click();
    h.run();
    assert!(h.query_by_label_contains("cannot").is_none(), "no verdict before an exploration ran");
    h.get_by_label_contains("ask the engine: can the fixed kernel fail here?").click();
    h.run();
    h.state_mut().sched.as_mut().expect("scheduler mode").free.wait();
    h.run();
    h.get_by_label_contains("the fixed kernel can fail here (bug(pte-under-huge-pmd))");
}
