//! Events in words: one line each, naming what a kernel engineer would name.

use super::{EventKind, KeepReason, PmdTest, RestartReason};
use crate::dax::decode_entry;
use crate::mm::PmdKind;
use crate::radix::{Item, tag_name};
use crate::sim::{ThreadEnd, Tid};
use crate::xarray::Entry;

/// An entry value with its reading, e.g. "0x2e (locked empty PMD)".
pub fn entry_str(item: Item) -> String {
    match item {
        Item::Exceptional(v) => format!("{v:#x} ({})", decode_entry(v)),
        Item::Page(p) => format!("hole page#{p}"),
    }
}

fn opt_entry(i: &Option<Item>) -> String {
    i.map_or_else(|| "nothing".to_string(), entry_str)
}

/// What the event says happened, in one line; `names` are the threads' names by tid.
pub fn describe(kind: &EventKind, names: &[String]) -> String {
    use EventKind as E;
    let name = |t: Tid| names.get(t.index()).cloned().unwrap_or_else(|| format!("thread {}", t.0));
    match kind {
        E::Enter { func } => format!("→ {}()", func.name()),
        E::Exit { func } => format!("← {}()", func.name()),
        E::ThreadExit { end } => match end {
            ThreadEnd::Exited => "exits".into(),
            ThreadEnd::Sigbus { addr } => format!("gets SIGBUS at {addr:#x}"),
            ThreadEnd::Oom { addr } => format!("fault at {addr:#x} returned VM_FAULT_OOM"),
            ThreadEnd::Livelock { addr } => format!("keeps faulting at {addr:#x} without progress"),
        },
        E::LockAcquire { lock } => format!("spin_lock_irq({lock})"),
        E::LockRelease { lock } => format!("spin_unlock_irq({lock})"),
        E::LockContended { lock, holder } => format!("spins on {lock}, held by {}", name(*holder)),
        E::RwsemAcquire { lock, write } => format!("{}({lock})", if *write { "down_write" } else { "down_read" }),
        E::RwsemRelease { lock, write } => {
            format!("{}({lock})", if *write { "up_write" } else { "up_read" })
        }
        E::RwsemContended { lock, write } => {
            format!("waits in {}({lock})", if *write { "down_write" } else { "down_read" })
        }
        E::Lookup { index, found, canonical } => match (found, canonical) {
            (Some(item), Some(c)) if c != index => {
                format!("lookup {index:#x} → {} (the entry at {c:#x} covers it)", entry_str(*item))
            }
            _ => format!("lookup {index:#x} → {}", opt_entry(found)),
        },
        E::Relookup { index, found, .. } => match found {
            Some(item) => format!("re-lookup {index:#x} (the fix) → {}: another thread inserted it", entry_str(*item)),
            None => format!("re-lookup {index:#x} (the fix) → nothing: still free"),
        },
        E::EntryLock { index, entry } => {
            format!("locks the entry at {index:#x}: now {}", entry_str(Item::Exceptional(*entry)))
        }
        E::EntryUnlock { index, entry } => {
            format!("unlocks the entry at {index:#x}: now {}", entry_str(Item::Exceptional(*entry)))
        }
        E::WaitBegin { key, bucket, .. } => {
            format!(
                "sleeps exclusively on entry key ({:#x}, {:#x}), wait-table bucket {bucket}",
                key.mapping, key.index
            )
        }
        E::WaitEnd { key } => format!("wakes up from the wait on {:#x}", key.index),
        E::Wake { key, all, woken, .. } => {
            let who: Vec<String> = woken.iter().map(name).collect();
            format!(
                "wakes {} on key {:#x}: {}",
                if *all { "all" } else { "one" },
                key.index,
                if who.is_empty() { "nobody waiting".to_string() } else { who.join(", ") }
            )
        }
        E::Preload { ok: true, pool } => {
            format!("radix_tree_preload() ok ({pool} nodes), preemption now off")
        }
        E::Preload { ok: false, .. } => "radix_tree_preload() fails: -ENOMEM".into(),
        E::PreloadEnd => "radix_tree_preload_end(): preemption back on".into(),
        E::Insert { index, order, item, err, from_pool, .. } => format!(
            "__radix_tree_insert({index:#x}, order {order}, {}) → {}{}",
            entry_str(*item),
            err.map_or("ok".to_string(), |e| e.to_string()),
            match from_pool {
                0 => String::new(),
                n => format!(" ({n} node(s) from the preload pool: the atomic allocation failed)"),
            }
        ),
        E::Delete { index, item } => {
            format!("radix_tree_delete({index:#x}) removes {}", entry_str(*item))
        }
        E::Replace { index, old, new } => {
            format!("replaces the entry at {index:#x}: {} → {}", entry_str(*old), entry_str(*new))
        }
        E::ReplaceEmptySlot { index, new } => format!(
            "finds nothing at {index:#x} and stores {} in the empty slot its lookup stopped at, which covers more than {index:#x}",
            entry_str(*new)
        ),
        E::TagSet { index, tag } => format!("tags {index:#x} {}", tag_name(*tag)),
        E::TagClear { index, tag } => format!("clears tag {} at {index:#x}", tag_name(*tag)),
        E::IomapBegin { pos, len, write, result } => match result {
            Ok(m) => format!(
                "iomap_begin({pos:#x}, {len:#x}{}) → {:?} [{:#x}, +{:#x}) sector {:#x}{}",
                if *write { ", write" } else { "" },
                m.kind,
                m.offset,
                m.length,
                m.blkno,
                if m.new { ", new blocks" } else { "" }
            ),
            Err(e) => format!("iomap_begin({pos:#x}, {len:#x}) → {e}"),
        },
        E::IomapEnd { pos, copied, .. } => format!("iomap_end({pos:#x}, copied {copied:#x})"),
        E::FaultBegin { addr, pgoff, size, write } => format!(
            "{} {} fault at {addr:#x} (page {pgoff:#x})",
            if *write { "write" } else { "read" },
            match size {
                crate::mm::PeSize::Pmd => "PMD",
                crate::mm::PeSize::Pte => "4 KiB",
            }
        ),
        E::FaultDone { size, result, .. } => format!(
            "{} fault done: {result}",
            match size {
                crate::mm::PeSize::Pmd => "PMD",
                crate::mm::PeSize::Pte => "4 KiB",
            }
        ),
        E::Fallback { reason, .. } => format!("PMD fault falls back to 4 KiB: {}", reason.name()),
        E::GrabReturn { index, result, .. } => match result {
            Ok(item) => format!("grab_mapping_entry({index:#x}) returns {}", entry_str(*item)),
            Err(e) => format!("grab_mapping_entry({index:#x}) returns {e}"),
        },
        E::Restart { index, reason } => match reason {
            RestartReason::RelookupFound => {
                format!("the re-lookup finds an entry at {index:#x}: preload_end, unlock, goto restart")
            }
            RestartReason::PteInsertEexist => {
                format!("4 KiB insert at {index:#x} got -EEXIST: goto restart")
            }
            RestartReason::PageTruncated => {
                format!("the hole page at {index:#x} was truncated: goto restart")
            }
        },
        E::PmdCheck { addr, slot, .. } => format!("reads the PMD slot for {addr:#x}: {slot}"),
        E::PmdInstall { addr, old, new, write, .. } => {
            format!("installs a {}{new} at {addr:#x} (slot was {old})", if *write { "writable " } else { "read-only " })
        }
        E::PmdSplit { addr, old, .. } => format!("clears the {old} at {addr:#x}"),
        E::PteTableAlloc { addr, populated: true, .. } => format!("allocates the PTE table for {addr:#x}"),
        E::PteTableAlloc { addr, populated: false, .. } => {
            format!("allocated a PTE table for {addr:#x} but the slot is no longer empty; frees it")
        }
        E::PteInstall { addr, pte, .. } => format!("sets {} at {addr:#x}", pte_str(pte)),
        E::PteZap { start, end, .. } => format!("zaps the file's PTEs in [{start:#x}, {end:#x}]"),
        E::MmTeardown { mm } => format!("process {mm} unmaps the file and exits: its page tables are freed"),
        E::PteBusy { addr, .. } => format!("a PTE is already present at {addr:#x} (-EBUSY)"),
        E::BadPmd { addr, old, .. } => {
            format!("\"bad pmd\" at {addr:#x}: clears the {old} and retries")
        }
        E::UnmapRange { start, len } => format!("unmap_mapping_range({start:#x}, {len:#x})"),
        E::PageLock { page } => format!("lock_page(page#{page})"),
        E::PageUnlock { page } => format!("unlock_page(page#{page})"),
        E::PageCacheInsert { index, page, replaced } => {
            format!("hole page#{page} enters the page cache at {index:#x}, replacing {}", opt_entry(replaced))
        }
        E::PageCacheDelete { index, page } => {
            format!("hole page#{page} leaves the page cache at {index:#x}")
        }
        E::Store { addr, value, .. } => format!("stores {value:#x} at {addr:#x}"),
        E::Load { addr, value, .. } => format!("loads {value:#x} from {addr:#x}"),
        E::Bug { invariant } => format!("BUG: {invariant}"),
        E::SyscallEnter { call, offset, len } => format!("{}(offset {offset:#x}, length {len:#x})", call.name()),
        E::SyscallExit { call, ret } => format!("{} returns {ret}", call.name()),
        E::FindEntries { start, tag, indices, .. } => {
            let what = match tag {
                Some(t) => format!("find_get_entries_tag({start:#x}, {})", tag_name(*t)),
                None => format!("find_get_entries({start:#x})"),
            };
            let found: Vec<String> = indices.iter().map(|i| format!("{i:#x}")).collect();
            format!("{what} → [{}]", found.join(", "))
        }
        E::TagForWriteback { start, end, tagged } => {
            format!("tag_pages_for_writeback({start:#x}..={end:#x}): {tagged} DIRTY entries tagged TOWRITE")
        }
        E::WritebackRescan { start, pass } => {
            format!("next batch looks up from {start:#x} again (pass {pass}): v4.11 does not advance start_index")
        }
        E::Mkclean { addr, pfn, huge, .. } => format!(
            "write-protects and cleans the {} at {addr:#x} (pfn {pfn:#x})",
            if *huge { "huge PMD" } else { "PTE" }
        ),
        E::PmemFlush { offset, len } => format!("wb_cache_pmem: flushes pmem [{offset:#x}, +{len:#x})"),
        E::Isize { old, new } => format!("i_size {old:#x} → {new:#x}"),
        E::BlocksFreed { fblk, len } => format!("frees file blocks [{fblk:#x}, +{len:#x})"),
        E::BlocksAllocated { fblk, len } => format!("allocates unwritten blocks over [{fblk:#x}, +{len:#x})"),
        E::IoCopy { pos, len, write: true, value } => {
            format!("copies {len} bytes to pmem at file offset {pos:#x} ({value:#x})")
        }
        E::IoCopy { pos, len, write: false, value } => {
            format!("copies {len} bytes from pmem at file offset {pos:#x} ({value:#x})")
        }
        E::IoZero { pos, len } => format!("reads a hole: {len} zero bytes at {pos:#x}"),
        E::InvalidateKeep { index, reason } => format!(
            "keeps the entry at {index:#x}: {}",
            match reason {
                KeepReason::Locked => "it is locked",
                KeepReason::Dirty => "it is tagged DIRTY or TOWRITE",
            }
        ),
        E::XasLoad { .. }
        | E::XasFindConflict { .. }
        | E::XasFind { .. }
        | E::XasFindMarked { .. }
        | E::XasStore { .. }
        | E::XasCreateRange { .. }
        | E::XasNomem { .. }
        | E::XasPause { .. }
        | E::XasSetMark { .. }
        | E::XasClearMark { .. }
        | E::XasGetMark { .. } => describe_xas(kind),
        E::PmdTest { addr, test, slot, .. } => describe_pmd_test(*addr, *test, *slot),
        E::PteMap { addr, table, .. } => format!("pte_offset_map_lock({addr:#x}) takes PTE table #{table}"),
        E::OrphanPteInstall { addr, table, pte, .. } => format!(
            "sets {} at {addr:#x} in PTE table #{table}, which no PMD slot points to any more: the PTE is lost, its rss count stays",
            pte_str(pte)
        ),
    }
}

