//! The workbench's model of a trace (no UI): the index, navigation, alignment of the two
//! variants, and the per-cursor state, on the seed race's witness.

use daxlab::Kernel;
use daxlab::analysis::EventClass;
use daxlab::kernel::LockId;
use daxlab::trace::{EventKind, diff_kernels};
use daxlab_gui::cache::Cached;
use daxlab_gui::model::align::align;
use daxlab_gui::model::index::ArrowKind;
use daxlab_gui::model::nav::Target;
use daxlab_gui::model::seed;

#[test]
fn the_index_places_the_race_on_event_indices() {
    let doc = seed::seed_race();
    let ix = &doc.index;
    assert_eq!(ix.len(), doc.len());
    let w = ix.windows.iter().find(|w| !w.intruders.is_empty()).expect("the witness has an intruded window");
    let open = &doc.events()[w.open as usize];
    assert_eq!(open.kind, EventKind::LockRelease { lock: LockId::TreeLock });
    assert_eq!(open.tid.0, w.tid);
    for &x in &w.intruders {
        assert!(w.open < x && x < w.close, "the intruding insert lies inside the window");
        assert!(matches!(doc.events()[x as usize].kind, EventKind::Insert { err: None, .. }));
    }
    let intrusion = ix.arrows.iter().find(|a| a.kind == ArrowKind::Intrusion).expect("an arrow to the -EEXIST");
    assert!(matches!(doc.events()[intrusion.to as usize].kind, EventKind::Insert { err: Some(_), .. }));
    assert!(ix.arrows.iter().any(|a| a.kind == ArrowKind::Wake));
    assert!(ix.first_of(EventClass::Bug).is_some());
}

#[test]
fn navigation_finds_each_kind_and_steps_back_exactly() {
    let doc = seed::seed_race();
    let p = doc.find_next(0, Target::Eexist).expect("-EEXIST");
    assert!(doc.index.class[p - 1] == EventClass::Eexist);
    let bug = doc.find_next(p, Target::Bug).expect("the bug comes after");
    assert!(bug > p);
    assert_eq!(doc.find_prev(bug, Target::Eexist), Some(p));
    assert!(doc.find_next(0, Target::Kind("wake")).is_some());
    assert!(doc.find_next(0, Target::Preemption).is_some());
    let mut pos = 0;
    let mut trail = vec![0];
    while pos < doc.len() {
        pos = doc.step_forward(pos, false);
        trail.push(pos);
    }
    for w in trail.windows(2).rev() {
        assert_eq!(doc.step_back(w[1], false), w[0], "back from {} lands where forward came from", w[1]);
    }
    assert_eq!(doc.step_at(doc.pos_of_step(25)), 25);
}

#[test]
fn the_variants_align_up_to_where_they_part() {
    let doc = seed::seed_race();
    let d = diff_kernels(&doc.header, &doc.scenario, Kernel::FIXED);
    assert_eq!(d.recorded.0, Kernel::UNFIXED);
    let (a, b) = (&d.recorded.1.events, &d.carried.1.events);
    let al = align(a, b, d.part);
    let part = al.part_row.expect("the seed race parts");
    assert_eq!(al.xa.len(), a.len());
    assert_eq!(al.xb.len(), b.len());
    assert!(al.xa.windows(2).all(|w| w[0] < w[1]) && al.xb.windows(2).all(|w| w[0] < w[1]));
    for (r, (x, y)) in al.rows[..part].iter().enumerate() {
        if let (Some(x), Some(y)) = (x, y) {
            let (ea, eb) = (&a[*x as usize], &b[*y as usize]);
            assert_eq!((ea.tid, &ea.kind), (eb.tid, &eb.kind), "row {r} pairs equal events");
        }
    }
    let (x, y) = al.rows[part];
    assert!(matches!(a[x.unwrap() as usize].kind, EventKind::Insert { err: Some(_), .. }));
    assert!(matches!(b[y.unwrap() as usize].kind, EventKind::Relookup { found: Some(_), .. }));
    // A position before the parting maps to the same event on the other side and back.
    let pos = x.unwrap() as usize;
    let there = al.map_pos(pos, false);
    assert_eq!(b[there - 1].kind, a[pos - 1].kind);
    assert_eq!(al.map_pos(there, true), pos);
}

#[test]
fn the_state_at_the_cursor_highlights_what_the_event_changed() {
    let doc = seed::seed_race();
    let insert =
        doc.events().iter().position(|e| matches!(e.kind, EventKind::Insert { err: None, .. })).expect("an insert");
    let c = Cached::compute(&doc, insert + 1, 0);
    assert_eq!(c.changed.entries.len(), 1, "the inserted entry glows");
    assert_eq!(c.locked.len(), 1, "entries are born locked");
    assert_eq!(c.locked[0].3, Some(doc.events()[insert].tid.index()), "and the inserter holds the lock");
    assert!(c.snap.tree_lock.is_some());
    let before = Cached::compute(&doc, insert, 0);
    assert!(before.locked.is_empty());
    assert_eq!(c.stacks.len(), doc.names.len());
}
