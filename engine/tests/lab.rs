//! The lab: the guest workload on this machine's own kernel (no QEMU), then real boots of
//! Debian's kernel under QEMU on ext4 and on xfs with MAP_SYNC, whose captures must hold the
//! real PMD faults of both threads of seed-race.
//!
//! The boots need qemu-system-x86, busybox-static, e2fsprogs, xfsprogs and apt access to
//! Debian's kernel package (.ci/run installs them). `DAXLAB_SKIP_LAB_TEST=1` skips the
//! boots on a machine without them, and says so.

use std::path::{Path, PathBuf};
use std::process::Command;

fn daxlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_daxlab"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daxlab-lab-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.toml"))
}

/// The result lines the guest wrote to its capture file.
fn results(capture: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(capture).expect("the capture file");
    text.lines()
        .filter_map(|l| l.strip_prefix("daxlab-result "))
        .map(|j| serde_json::from_str(j).expect("a JSON result"))
        .collect()
}

#[test]
fn guest_workload_runs_real_threads_on_this_kernel() {
    let dir = scratch("guest");
    let cap = dir.join("capture.txt");
    let out = daxlab()
        .args(["lab", "guest"])
        .arg(scenario("seed-race"))
        .arg(scenario("holetest-mini"))
        .arg("--dir")
        .arg(&dir)
        .arg("--capture")
        .arg(&cap)
        .args(["--iterations", "2"])
        .output()
        .expect("daxlab runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rs = results(&cap);
    assert_eq!(rs.len(), 4, "two scenarios, two iterations");
    let names: Vec<&str> = rs.iter().map(|r| r["scenario"].as_str().unwrap()).collect();
    assert_eq!(names, ["seed-race", "holetest-mini", "seed-race", "holetest-mini"]);
    for r in &rs {
        assert_eq!(r["processes"][0]["end"], serde_json::json!({ "exited": { "code": 0 } }));
        let values = r["data"]["checked"]["values"].as_u64().expect("the data were checked");
        assert!(values >= 2, "{r}");
        assert_eq!(r["data"]["checked"]["lost"], serde_json::json!([]));
    }
    // seed-race maps at the scenario's own address.
    assert_eq!(rs[0]["processes"][0]["address"], 0x7f00_0000_0000u64);
    // The files are removed after each iteration.
    assert!(!dir.join("daxlab-1").exists());
}

#[test]
fn guest_reports_sigbus_and_skips_what_it_cannot_check() {
    let dir = scratch("sigbus");
    let sc = dir.join("sc.toml");
    std::fs::write(
        &sc,
        "name = \"past-eof\"\ndescription = \"store past EOF after a truncate\"\n[file]\nsize = \"8KiB\"\n\
         [[process]]\nname = \"p\"\nmmap = { shared = true }\n[[process.thread]]\nname = \"T1\"\n\
         ops = [{ op = \"truncate\", size = 4096 }, { op = \"store\", at = 0x1000, value = 1 }]\n",
    )
    .unwrap();
    let cap = dir.join("capture.txt");
    let out = daxlab()
        .args(["lab", "guest"])
        .arg(&sc)
        .arg("--dir")
        .arg(&dir)
        .arg("--capture")
        .arg(&cap)
        .output()
        .expect("daxlab runs");
    assert_eq!(out.status.code(), Some(1), "a SIGBUS is a failure");
    let r = &results(&cap)[0];
    assert_eq!(r["processes"][0]["end"], serde_json::json!({ "signaled": { "signal": "SIGBUS" } }));
    assert!(r["data"]["skipped"]["reason"].as_str().unwrap().contains("did not finish"));
}

fn boots_wanted() -> bool {
    if std::env::var_os("DAXLAB_SKIP_LAB_TEST").is_some_and(|v| v == "1") {
        eprintln!("DAXLAB_SKIP_LAB_TEST=1: skipping the QEMU boots");
        return false;
    }
    true
}

/// Boots once; returns the output folder and the report printed.
fn lab_run(name: &str, args: &[&str]) -> (PathBuf, String) {
    let out_dir = scratch(name);
    let out =
        daxlab().args(["lab", "run", "seed-race"]).args(args).arg("-o").arg(&out_dir).output().expect("daxlab runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "lab run {args:?} failed ({}):\n{stdout}\n{}\nconsole:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(out_dir.join("console.log")).unwrap_or_default()
    );
    (out_dir, stdout)
}

/// The fs_dax lines of one task in a capture.
fn pmd_faults_of(capture: &str, task: &str) -> Vec<String> {
    capture
        .lines()
        .filter(|l| l.trim_start().starts_with(&format!("{task}-")) && l.contains(" dax_pmd_fault_done: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn seed_race_on_a_real_kernel_ext4_and_xfs_with_map_sync() {
    if !boots_wanted() {
        return;
    }
    let (dir, report) = lab_run("ext4", &["--fs", "ext4"]);
    assert!(report.contains("outcome: ok"), "{report}");
    let capture = std::fs::read_to_string(dir.join("seed-race.1.ftrace.txt")).expect("the capture");
    // Both threads write-fault into the 2 MiB hole at 2 MiB: each ends a real PMD fault
    // (one installs the PMD, the other waits for the entry lock and finds it).
    for t in ["T1", "T2"] {
        let faults = pmd_faults_of(&capture, t);
        assert!(!faults.is_empty(), "no dax_pmd_fault_done of {t} in:\n{capture}");
        assert!(faults.iter().all(|f| f.contains(" pgoff 0x2") && f.contains("WRITE")), "{faults:?}");
    }
    assert!(capture.contains("tracing_mark_write: daxlab op T1 0 store 0x205400"), "{capture}");
    // The capture is imported as a kernel trace, which explain reads.
    let explain = daxlab().arg("explain").arg(dir.join("seed-race.1.kernel.json")).output().expect("daxlab runs");
    let words = String::from_utf8_lossy(&explain.stdout);
    let lanes = words.lines().find(|l| l.starts_with("lanes: ")).unwrap_or_default();
    // Lanes come in order of first activity, which the race decides.
    assert!(explain.status.success() && lanes.contains("T1-") && lanes.contains("T2-"), "{words}");
    assert!(words.contains("PMD fault done: write"), "{words}");

    let (dir, report) = lab_run("xfs", &["--fs", "xfs", "--map-sync"]);
    assert!(report.contains("xfs on legacy pmem, MAP_SYNC"), "{report}");
    let capture = std::fs::read_to_string(dir.join("seed-race.1.ftrace.txt")).expect("the capture");
    // With MAP_SYNC, the fault that allocates the blocks must sync the metadata first.
    assert!(capture.contains(" NEEDDSYNC"), "no NEEDDSYNC under MAP_SYNC:\n{capture}");
    assert!(capture.contains("dax_insert_pfn_mkwrite: "), "{capture}");
}

#[test]
fn lab_stress_runs_holetest_on_the_kernel_and_the_model_on_a_map_sync_dax_file() {
    if !boots_wanted() {
        return;
    }
    let out_dir = scratch("stress");
    let out = daxlab()
        .args(["lab", "stress", "--sizes", "1", "--model", "fixed", "-o"])
        .arg(&out_dir)
        .output()
        .expect("daxlab runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}\n{}", String::from_utf8_lossy(&out.stderr));
    for kind in ["zero-filled", "posix_fallocate", "ftruncate"] {
        assert!(report.contains(&format!("holetest-{kind}: ")), "{report}");
    }
    assert!(report.contains("512 of 512 values read back"), "{report}");
    // pmem/'s file backend mapped its file on the DAX mount with MAP_SYNC: the DAX path for real.
    assert!(report.contains("(MAP_SYNC, "), "{report}");
    assert!(!report.contains("MAP_SYNC refused"), "{report}");
}
