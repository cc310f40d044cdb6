//! The kernel axis in the workbench, driven through its AccessKit tree: the picker (a
//! release and its fixes one by one), Compare on any two kernels, and the Matrix view whose
//! cells open their minimal witnesses.

use daxlab::explore::matrix;
use daxlab::{Fix, Kernel, Release, Scenario};
use daxlab_gui::{Mode, Workbench};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::time::Duration;

const SEED_FIX: &str = "e11f8b7b6c4e dax: fix radix tree insertion race (v4.11)";

fn harness() -> Harness<'static, Workbench> {
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .with_max_steps(80)
        .with_context_setup(daxlab_gui::setup_context)
        .build_ui_state(|ui, app: &mut Workbench| app.draw(ui), Workbench::default());
    h.run();
    h
}

fn pick(h: &mut Harness<'_, Workbench>, combo: &str, item: &str) {
    h.get_by_label(combo).click();
    h.run();
    h.get_by_label(item).click();
    h.run();
}

fn class_on_screen(h: &Harness<'_, Workbench>) -> String {
    h.state().doc.header.outcome.class()
}

#[test]
fn unticking_the_seed_fix_on_v4_11_brings_the_race_back() {
    let mut h = harness();
    pick(&mut h, "kernel", "v4.11 (fixed)");
    assert_eq!(h.state().doc.kernel(), Kernel::FIXED);
    assert!(!h.state().doc.header.outcome.is_failure(), "v4.11 restarts instead");
    h.get_by_label("fixes ▾").click();
    h.run();
    h.get_by_label("In v4.11:");
    h.get_by_label(SEED_FIX).click();
    h.run();
    let k = h.state().doc.kernel();
    assert_eq!(k, Kernel::FIXED.without(Fix::RadixTreeInsertionRace).unwrap());
    assert_eq!(class_on_screen(&h), "bug(pte-under-huge-pmd)");
    h.get_by_label("without e11f8b7b6c4e");
    h.get_by_label_contains("v4.11 without e11f8b7b6c4e");
}

#[test]
fn a_later_fix_can_be_backported_onto_an_older_release() {
    let mut h = harness();
    pick(&mut h, "kernel", "v4.10");
    assert_eq!(class_on_screen(&h), "bug(pte-under-huge-pmd)", "v4.10 has the race");
    h.get_by_label("fixes ▾").click();
    h.run();
    h.get_by_label("Later than v4.10 (backport):");
    h.get_by_label(SEED_FIX).click();
    h.run();
    assert_eq!(h.state().doc.kernel(), Kernel::stock(Release::V4_10).with(Fix::RadixTreeInsertionRace).unwrap());
    assert!(!h.state().doc.header.outcome.is_failure(), "the backported fix closes the race");
    h.get_by_label("with e11f8b7b6c4e");
}

#[test]
fn compare_replays_the_interleaving_on_the_kernel_picked() {
    let mut h = harness();
    h.get_by_label("Compare kernels").click();
    h.run();
    h.get_by_label("timeline fixed");
    pick(&mut h, "compare with", "v4.12");
    assert_eq!(h.state().compare.as_ref().unwrap().kernels(), [Kernel::UNFIXED, Kernel::stock(Release::V4_12)]);
    h.get_by_label("timeline unfixed");
    h.get_by_label("timeline v4.12");
    h.get_by_label_contains("They part at step");
    pick(&mut h, "compare with", "v4.10");
    assert_eq!(h.state().compare.as_ref().unwrap().kernels(), [Kernel::stock(Release::V4_10), Kernel::UNFIXED]);
    h.get_by_label("timeline v4.10");
    h.get_by_label("The two runs never part: this interleaving does not reach the race.");
}

fn wait_for_matrix(h: &mut Harness<'_, Workbench>) -> bool {
    // No deadline: a loaded machine may take long, and that is not a failure.
    let mut saw_progress = false;
    while h.state().matrix.is_running() {
        saw_progress |= h.query_by_label_contains("computing…").is_some();
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.run();
    saw_progress
}

#[test]
fn the_matrix_is_the_engines_and_a_cell_opens_its_witness() {
    let mut h = harness();
    h.get_by_label("Matrix").click();
    h.run();
    let kernels = vec![Kernel::stock(Release::V4_10), Kernel::UNFIXED];
    h.state_mut().matrix.scenarios = vec!["seed-race".into()];
    h.state_mut().matrix.kernels = kernels.clone();
    h.run();
    pick(&mut h, "column", "v4.12");
    h.get_by_label("add column").click();
    h.run();
    h.get_by_label("Compute the matrix").click();
    h.run_steps(2);
    assert!(wait_for_matrix(&mut h), "progress is shown while the matrix is computed");
    let sc = Scenario::load("seed-race").unwrap();
    let all = [kernels, vec![Kernel::stock(Release::V4_12)]].concat();
    let engine = matrix(std::slice::from_ref(&sc), &all, &mut |_, _| {});
    let shown = h.state().matrix.result.clone().expect("the matrix is complete");
    assert_eq!(serde_json::to_value(&shown).unwrap()["rows"], serde_json::to_value(&engine).unwrap()["rows"]);
    let cells = &engine.rows[0].cells;
    h.get_by_label(&cells[2].summary());
    let bug = &cells[0].failures[0];
    let label = bug.label();
    let buttons: Vec<_> = h.query_all_by_label(&label).collect();
    assert_eq!(buttons.len(), 2, "v4.10 and v4.11-rc5 both fail");
    buttons[0].click();
    h.run();
    let app = h.state();
    assert_eq!(app.mode, Mode::Trace);
    assert_eq!((app.doc.kernel(), app.pos), (Kernel::stock(Release::V4_10), 0));
    assert_eq!(app.doc.header.outcome.class(), bug.class, "the witness replays to the cell's class");
    assert_eq!(app.doc.header.steps, bug.steps);
}

#[test]
fn the_matrix_can_be_cancelled_and_keeps_its_complete_rows() {
    let mut h = harness();
    h.get_by_label("Matrix").click();
    h.run();
    h.get_by_label("Compute the matrix").click();
    h.run_steps(2);
    assert!(h.state().matrix.is_running());
    h.get_by_label_contains("computing…");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    wait_for_matrix(&mut h);
    let st = &h.state().matrix;
    let m = st.result.as_ref().expect("a cancelled matrix keeps what it finished");
    assert!(m.rows.len() < daxlab::scenario::BUILTINS.len(), "cancelled before the end");
    assert_eq!(m.rows.len(), st.rows.len());
}
