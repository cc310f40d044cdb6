//! `daxlab import ftrace` and `daxlab export --format ftrace`: import ∘ export on every
//! golden trace and on the real captures, and the CLI's answers to bad input.

use daxlab::ftrace::{Capture, Event, FaultPoint, KernelTrace, Record, from_model, write_trace};
use daxlab::mm::PeSize;
use daxlab::trace::{EventKind, Trace};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn daxlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_daxlab"))
}

fn real(name: &str) -> PathBuf {
    root().join("engine/tests/data/real-kernels").join(name)
}

fn without_lines(rs: &[Record]) -> Vec<Record> {
    rs.iter().cloned().map(|r| Record { line: 0, ..r }).collect()
}

#[test]
fn export_then_import_gives_back_every_golden_traces_fs_dax_events() {
    let mut pmd_faults = 0;
    let mut goldens = 0;
    for entry in std::fs::read_dir(root().join("traces")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "daxtrace") {
            continue;
        }
        goldens += 1;
        let trace = Trace::load(&path).unwrap();
        let sc = trace.scenario().unwrap();
        let records = from_model(&trace, &sc);
        let text = write_trace(&records);
        let back = Capture::parse_text(&text);
        assert!(back.warnings.is_empty(), "{}: {:?}", path.display(), back.warnings);
        assert_eq!(back.records, records, "{}", path.display());
        // Every PMD fault of the model, begin and end, in order per thread.
        for (tid, (_, _, t)) in sc.threads().enumerate() {
            let model: Vec<(bool, u64)> = trace
                .events
                .iter()
                .filter(|e| e.tid.index() == tid)
                .filter_map(|e| match e.kind {
                    EventKind::FaultBegin { addr, size: PeSize::Pmd, .. } => Some((false, addr)),
                    EventKind::FaultDone { addr, size: PeSize::Pmd, .. } => Some((true, addr)),
                    _ => None,
                })
                .collect();
            let imported: Vec<(bool, u64)> = back
                .faults()
                .filter(|(r, _)| r.task == *t.name.get_ref())
                .map(|(_, f)| (f.point == FaultPoint::PmdFaultDone, f.address))
                .collect();
            assert_eq!(imported, model, "{} thread {}", path.display(), t.name);
            pmd_faults += model.len();
        }
    }
    assert!(goldens >= 10 && pmd_faults > 0, "{goldens} goldens, {pmd_faults} PMD fault events");
}

#[test]
fn the_seed_race_prints_the_v4_11_insert_and_its_result() {
    let trace = Trace::load(&root().join("traces/seed-race.fixed.same-interleaving.daxtrace")).unwrap();
    let text = write_trace(&from_model(&trace, &trace.scenario().unwrap()));
    assert!(
        text.contains("dax_pmd_insert_mapping: dev 259:0 ino 0xc shared write address 0x7f0000200000 length 0x200000"),
        "{text}"
    );
    assert!(text.contains(" DEV|MAP radix_entry 0x"), "{text}");
    assert!(text.lines().any(|l| l.contains("dax_pmd_fault_done:") && l.ends_with(" NOPAGE")), "{text}");
}

#[test]
fn a_real_capture_survives_import_export_import() {
    let dir = std::env::temp_dir().join(format!("daxlab-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["lab-6.1-xfs-legacy-mapsync-seed-race.txt", "reference-6.1-ext4-legacy-pmem.txt"] {
        let kt = dir.join(format!("{name}.json"));
        let out = daxlab()
            .args(["import", "ftrace"])
            .arg(real(name))
            .args(["--kernel", "6.1", "-o"])
            .arg(&kt)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = daxlab().args(["export", "--format", "ftrace"]).arg(&kt).output().unwrap();
        assert!(text.status.success());
        let again = Capture::parse_text(&String::from_utf8(text.stdout).unwrap());
        let first = Capture::parse_text(&std::fs::read_to_string(real(name)).unwrap());
        assert_eq!(without_lines(&again.records), without_lines(&first.records), "{name}");
        // explain and the Perfetto export read the kernel trace too.
        let explain = daxlab().arg("explain").arg(&kt).output().unwrap();
        let words = String::from_utf8(explain.stdout).unwrap();
        assert!(words.contains("PMD fault done: write"), "{words}");
        let perfetto = daxlab().args(["export", "--format", "perfetto"]).arg(&kt).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&perfetto.stdout).unwrap();
        let slices = v["traceEvents"].as_array().unwrap().iter().filter(|e| e["cat"] == "kernel-fault").count();
        assert!(slices >= 2, "{name}: {slices} fault slices");
    }
}

#[test]
fn kernel_trace_lanes_and_spans_of_the_seed_race() {
    let cap = Capture::parse(&std::fs::read(real("lab-6.1-xfs-legacy-mapsync-seed-race.txt")).unwrap(), "x").unwrap();
    let kt = KernelTrace::from_capture(cap, "x", None);
    let tl = kt.timeline();
    let lanes: Vec<&str> = tl.lanes.iter().map(|l| l.task.as_str()).collect();
    assert_eq!(lanes, ["T1", "T2"]);
    let faults: Vec<(usize, &str)> = tl
        .spans
        .iter()
        .filter_map(|s| match &s.kind {
            daxlab::ftrace::SpanKind::Fault { pmd: true, result: Some(r), .. } => {
                Some((s.lane, daxlab::ftrace::fault_class(r)))
            }
            _ => None,
        })
        .collect();
    assert_eq!(faults, [(1, "NEEDDSYNC"), (0, "NOPAGE")]);
    // T1 slept uninterruptibly while T2 held the entry.
    assert!(
        tl.spans
            .iter()
            .any(|s| s.lane == 0 && matches!(&s.kind, daxlab::ftrace::SpanKind::OffCpu { state } if state == "D"))
    );
    assert!(matches!(kt.records[0].event, Event::Marker { .. }));
}

#[test]
fn bad_inputs_exit_2_with_the_reason_and_warnings_name_lines() {
    let dir = std::env::temp_dir().join(format!("daxlab-import-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("random.bin");
    std::fs::write(&bin, (0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<_>>())
        .unwrap();
    let out = daxlab().args(["import", "ftrace"]).arg(&bin).arg("-o").arg(dir.join("o.json")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to import"));
    let out = daxlab().args(["import", "ftrace", "/no/such/file", "-o"]).arg(dir.join("o.json")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = daxlab()
        .args(["import", "ftrace"])
        .arg(real("patch-emails-v4.11.txt"))
        .args(["--kernel", "2.6", "-o"])
        .arg(dir.join("o.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a release without fs_dax tracepoints");
    let mixed = dir.join("mixed.txt");
    std::fs::write(
        &mixed,
        "T1-1 [000] ..... 1.0: tracing_mark_write: hello\nT1-1 [000] ..... 1.1: dax_writeback_one: dev 1:0 ino 0x1 pgoff zz pglen 1\n",
    )
    .unwrap();
    let out = daxlab().args(["import", "ftrace"]).arg(&mixed).arg("-o").arg(dir.join("m.json")).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mixed.txt:2: skipped: dax_writeback_one: pgoff `zz` is not a number"), "{err}");
}
