//! The other direction: records printed as /sys/kernel/tracing/trace lines, and a model
//! trace turned into the records its kernel's fs_dax tracepoints would have produced.

use super::{Event, FAULT_FLAGS, Fault, FaultPoint, Flags, Inode, RESULT_FLAGS, Record};
use crate::mm::{PeSize, PmdKind, VmFault};
use crate::radix::Item;
use crate::scenario::Scenario;
use crate::trace::{EventKind, Trace};
use std::fmt::Write;

fn inode(i: &Inode) -> String {
    format!("dev {}:{} ino {:#x}", i.dev.0, i.dev.1, i.ino)
}

fn shared(s: bool) -> &'static str {
    if s { "shared" } else { "private" }
}

fn fault_body(f: &Fault) -> String {
    let result = f.result.as_ref().map(Flags::text).unwrap_or_default();
    let head = format!("{} {} {} address {:#x}", inode(&f.inode), shared(f.shared), f.flags.text(), f.address);
    match f.vma {
        Some((s, e, max)) => {
            format!("{head} vm_start {s:#x} vm_end {e:#x} pgoff {:#x} max_pgoff {max:#x} {result}", f.pgoff)
        }
        None => format!("{head} pgoff {:#x} {result}", f.pgoff),
    }
}

fn event_name(f: &Fault) -> &'static str {
    match f.point {
        FaultPoint::PmdFault => "dax_pmd_fault",
        FaultPoint::PmdFaultDone => "dax_pmd_fault_done",
        FaultPoint::PteFault => "dax_pte_fault",
        FaultPoint::PteFaultDone => "dax_pte_fault_done",
        FaultPoint::LoadHole => "dax_load_hole",
        FaultPoint::PfnMkwrite => "dax_insert_pfn_mkwrite",
        FaultPoint::PfnMkwriteNoEntry => "dax_insert_pfn_mkwrite_no_entry",
    }
}

/// The event name and the fields, as the tracepoint prints them.
pub fn event_text(e: &Event) -> (String, String) {
    let (name, body) = match e {
        Event::Fault(f) => (event_name(f).to_string(), fault_body(f)),
        Event::PmdLoadHole { fallback, inode: i, shared: s, address, zero_page, entry } => (
            format!("dax_pmd_load_hole{}", if *fallback { "_fallback" } else { "" }),
            format!("{} {} address {address:#x} zero_page {zero_page} radix_entry {entry:#x}", inode(i), shared(*s)),
        ),
        Event::PmdInsertMapping { fallback, inode: i, shared: s, write, address, length, pfn, pfn_flags, entry } => (
            format!("dax_pmd_insert_mapping{}", if *fallback { "_fallback" } else { "" }),
            format!(
                "{} {} {} address {address:#x} length {length:#x} pfn {pfn:#x} {}radix_entry {entry:#x}",
                inode(i),
                shared(*s),
                if *write { "write" } else { "read" },
                pfn_flags.as_ref().map(|f| format!("{f} ")).unwrap_or_default()
            ),
        ),
        Event::InsertMapping { inode: i, shared: s, write, address, entry } => (
            "dax_insert_mapping".into(),
            format!(
                "{} {} {} address {address:#x} radix_entry {entry:#x}",
                inode(i),
                shared(*s),
                if *write { "write" } else { "read" }
            ),
        ),
        Event::WritebackRange { done, inode: i, start, end } => (
            format!("dax_writeback_range{}", if *done { "_done" } else { "" }),
            format!("{} pgoff {start:#x}-{end:#x}", inode(i)),
        ),
        Event::WritebackOne { inode: i, pgoff, pglen } => {
            ("dax_writeback_one".into(), format!("{} pgoff {pgoff:#x} pglen {pglen:#x}", inode(i)))
        }
        // The priorities are not kept; 120 is every normal task's.
        Event::SchedSwitch { prev_comm, prev_pid, prev_state, next_comm, next_pid } => (
            "sched_switch".into(),
            format!(
                "prev_comm={prev_comm} prev_pid={prev_pid} prev_prio=120 prev_state={prev_state} ==> next_comm={next_comm} next_pid={next_pid} next_prio=120"
            ),
        ),
        Event::SchedWakeup { comm, pid, target_cpu } => {
            ("sched_wakeup".into(), format!("comm={comm} pid={pid} prio=120 target_cpu={:03}", target_cpu.unwrap_or(0)))
        }
        Event::Marker { text } => ("tracing_mark_write".into(), text.clone()),
        Event::Probe { name, location, returned_from, args } => {
            let loc = match returned_from {
                Some(f) => format!("({location} <- {f})"),
                None => format!("({location})"),
            };
            let args: String = args.iter().map(|(k, v)| format!(" {k}={v}")).collect();
            (name.clone(), format!("{loc}{args}"))
        }
    };
    (name, body)
}

/// One line in the trace file's form.
pub fn write_line(r: &Record) -> String {
    let (name, body) = event_text(&r.event);
    let who = format!("{}-{}", r.task, r.pid);
    let ts = format!("{}.{:06}", r.ts_ns / 1_000_000_000, (r.ts_ns % 1_000_000_000) / 1000);
    format!("{who:>24} [{:03}] {} {ts:>12}: {name}: {body}", r.cpu, r.flags.as_deref().unwrap_or("....."))
}

