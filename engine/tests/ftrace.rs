//! The ftrace reader on real captures (engine/tests/data/real-kernels/, provenance in
//! docs/real-kernels.md) and on hostile input.

use daxlab::ftrace::{Capture, Entry, Era, Event, FaultPoint, FtraceError};
use std::path::Path;

fn data(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real-kernels").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn read(name: &str) -> Capture {
    Capture::parse(&data(name), name).expect("a capture with events")
}

fn count(c: &Capture, pred: impl Fn(&Event) -> bool) -> usize {
    c.records.iter().filter(|r| pred(&r.event)).count()
}

#[test]
fn reference_ext4_capture_reads_completely() {
    let c = read("reference-6.1-ext4-legacy-pmem.txt");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // Counted independently with awk over the file's fifth column.
    let fault = |p: FaultPoint| move |e: &Event| matches!(e, Event::Fault(f) if f.point == p);
    assert_eq!(count(&c, fault(FaultPoint::PmdFault)), 12);
    assert_eq!(count(&c, fault(FaultPoint::PmdFaultDone)), 12);
    assert_eq!(count(&c, fault(FaultPoint::PteFault)), 6);
    assert_eq!(count(&c, fault(FaultPoint::PteFaultDone)), 6);
    assert_eq!(count(&c, fault(FaultPoint::LoadHole)), 2);
    assert_eq!(count(&c, fault(FaultPoint::PfnMkwrite)), 6);
    assert_eq!(count(&c, |e| matches!(e, Event::PmdLoadHole { .. })), 2);
    assert_eq!(count(&c, |e| matches!(e, Event::WritebackRange { done: false, .. })), 10);
    assert_eq!(count(&c, |e| matches!(e, Event::WritebackRange { done: true, .. })), 10);
    assert_eq!(count(&c, |e| matches!(e, Event::WritebackOne { .. })), 13);
    assert_eq!(count(&c, |e| matches!(e, Event::SchedSwitch { .. })), 104);
    assert_eq!(count(&c, |e| matches!(e, Event::Marker { .. })), 2);
    // The BEGIN/END frame lines are not trace lines.
    assert_eq!(c.other_lines, 2);
    assert_eq!(c.lost_events, 0);
    assert_eq!(c.era_of_entries(), Some(Era::Xarray));
}

#[test]
fn fields_flags_and_results_of_real_lines() {
    let c = read("reference-6.1-ext4-legacy-pmem.txt");
    let (r, f) =
        c.faults().find(|(_, f)| f.result.as_ref().is_some_and(|x| x.has("NEEDDSYNC") && x.has("MAJOR"))).unwrap();
    assert_eq!((r.task.as_str(), r.pid, r.cpu), ("daxwork", 133, 0));
    assert_eq!(f.point, FaultPoint::PteFaultDone);
    assert_eq!(f.flags.unknown, ["0x800"], "the unnamed fault flag stays as text");
    assert!(f.flags.has("WRITE") && f.flags.has("INTERRUPTIBLE"));
    assert_eq!((f.address, f.pgoff, f.inode.ino, f.inode.dev), (0x7f06bc201000, 0x600, 0xd, (259, 0)));
    let mut starts = c.faults().filter(|(_, f)| f.point == FaultPoint::PmdFault);
    assert!(starts.all(|(_, f)| f.result.is_none()), "an entry event has no result");
    let fallback = c.faults().filter(|(_, f)| f.result.as_ref().is_some_and(|x| x.has("FALLBACK"))).count();
    assert_eq!(fallback, 2);
    let hole = c.records.iter().find_map(|r| match &r.event {
        Event::PmdLoadHole { entry, zero_page, .. } => Some((*entry, zero_page.clone())),
        _ => None,
    });
    let (entry, zero) = hole.unwrap();
    assert_eq!(zero, "00000000a0e6448b");
    let e = Entry::decode(entry, Era::Xarray).unwrap();
    assert!(e.pmd && e.zero_page && !e.locked);
    let odd = c.records.iter().find_map(|r| match r.event {
        Event::WritebackRange { start, end: 0x7ffffffffffff, done: true, .. } => Some(start),
        _ => None,
    });
    assert_eq!(odd, Some(0x1000), "what this kernel prints as the start of a done range");
}

#[test]
fn reference_xfs_capture_and_lab_captures_read_without_warnings() {
    for name in [
        "reference-6.1-xfs-legacy-pmem.txt",
        "lab-6.1-ext4-legacy-seed-race-nokprobes.txt",
        "lab-6.1-xfs-legacy-mapsync-seed-race.txt",
        "lab-6.1-ext4-nvdimm-holetest-mini.txt",
    ] {
        let c = read(name);
        assert!(c.warnings.is_empty(), "{name}: {:?}", c.warnings);
        assert!(c.faults().count() >= 2, "{name}");
    }
}

#[test]
fn kprobes_of_the_lab_capture() {
    let c = read("lab-6.1-xfs-legacy-mapsync-seed-race.txt");
    let probes: Vec<(&str, &str, Option<&str>)> = c
        .records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Probe { name, location, returned_from, .. } => {
                Some((name.as_str(), location.as_str(), returned_from.as_deref()))
            }
            _ => None,
        })
        .collect();
    assert!(probes.contains(&("grab_mapping_entry", "grab_mapping_entry+0x0/0x1f0", None)));
    assert!(probes.iter().any(|p| p.0 == "grab_mapping_entry_ret" && p.2 == Some("grab_mapping_entry")));
    let args = c.records.iter().find_map(|r| match &r.event {
        Event::Probe { name, args, .. } if name == "grab_mapping_entry" => Some(args.clone()),
        _ => None,
    });
    assert_eq!(args.unwrap(), [("index".to_string(), "0x200".to_string()), ("order".into(), "9".into())]);
    // Both seed-race threads fault on the PMD at pgoff 0x200..0x3ff; their tasks are named.
    let tasks: std::collections::BTreeSet<&str> =
        c.faults().filter(|(_, f)| f.point == FaultPoint::PmdFaultDone).map(|(r, _)| r.task.as_str()).collect();
    assert_eq!(tasks.into_iter().collect::<Vec<_>>(), ["T1", "T2"]);
}

