//! Narrated walkthroughs: events with their sentences and the thread switches between them.

use daxlab::analysis::{Analysis, EexistKind, analyze, narrate};
use daxlab::sim::Switch;
use daxlab::trace::Event;

pub use daxlab::analysis::worth_telling;

pub fn print(events: &[Event], switches: &[Switch], names: &[String], indent: &str) -> Analysis {
    print_from(events, switches, names, indent, 0)
}

/// [`print`] from event `from` on (the earlier ones, and the switches before them, were
/// told already).
pub fn print_from(events: &[Event], switches: &[Switch], names: &[String], indent: &str, from: usize) -> Analysis {
    let analysis = analyze(events);
    let sentences = narrate(events, &analysis, names);
    let told = from.checked_sub(1).and_then(|i| events.get(i)).map(|e| e.step);
    let mut switches = switches.iter().filter(|s| told.is_none_or(|t| s.step > t)).peekable();
    let new = events.iter().zip(&sentences).skip(from);
    for (e, sentence) in new.filter(|(e, _)| worth_telling(e)) {
        while let Some(s) = switches.next_if(|s| s.step <= e.step) {
            if s.preempted() {
                println!("{indent}─── preemption: {} ───", s.describe(names));
            } else {
                println!("{indent}─── {} ───", s.describe(names));
            }
        }
        println!("{indent}{:>5}  {:<4} {sentence}", e.step, names[e.tid.index()]);
    }
    analysis
}

pub fn print_annotations(a: &Analysis, names: &[String], indent: &str) {
    let n = |t: daxlab::Tid| names[t.index()].as_str();
    for w in &a.windows {
        let close = w.close.map_or("never closed".to_string(), |c| format!("closed at step {c}"));
        println!("{indent}race window: {} at index {:#x}, opened at step {}, {close}", n(w.tid), w.index, w.open);
        for i in &w.intruders {
            println!(
                "{indent}  ↳ {} inserted a {} entry at {:#x} inside it (step {})",
                n(i.tid),
                if i.order == 0 { "4 KiB" } else { "PMD" },
                i.index,
                i.step
            );
        }
    }
    for x in &a.eexist {
        let what = match x.kind {
            EexistKind::Actual => "-EEXIST",
            EexistKind::Counterfactual => "would-be -EEXIST (the fix's re-lookup caught it)",
        };
        let cause = x.cause.as_ref().map_or(" (4 KiB entries elsewhere in the range)".to_string(), |c| {
            format!(", caused by {}'s insert at step {}", n(c.tid), c.step)
        });
        println!("{indent}{what}: {} at step {}, index {:#x}{cause}", n(x.tid), x.step, x.index);
    }
    for (t, step, index, reason) in &a.restarts {
        println!("{indent}restart: {} at step {step}, index {index:#x} ({reason:?})", n(*t));
    }
    for (t, step, reason) in &a.fallbacks {
        println!("{indent}fallback: {} at step {step}: {}", n(*t), reason.name());
    }
    for w in &a.wakeups {
        if !w.woken.is_empty() {
            let who: Vec<&str> = w.woken.iter().map(|t| n(*t)).collect();
            println!(
                "{indent}wake-up: {} woke {} at step {} (key {:#x})",
                n(w.waker),
                who.join(", "),
                w.step,
                w.key_index
            );
        }
    }
    for h in &a.handoffs {
        println!(
            "{indent}hand-off: {} {} → {} (released at step {}, taken at step {})",
            h.lock,
            n(h.from),
            n(h.to),
            h.released,
            h.acquired
        );
    }
}