fn pte_str(pte: &crate::mm::Pte) -> String {
    format!(
        "a {} PTE → pfn {:#x}{}",
        if pte.write { "writable" } else { "read-only" },
        pte.pfn,
        match pte.kind {
            crate::mm::PteKind::Devmap => "",
            crate::mm::PteKind::File { .. } => " (hole page)",
            crate::mm::PteKind::Anon { .. } => " (private copy)",
        }
    )
}

/// The guard's unlocked tests of a PMD slot, and what each concludes.
fn describe_pmd_test(addr: u64, test: PmdTest, slot: PmdKind) -> String {
    let verdict = match (test, slot) {
        (PmdTest::TransUnstable, PmdKind::Table) => "stable",
        (PmdTest::TransUnstable, PmdKind::HugeDevmap) => "not pmd_trans_huge (devmap), so pmd_bad(): bad pmd",
        (PmdTest::TransUnstable, _) => "unstable: retry",
        (PmdTest::Devmap, PmdKind::HugeDevmap) => "devmap: retry",
        (PmdTest::Devmap, _) => "not devmap",
    };
    let name = match test {
        PmdTest::TransUnstable => "pmd_trans_unstable",
        PmdTest::Devmap => "pmd_devmap",
    };
    format!("{name}() loads the PMD slot for {addr:#x}: {slot}, {verdict}")
}

