//! One classification of events for every face: what the figures, the workbench and the
//! Perfetto export call an event comes from `EventClass`, and its colour from one palette.

use daxlab::analysis::palette::{Ground, Hue, PALETTE};
use daxlab::analysis::{EventClass, analyze, to_perfetto};
use daxlab::kernel::{Errno, LockId, WaitKey};
use daxlab::radix::Item;
use daxlab::sim::{Tid, TidSet};
use daxlab::trace::{EventKind as E, Trace};
use std::path::Path;

fn insert(err: Option<Errno>) -> E {
    E::Insert { index: 0x200, order: 9, item: Item::Exceptional(0x2e), err, nodes: 0, from_pool: 0 }
}

#[test]
fn the_cases_the_two_copies_disagreed_on() {
    assert_eq!(EventClass::of(&insert(Some(Errno::Enomem))), EventClass::Enomem, "an -ENOMEM insert is -ENOMEM");
    assert_eq!(EventClass::of(&insert(Some(Errno::Eexist))), EventClass::Eexist);
    assert_eq!(EventClass::of(&insert(None)), EventClass::TreeChange);
    assert_eq!(EventClass::of(&E::Preload { ok: false, pool: 0 }), EventClass::Enomem);
    let found = E::Relookup { index: 0x200, found: Some(Item::Exceptional(0x2e)), canonical: Some(0x200) };
    assert_eq!(EventClass::of(&found), EventClass::Counterfactual, "every re-lookup that finds an entry");
    let nothing = E::Relookup { index: 0x200, found: None, canonical: None };
    assert_eq!(EventClass::of(&nothing), EventClass::Lookup);
    // Contention on a spin lock spins; an entry-lock wait and a contended rwsem sleep.
    assert_eq!(EventClass::of(&E::LockContended { lock: LockId::TreeLock, holder: Tid(1) }), EventClass::Spin);
    assert_eq!(EventClass::of(&E::RwsemContended { lock: LockId::MmapSem, write: true }), EventClass::Sleep);
    let key = WaitKey { mapping: 1, index: 0x200 };
    assert_eq!(EventClass::of(&E::WaitBegin { key, bucket: key.bucket(), exclusive: true }), EventClass::Sleep);
    let nobody = E::Wake { key, bucket: key.bucket(), all: false, woken: TidSet::default() };
    assert_eq!(EventClass::of(&nobody), EventClass::Other, "a wake-up that reaches nobody is not one");
}

#[test]
fn the_analysis_tells_window_openings_and_intrusions_apart() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace");
    let t = Trace::load(&path).expect("the seed race");
    let a = analyze(&t.events);
    let classes = a.classes(&t.events);
    assert_eq!(classes.len(), t.events.len());
    for (e, c) in t.events.iter().zip(&classes) {
        assert_eq!(*c, a.class(e), "one pass and one event agree");
    }
    let count = |c: EventClass| classes.iter().filter(|x| **x == c).count();
    assert_eq!(count(EventClass::WindowOpen), 2, "both threads drop tree_lock to preload");
    assert_eq!(count(EventClass::Intrusion), 1, "T2's insert lands in T1's window");
    assert_eq!(count(EventClass::Eexist), 1);
    assert_eq!(count(EventClass::Bug), 1);
    // The Perfetto export marks the same landmarks with the same names.
    let json = to_perfetto(&t, &t.scenario().expect("parses").thread_names()).to_string();
    for c in [EventClass::Eexist, EventClass::Fallback, EventClass::Bug] {
        assert!(json.contains(&format!("\"name\":\"{}\"", c.label())), "{c:?}");
    }
}

#[test]
fn the_palette_is_one_table_in_declaration_order() {
    for (i, (hue, _, _)) in PALETTE.iter().enumerate() {
        assert_eq!(*hue as usize, i, "{hue:?}");
    }
    for c in EventClass::ALL {
        if c.is_landmark() {
            assert!(c.hue().is_some(), "every landmark has a colour: {c:?}");
        }
    }
    assert_ne!(Hue::Eexist.rgb(Ground::Dark), Hue::Eexist.rgb(Ground::Light), "each ground has its own shade");
}