/// A whole trace file: the header, then every record.
pub fn write_trace(records: &[Record]) -> String {
    let mut out = String::from("# tracer: nop\n#\n");
    for r in records {
        let _ = writeln!(out, "{}", write_line(r));
    }
    out
}

/// The device and inode the model's one file is printed as: /dev/pmem0 (259:0), inode 12.
pub const MODEL_INODE: Inode = Inode { dev: (259, 0), ino: 0xc };
/// The pid of the model's thread `tid` in the printed trace.
pub const MODEL_PID_BASE: i64 = 1000;

/// The user-fault flags of v4.11 (FAULT_FLAG_ALLOW_RETRY | KILLABLE | USER, with WRITE).
fn user_fault_flags(write: bool) -> Flags {
    let names = if write { "WRITE|ALLOW_RETRY|KILLABLE|USER" } else { "ALLOW_RETRY|KILLABLE|USER" };
    Flags::parse(names, FAULT_FLAGS)
}

fn result_flags(r: VmFault) -> Flags {
    if r == VmFault::NONE { Flags::default() } else { Flags::parse(&r.to_string(), RESULT_FLAGS) }
}

/// What the v4.11 fs_dax tracepoints would have printed for a model trace: the PMD fault
/// and its end, the PMD mapping inserted and the huge zero page loaded. v4.11 has no 4 KiB
/// fault tracepoints (v4.12 added them), so the model's PTE faults print nothing. One step
/// is printed as one microsecond; the pids are 1000 + the thread's number, the CPU its
/// number.
pub fn from_model(trace: &Trace, sc: &Scenario) -> Vec<Record> {
    let threads: Vec<(String, u64, u64, bool)> = sc
        .threads()
        .map(|(_, p, t)| (t.name.get_ref().clone(), sc.map_base(p), sc.map_length(p), p.mapping().shared))
        .collect();
    let max_pgoff = (sc.size() as i64 - 1) >> 12;
    let mut last_entry = vec![0u64; threads.len()];
    let mut pmd_start: Vec<Option<(u64, bool)>> = vec![None; threads.len()];
    let mut out = Vec::new();
    for e in &trace.events {
        let t = e.tid.index();
        let Some((name, base, len, is_shared)) = threads.get(t) else { continue };
        let event = match &e.kind {
            EventKind::GrabReturn { result: Ok(Item::Exceptional(v)), .. }
            | EventKind::Insert { item: Item::Exceptional(v), err: None, .. }
            | EventKind::Replace { new: Item::Exceptional(v), .. } => {
                last_entry[t] = *v;
                continue;
            }
            EventKind::FaultBegin { addr, pgoff, size: PeSize::Pmd, write } => {
                pmd_start[t] = Some((*pgoff, *write));
                let vma = (*base, base + len, max_pgoff as u64);
                fault(FaultPoint::PmdFault, *addr, *pgoff, vma, *write, *is_shared, None)
            }
            EventKind::FaultDone { addr, size: PeSize::Pmd, result } => {
                // The done tracepoint prints the same vmf as the entry one.
                let (pgoff, write) = pmd_start[t].take().unwrap_or((addr.saturating_sub(*base) >> 12, false));
                let vma = (*base, base + len, max_pgoff as u64);
                fault(FaultPoint::PmdFaultDone, *addr, pgoff, vma, write, *is_shared, Some(result_flags(*result)))
            }
            EventKind::PmdInstall { addr, new: PmdKind::HugeDevmap, pfn, write, .. } => Event::PmdInsertMapping {
                fallback: false,
                inode: MODEL_INODE,
                shared: *is_shared,
                write: *write,
                address: *addr,
                length: 0x200000,
                pfn: *pfn,
                pfn_flags: Some("DEV|MAP".into()),
                entry: last_entry[t],
            },
            EventKind::PmdInstall { addr, new: PmdKind::HugeZero, .. } => Event::PmdLoadHole {
                fallback: false,
                inode: MODEL_INODE,
                shared: *is_shared,
                address: *addr,
                zero_page: "0000000000000000".into(),
                entry: last_entry[t],
            },
            _ => continue,
        };
        out.push(Record {
            line: out.len() + 3,
            task: name.clone(),
            pid: MODEL_PID_BASE + t as i64,
            cpu: t as u32,
            flags: Some(".....".into()),
            ts_ns: 1_000_000_000 + u64::from(e.step) * 1000,
            event,
        });
    }
    out
}

fn fault(
    point: FaultPoint,
    address: u64,
    pgoff: u64,
    vma: (u64, u64, u64),
    write: bool,
    shared: bool,
    result: Option<Flags>,
) -> Event {
    Event::Fault(Fault {
        point,
        inode: MODEL_INODE,
        shared,
        flags: user_fault_flags(write),
        address,
        pgoff,
        vma: Some(vma),
        result,
    })
}
