//! One sentence per event, in a kernel engineer's words. Where an event matters to the
//! race (a window opening, an insert slipping into it, -EEXIST, the re-lookup, a fallback
//! meeting a huge PMD) the sentence says why; everything else reads as the event itself.

use super::{Analysis, EexistKind};
use crate::dax::FallbackReason;
use crate::kernel::{Errno, LockId};
use crate::mm::{PeSize, PmdKind};
use crate::sim::Tid;
use crate::trace::{Event, EventKind, PmdTest, RestartReason, describe, entry_str};

fn order_name(order: u32) -> &'static str {
    if order == 0 { "4 KiB" } else { "PMD" }
}

/// Events that carry the story; the rest (function entries and exits, rwsem traffic,
/// iomap_end, preload_end, the end of a wait, tag clears) stays in the trace but is left
/// out of walkthroughs and sequence diagrams.
pub fn worth_telling(e: &Event) -> bool {
    !matches!(
        e.kind,
        EventKind::Enter { .. }
            | EventKind::Exit { .. }
            | EventKind::RwsemAcquire { .. }
            | EventKind::RwsemRelease { .. }
            | EventKind::IomapEnd { .. }
            | EventKind::PreloadEnd
            | EventKind::WaitEnd { .. }
            | EventKind::TagClear { .. }
    )
}

/// Narration for each event of `events` (same length and order).
pub fn narrate(events: &[Event], analysis: &Analysis, names: &[String]) -> Vec<String> {
    let name = |t: Tid| names.get(t.index()).cloned().unwrap_or_else(|| format!("thread {}", t.0));
    let others = |t: Tid| -> String {
        let o: Vec<String> = (0..names.len()).filter(|i| *i != t.index()).map(|i| names[i].clone()).collect();
        if o.len() == 1 { o[0].clone() } else { "the other threads".into() }
    };
    events
        .iter()
        .map(|e| {
            let me = name(e.tid);
            let window_at = |step: u32| analysis.windows.iter().find(|w| w.tid == e.tid && w.open == step);
            match &e.kind {
                EventKind::LockRelease { lock: LockId::TreeLock } if window_at(e.step).is_some() => {
                    let w = window_at(e.step).expect("checked");
                    format!(
                        "{me} drops tree_lock to preload; nothing at index {:#x} is locked, so nothing stops {} now",
                        w.index,
                        others(e.tid)
                    )
                }
                EventKind::Preload { ok: true, .. } => format!(
                    "{me}'s radix_tree_preload(): its CPU's node pool is full; preemption stays off until radix_tree_preload_end()"
                ),
                EventKind::Insert { index, order, err: None, item, .. } => {
                    let victim = analysis.windows.iter().find(|w| {
                        w.tid != e.tid && w.intruders.iter().any(|i| i.step == e.step && i.tid == e.tid)
                    });
                    match victim {
                        Some(w) => format!(
                            "{me} inserts a {} entry {} at {index:#x} — inside {}'s preload window, which {} cannot see",
                            order_name(*order),
                            entry_str(*item),
                            name(w.tid),
                            name(w.tid)
                        ),
                        None => format!("{me} inserts a {} entry {} at {index:#x}", order_name(*order), entry_str(*item)),
                    }
                }
                EventKind::Insert { index, order, err: Some(Errno::Eexist), .. } => {
                    let cause = analysis.eexist.iter().find(|x| x.step == e.step && x.tid == e.tid).and_then(|x| x.cause.clone());
                    match (order, cause) {
                        (9, Some(c)) => format!(
                            "-EEXIST: {}'s entry now covers {index:#x}. For a PMD request v4.11-rc5 cannot tell this from a 4 KiB collision elsewhere in the range, so {me} gives up on the PMD",
                            name(c.tid)
                        ),
                        (9, None) => format!(
                            "-EEXIST: a 4 KiB entry sits inside the 2 MiB range of {index:#x}; the PMD insert fails legitimately and {me} will fall back"
                        ),
                        (_, _) => format!("-EEXIST for the 4 KiB insert at {index:#x}: someone created the entry first, so {me} restarts"),
                    }
                }
                EventKind::Relookup { index, found: Some(item), .. } => {
                    let pmd = analysis.eexist.iter().any(|x| {
                        x.step == e.step && x.kind == EexistKind::Counterfactual && x.request == Some(PeSize::Pmd)
                    });
                    format!(
                        "the fix: {me} looks {index:#x} up again and finds {}. Without the fix the insert would get -EEXIST here{}",
                        entry_str(*item),
                        if pmd { " and the PMD fault would fall back" } else { "" }
                    )
                }
                EventKind::Relookup { index, found: None, .. } => {
                    format!("the fix: {me} looks {index:#x} up again; still nothing there, so the insert is safe")
                }
                EventKind::Restart { reason: RestartReason::RelookupFound, index } => format!(
                    "{me} ends the preload, drops tree_lock and restarts grab_mapping_entry({index:#x}); it will find the entry and wait for it"
                ),
                EventKind::Fallback { reason: FallbackReason::GrabEexist, .. } => format!(
                    "{me}'s PMD fault falls back to 4 KiB (VM_FAULT_FALLBACK): the core mm will retry this address with a PTE fault"
                ),
                EventKind::PmdSplit { old, .. } => format!(
                    "{me}'s fallback calls split_huge_pmd(): on a DAX vma that just clears the {old} — another thread's work lost, harmlessly"
                ),
                EventKind::PmdCheck { slot: PmdKind::None, addr, .. } => {
                    format!("{me} reads the PMD slot for {addr:#x}: empty, so the fault may go ahead")
                }
                EventKind::PmdTest { test: PmdTest::TransUnstable, slot: PmdKind::HugeDevmap, addr, .. } => format!(
                    "{me}'s 4 KiB fault finds a DAX huge PMD at {addr:#x}: not pmd_trans_huge on x86, so pmd_bad() — \"bad pmd\", and the slot will be cleared"
                ),
                EventKind::BadPmd { old: PmdKind::Table, addr, .. } => format!(
                    "{me}'s pmd_clear_bad() clears the slot at {addr:#x}, which by now holds another fault's PTE table: the table is orphaned (non-zero nr_ptes at exit)"
                ),
                EventKind::WaitBegin { key, bucket, .. } => {
                    format!("{me} finds the entry at {:#x} locked and sleeps on it (wait-table bucket {bucket})", key.index)
                }
                EventKind::Wake { key, woken, .. } if !woken.is_empty() => {
                    let who: Vec<String> = woken.iter().map(&name).collect();
                    format!("{me} wakes {} waiting on {:#x}", who.join(", "), key.index)
                }
                EventKind::PmdInstall { new: PmdKind::HugeDevmap, addr, old, .. } => match old {
                    PmdKind::Table => format!("{me} installs a huge PMD at {addr:#x} over a PTE table, orphaning it"),
                    _ => format!("{me} maps 2 MiB at {addr:#x} with one huge PMD (vmf_insert_pfn_pmd)"),
                },
                EventKind::Bug { invariant } => format!("BUG in {me}: {invariant}"),
                other => format!("{me} {}", describe(other, names)),
            }
        })
        .collect()
}