/// The XArray's events (entries shown as the kernel stores them, e.g. `0x17`).
fn describe_xas(kind: &EventKind) -> String {
    use EventKind as E;
    let opt = |e: &Option<Entry>| e.map_or_else(|| "NULL".to_string(), |e| e.to_string());
    let at = |index: &u64, order: &u32| match order {
        0 => format!("{index:#x}"),
        o => format!("{index:#x} (order {o})"),
    };
    match kind {
        E::XasLoad { index, order, entry } => format!("xas_load({}) → {}", at(index, order), opt(entry)),
        E::XasFindConflict { index, order, entry: Some(e) } => {
            format!("xas_find_conflict({}) → {e}", at(index, order))
        }
        E::XasFindConflict { index, order, entry: None } => {
            format!("xas_find_conflict({}) → NULL: no entry left in the range", at(index, order))
        }
        E::XasFind { index, max, entry } => format!("xas_find(..{max:#x}) → {} at {index:#x}", opt(entry)),
        E::XasFindMarked { index, max, mark, entry } => {
            format!("xas_find_marked(..{max:#x}, {mark}) → {} at {index:#x}", opt(entry))
        }
        E::XasStore { xas, entry, old, err: Some(e), .. } => format!(
            "xas_store({}, {}) fails: {e} (the slot keeps {})",
            at(&xas.xa_index(), &xas.order()),
            opt(entry),
            opt(old)
        ),
        E::XasStore { xas, entry, old, .. } => {
            format!("xas_store({}, {}), was {}", at(&xas.xa_index(), &xas.order()), opt(entry), opt(old))
        }
        E::XasCreateRange { xas, err, .. } => format!(
            "xas_create_range({}){}",
            at(&xas.xa_index(), &xas.order()),
            err.map_or_else(String::new, |e| format!(" fails: {e}"))
        ),
        E::XasNomem { ok: true, .. } => "xas_nomem(): allocated a node, retries".into(),
        E::XasNomem { ok: false, .. } => "xas_nomem(): the allocation fails (-ENOMEM stays)".into(),
        E::XasPause { index, next } => format!("xas_pause() at {index:#x}: the walk resumes at {next:#x}"),
        E::XasSetMark { xas, mark } => format!("xas_set_mark({:#x}, {mark})", xas.xa_index()),
        E::XasClearMark { xas, mark } => format!("xas_clear_mark({:#x}, {mark})", xas.xa_index()),
        E::XasGetMark { index, mark, set } => format!("xas_get_mark({index:#x}, {mark}) → {set}"),
        _ => String::new(),
    }
}

/// One line of a transcript: step, thread, what happened.
pub fn event_line(e: &super::Event, names: &[String]) -> String {
    let who = names.get(e.tid.index()).map_or("?", String::as_str);
    format!("{:>6}  {who:<6} {}", e.step, describe(&e.kind, names))
}

/// The whole run as text: every event, then the outcome.
pub fn transcript(events: &[super::Event], outcome: &crate::check::Outcome, names: &[String]) -> String {
    let mut out = String::new();
    for e in events {
        out.push_str(&event_line(e, names));
        out.push('\n');
    }
    out.push_str(&format!("outcome: {outcome}\n"));
    out
}
