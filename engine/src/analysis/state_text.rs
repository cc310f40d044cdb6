//! The state at a step, as text (`daxlab replay --to`, golden files, the lesson).

use super::Snapshot;
use crate::kernel::TaskState;
use crate::mm::{PMD_SHIFT, PmdSlot};
use crate::radix::{RADIX_TREE_MAX_TAGS, tag_name};
use crate::sim::Tid;
use crate::trace::entry_str;
use std::fmt::Write;

pub fn describe_state(s: &Snapshot, names: &[String]) -> String {
    let name = |t: Tid| names.get(t.index()).cloned().unwrap_or_else(|| format!("thread {}", t.0));
    let mut out = String::new();
    let holder = s.tree_lock.map_or("free".to_string(), |t| format!("held by {}", name(t)));
    let _ = writeln!(out, "page_tree: nrexceptional {}, nrpages {}, tree_lock {holder}", s.nrexceptional, s.nrpages);
    let entries = s.tree.entries();
    if entries.is_empty() {
        let _ = writeln!(out, "  (empty)");
    }
    for (f, tags) in entries {
        let last = f.first_index + (1u64 << f.order) - 1;
        let range =
            if f.order == 0 { format!("{:#x}", f.first_index) } else { format!("{:#x}-{last:#x}", f.first_index) };
        let tags: Vec<&str> = (0..RADIX_TREE_MAX_TAGS).filter(|t| tags & (1 << t) != 0).map(tag_name).collect();
        let tags = if tags.is_empty() { String::new() } else { format!("  [{}]", tags.join(", ")) };
        let _ = writeln!(out, "  {range:<14} {}{tags}", entry_str(f.item));
    }
    for (bucket, waiters) in &s.waiters {
        for w in waiters {
            let _ = writeln!(out, "wait-table bucket {bucket}: {} sleeps on entry {:#x}", name(w.tid), w.key.index);
        }
    }
    for (page, t) in &s.page_locks {
        let _ = writeln!(out, "page#{page} locked by {}", name(*t));
    }
    for (i, t) in s.tasks.iter().enumerate() {
        let state = match t.state {
            TaskState::Running => "running",
            TaskState::Uninterruptible => "TASK_UNINTERRUPTIBLE",
        };
        let _ = writeln!(
            out,
            "{}: preempt_count {}, preload pool {}, {state}",
            name(Tid(i as u8)),
            t.preempt_count,
            t.preload_nr
        );
    }
    for (mm, pt) in s.mms.iter().enumerate() {
        let _ = writeln!(
            out,
            "process {mm} page tables: nr_ptes {}, rss file {} anon {}",
            pt.nr_ptes, pt.rss[0], pt.rss[1]
        );
        for (pmd, slot) in &pt.pmds {
            let addr = pmd << PMD_SHIFT;
            match slot {
                PmdSlot::HugeDevmap { pfn, write, dirty, by } => {
                    let rw = if *write { "rw" } else { "ro" };
                    let d = if *dirty { ", dirty" } else { "" };
                    let _ = writeln!(out, "  {addr:#x}  huge devmap PMD → pfn {pfn:#x} ({rw}{d}, by {})", name(*by));
                }
                PmdSlot::HugeZero { by } => {
                    let _ = writeln!(out, "  {addr:#x}  huge zero PMD (by {})", name(*by));
                }
                PmdSlot::Table { serial, ptes } => {
                    let _ = writeln!(out, "  {addr:#x}  PTE table #{serial}");
                    for (idx, p) in ptes {
                        let rw = if p.write { "rw" } else { "ro" };
                        let _ = writeln!(out, "    {:#x} → pfn {:#x} ({rw})", addr + (u64::from(*idx) << 12), p.pfn);
                    }
                }
            }
        }
    }
    out
}