#[test]
fn v4_11_lines_of_the_patch_emails() {
    let c = read("patch-emails-v4.11.txt");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.records.len(), 5);
    let ins = c.records.iter().find_map(|r| match &r.event {
        Event::PmdInsertMapping { pfn, pfn_flags, entry, length, write, .. } => {
            Some((*pfn, pfn_flags.clone(), *entry, *length, *write))
        }
        _ => None,
    });
    assert_eq!(ins, Some((0x100600, Some("DEV|MAP".into()), 0xc000e, 0x200000, true)));
    assert_eq!(c.era_of_entries(), Some(Era::Radix));
    assert_eq!(c.records[3].task, "read_big");
    assert_eq!(c.records[3].ts_ns, 238_242_390_000);
}

#[test]
fn trace_cmd_report_form() {
    let text = "version = 6\ncpus=2\n\
        \x20          T1-117   [001]     5.461744: print:                (tracing_mark_write) daxlab op T1 0 store\n\
        \x20          T1-117   [001]     5.462117: dax_pmd_fault:        dev 259:0 ino 0xc shared WRITE|USER address 0x7f0000205000 vm_start 0x7f0000000000 vm_end 0x7f0000400000 pgoff 0x205 max_pgoff 0x400 \n\
        \x20      daxwork-130   [000]     3.010693: sched_switch:         daxwork:130 [120] R+ ==> kworker/0:2:54 [120]\n\
        \x20       <idle>-0     [001]     5.412018: sched_wakeup:         daxlab:115 [120] CPU:001\n";
    let c = Capture::parse(text.as_bytes(), "report.txt").unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(c.records.len(), 4);
    assert!(matches!(&c.records[0].event, Event::Marker { text } if text == "daxlab op T1 0 store"));
    assert!(
        matches!(&c.records[2].event, Event::SchedSwitch { next_comm, next_pid: 54, prev_state, .. } if next_comm == "kworker/0:2" && prev_state == "R+")
    );
    assert!(matches!(&c.records[3].event, Event::SchedWakeup { pid: 115, target_cpu: Some(1), .. }));
}

#[test]
fn malformed_known_lines_are_reported_by_line_and_skipped() {
    let text = "# tracer: nop\n\
        T1-1 [000] ..... 1.0: dax_pmd_fault: dev 259:0 ino 0xc shared WRITE address zzz vm_start 0 vm_end 0 pgoff 0 max_pgoff 0\n\
        T1-1 [000] ..... 1.1: dax_writeback_one: dev 259:0 ino 0xc pgoff 0x1\n\
        T1-1 [000] ..... 1.2: xfs_filemap_fault: dev 259:0 ino 0x1003\n\
        CPU:1 [LOST 17 EVENTS]\n\
        T1-1 [000] ..... 1.3: tracing_mark_write: ok\n";
    let c = Capture::parse(text.as_bytes(), "m.txt").unwrap();
    let lines: Vec<usize> = c.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [2, 3, 5], "{:?}", c.warnings);
    assert!(c.warnings[0].message.contains("address `zzz` is not a number"), "{:?}", c.warnings[0]);
    assert!(c.warnings[1].message.contains("ends before pglen"), "{:?}", c.warnings[1]);
    assert_eq!(c.lost_events, 17);
    assert_eq!(c.context.len(), 1, "the filesystem event is context");
    assert_eq!(c.context[0].event, "xfs_filemap_fault");
    assert_eq!(c.records.len(), 1);
}

#[test]
fn nothing_importable_binary_and_trace_dat_are_errors() {
    assert!(matches!(Capture::parse(b"", "e"), Err(FtraceError::Empty { .. })));
    assert!(matches!(Capture::parse(b"# tracer: nop\n#\n", "h"), Err(FtraceError::Empty { .. })));
    let binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    assert!(matches!(Capture::parse(&binary, "b"), Err(FtraceError::Empty { .. })));
    let mut dat = b"\x17\x08\x44tracing6\0".to_vec();
    dat.extend_from_slice(&[0; 64]);
    let e = Capture::parse(&dat, "trace.dat").unwrap_err();
    assert!(e.to_string().contains("trace-cmd report -i trace.dat"), "{e}");
}

#[test]
fn truncated_lines_and_every_prefix_of_a_real_capture_never_panic() {
    let bytes = data("lab-6.1-xfs-legacy-mapsync-seed-race.txt");
    let text = String::from_utf8(bytes).unwrap();
    for line in text.lines().filter(|l| !l.starts_with('#')).take(40) {
        for cut in 0..line.len() {
            if line.is_char_boundary(cut) {
                let _ = Capture::parse_text(&line[..cut]);
            }
        }
    }
    // A huge file: the real capture repeated; every event is read, in order.
    let one = Capture::parse_text(&text).records.len();
    let big = text.repeat(200);
    let c = Capture::parse_text(&big);
    assert_eq!(c.records.len(), one * 200);
    assert!(c.records.windows(2).all(|w| w[0].line < w[1].line));
    // An overlong line is skipped with a warning.
    let long = format!("T1-1 [000] ..... 1.0: tracing_mark_write: {}\n", "x".repeat(70_000));
    let c = Capture::parse_text(&long);
    assert_eq!((c.records.len(), c.warnings.len()), (0, 1));
}
