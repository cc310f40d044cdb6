//! The `daxlab` command line as a user meets it: exit codes, tables, errors.

use std::path::PathBuf;
use std::process::{Command, Output};

fn daxlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_daxlab")).args(args).output().expect("daxlab runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `name` inside a fresh folder of its own (tests run in parallel and must not meet).
fn scratch(name: &str) -> PathBuf {
    tempfile::Builder::new().prefix("daxlab-cli-").tempdir().expect("scratch").keep().join(name)
}

#[test]
fn scenarios_lists_the_builtins() {
    let o = daxlab(&["scenarios"]);
    assert_eq!(o.status.code(), Some(0));
    for name in ["seed-race", "pte-vs-pmd", "pmd-vs-pte-collision", "holetest-mini", "holetest-mini-fork"] {
        assert!(stdout(&o).contains(name), "{name} listed");
    }
}

#[test]
fn unfixed_seed_race_exits_1_with_the_failure_and_its_witness() {
    let o = daxlab(&["explore", "seed-race", "--variant", "unfixed"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("bug(pte-under-huge-pmd)"));
    assert!(out.contains("minimal witness: 2 preemptions"));
    assert!(out.contains("-EEXIST"));
    assert!(out.contains("preemption: T1 could go on; T2's CPU runs ahead"));
}

#[test]
fn fixed_seed_race_at_bound_3_exits_0_and_counts_executions() {
    let o = daxlab(&["explore", "seed-race", "--variant", "fixed", "--preemptions", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("result: no failure in"));
    assert!(out.contains("search complete"));
}

#[test]
fn json_output_has_the_same_numbers() {
    let o = daxlab(&["explore", "seed-race", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let reports = v.as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["kernel"]["release"], "v4.11-rc5");
    assert_eq!(reports[1]["kernel"]["fixes"][0], "e11f8b7b6c4e");
    let total: u64 = reports[0]["rows"].as_array().unwrap().iter().map(|r| r["executions"].as_u64().unwrap()).sum();
    assert_eq!(total, reports[0]["executions"].as_u64().unwrap());
    assert!(reports[1]["rows"].as_array().unwrap().iter().all(|r| r["failure"] == false));
}

#[test]
fn witnesses_are_traces_that_replay_and_convert() {
    let dir = scratch("witnesses");
    let o = daxlab(&["explore", "seed-race", "--kernel", "unfixed", "--witness-out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let trace = dir.join("seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace");
    assert!(stdout(&o).contains(trace.to_str().unwrap()));

    let o = daxlab(&["replay", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("matches"));
    assert!(stdout(&o).contains("pte_offset_map_lock"));

    let json = dir.join("seed.json");
    let o = daxlab(&["convert", trace.to_str().unwrap(), json.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let back = dir.join("back.daxtrace");
    daxlab(&["convert", json.to_str().unwrap(), back.to_str().unwrap()]);
    assert_eq!(std::fs::read(&trace).unwrap(), std::fs::read(&back).unwrap(), "conversion is lossless");

    // Edit one event by hand: T2's insert now claims -EEXIST. The replay must diverge at
    // exactly that event.
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let events = v["trace"]["events"]["events"].as_array_mut().unwrap();
    let (index, insert) = events
        .iter_mut()
        .enumerate()
        .find(|(_, e)| e["tid"] == 1 && e["kind"].get("insert").is_some())
        .expect("T2 inserts its PMD entry");
    insert["kind"]["insert"]["err"] = serde_json::json!("EEXIST");
    let edited = dir.join("edited.json");
    std::fs::write(&edited, serde_json::to_vec(&v).unwrap()).unwrap();
    let o = daxlab(&["replay", edited.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains(&format!("DIVERGES at event {index}")), "{out}");
    assert!(out.contains("recorded") && out.contains("-EEXIST"), "{out}");

    let o = daxlab(&["replay", trace.to_str().unwrap(), "--to", "24"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("0x200-0x3ff"), "the state at step 24 shows T2's PMD entry");
}

#[test]
fn a_corrupt_trace_exits_2_naming_the_file() {
    let path = scratch("corrupt.daxtrace");
    std::fs::write(&path, b"DAXTRACE\x01\x00garbage").unwrap();
    let o = daxlab(&["replay", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("corrupt.daxtrace"), "{}", stderr(&o));
}

#[test]
fn a_scenario_file_with_a_bad_field_exits_2_naming_field_and_line() {
    let path = scratch("bad.toml");
    std::fs::write(
        &path,
        "name = \"x\"\ndescription = \"x\"\n[file]\nsize = \"2MiB\"\n[[process]]\nname = \"p\"\nmmap = {}\n[[process.thread]]\nname = \"T\"\nops = [\n  { op = \"store\", at = 0x0, value = 1 },\n  { op = \"store\", at = 0x400000, value = 1 },\n]\n",
    )
    .unwrap();
    let o = daxlab(&["explore", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("line 12"), "{err}");
    assert!(err.contains("ops[1]"), "{err}");
    assert!(err.contains("outside the mapping"), "{err}");
}

#[test]
fn a_syntax_error_exits_2_with_the_location() {
    let path = scratch("syntax.toml");
    std::fs::write(&path, "name = \"x\"\ndescription = \n").unwrap();
    let o = daxlab(&["explore", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
}

#[test]
fn unknown_fields_and_names_are_refused() {
    let path = scratch("unknown.toml");
    std::fs::write(&path, "name = \"x\"\ndescription = \"x\"\ncolour = 3\n").unwrap();
    let o = daxlab(&["explore", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("colour"), "{}", stderr(&o));

    let o = daxlab(&["explore", "no-such-scenario"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("seed-race"), "the error lists the built-ins");

    let o = daxlab(&["explore", "/nonexistent/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/file.toml"));
}

#[test]
fn bad_usage_exits_2() {
    let o = daxlab(&["explore", "seed-race", "--variant", "sideways"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn show_prints_a_loadable_scenario() {
    let o = daxlab(&["show", "holetest-mini"]);
    assert_eq!(o.status.code(), Some(0));
    let path = scratch("copy.toml");
    std::fs::write(&path, o.stdout).unwrap();
    let o = daxlab(&["explore", path.to_str().unwrap(), "--kernel", "fixed"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn stress_holetest_fixed_passes_and_prints_the_summary() {
    let o = daxlab(&["stress", "holetest", "--variant", "fixed", "--iterations", "2", "--sizes", "1,2"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    for want in ["iterations run   2", "failures         0", "faults/s", "per iteration", "outcome classes"] {
        assert!(out.contains(want), "{want} in {out}");
    }
}

#[test]
fn stress_with_a_bad_pmem_path_exits_2_naming_it() {
    let o = daxlab(&["stress", "holetest", "--kernel", "fixed", "--pmem", "/nonexistent/pmem"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--pmem /nonexistent/pmem: no such file or directory"), "{}", stderr(&o));
    let o = daxlab(&["stress", "holetest", "--kernel", "fixed", "--perturb", "2"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn stress_on_a_non_dax_file_says_map_sync_was_refused_once() {
    let dir = scratch("pmem-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let o = daxlab(&["stress", "holetest", "--kernel", "fixed", "--sizes", "1", "--pmem", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("MAP_SYNC refused").count(), 1, "{}", stderr(&o));
}

#[test]
fn kernels_lists_releases_their_fixes_and_what_each_changes() {
    let o = daxlab(&["kernels"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for release in ["v4.10", "v4.11-rc5 = unfixed", "v4.11 = fixed", "v4.12", "v4.13"] {
        assert!(out.contains(release), "{release} listed: {out}");
    }
    assert!(out.contains("+ e11f8b7b6c4e dax: fix radix tree insertion race"), "{out}");
    assert!(out.contains("changes fs/dax.c: grab_mapping_entry"), "{out}");
}

#[test]
fn any_release_runs_with_a_fix_taken_out_or_added() {
    let o = daxlab(&["explore", "seed-race", "--kernel", "v4.13", "--without", "e11f8b7b6c4e"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("kernel v4.13 without e11f8b7b6c4e"), "{}", stdout(&o));
    assert!(stdout(&o).contains("bug(pte-under-huge-pmd)"));
    let o = daxlab(&["explore", "seed-race", "--variant", "unfixed", "--with", "insertion-race"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = daxlab(&["explore", "seed-race", "--kernel", "4.12"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("expected for v4.12: no failure — found: no failure (as expected)"), "{}", stdout(&o));
}

#[test]
fn a_kernel_or_fix_that_does_not_exist_exits_2_saying_what_does() {
    let o = daxlab(&["explore", "seed-race", "--kernel", "v4.99"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown kernel release `v4.99`"), "{}", stderr(&o));
    assert!(stderr(&o).contains("v4.11-rc5"), "{}", stderr(&o));
    let o = daxlab(&["explore", "seed-race", "--kernel", "v4.12", "--without", "deadbeef"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown fix `deadbeef`"), "{}", stderr(&o));
    let o = daxlab(&["explore", "seed-race", "--variant", "unfixed", "--without", "e11f8b7b6c4e"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not have e11f8b7b6c4e"), "{}", stderr(&o));
    let o = daxlab(&["explore", "seed-race", "--with", "e11f8b7b6c4e"]);
    assert_eq!(o.status.code(), Some(2), "--with on the default two kernels is ambiguous");
}

#[test]
fn diff_compares_a_trace_with_any_kernel() {
    let trace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace");
    let t = trace.to_str().unwrap();
    let o = daxlab(&["diff", t]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("recorded on v4.11-rc5, carried to v4.11"), "{}", stdout(&o));
    let o = daxlab(&["diff", t, "--against", "v4.13"]);
    assert!(stdout(&o).contains("carried to v4.13)"), "{}", stdout(&o));
    assert!(stdout(&o).contains("they part here"), "{}", stdout(&o));
    let o = daxlab(&["diff", t, "--against", "v4.13", "--without", "e11f8b7b6c4e"]);
    assert!(stdout(&o).contains("the two kernels never part"), "{}", stdout(&o));
    let o = daxlab(&["replay", t, "--with", "e11f8b7b6c4e"]);
    assert_eq!(o.status.code(), Some(1), "the fix changes the run: the replay diverges");
    assert!(stdout(&o).contains("v4.11-rc5 with e11f8b7b6c4e) DIVERGES"), "{}", stdout(&o));
}

#[test]
fn matrix_prints_each_scenarios_history_and_checks_it_against_expect() {
    let o = daxlab(&["matrix", "seed-race", "fault-vs-write"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("v4.10 .. v4.11-rc5"), "{out}");
    assert!(out.contains("bug(pte-under-huge-pmd) (2 preemptions)"), "{out}");
    assert!(out.contains("v4.11 .. v5.2 "), "{out}");
    // fault-vs-write loses data on every radix-era kernel: one line, whatever the witness
    // lengths; the XArray era's entry lock, taken before iomap_begin, closes it.
    assert!(out.contains("v4.10 .. v4.13               data-loss (1 preemption)"), "{out}");
    assert!(out.contains("v4.20 .. v6.1                no failure"), "{out}");
    let kernels = daxlab::Release::ALL.len();
    assert!(out.contains(&format!("2 scenarios × {kernels} kernels")), "{out}");
    let o = daxlab(&["matrix", "seed-race", "--kernels", "v4.12 without e11f8b7b6c4e,v4.12", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["kernels"], serde_json::json!(["v4.12 without e11f8b7b6c4e", "v4.12"]));
    let cells = v["rows"][0]["cells"].as_array().unwrap();
    assert_eq!(cells[0]["failures"][0]["class"], "bug(pte-under-huge-pmd)");
    assert_eq!(cells[0]["expected"], serde_json::Value::Null, "[expect] names no such kernel");
    assert_eq!(cells[1]["failures"], serde_json::json!([]));
}

#[test]
fn matrix_exits_1_when_a_cell_differs_from_expect() {
    let path = scratch("wrong-expect.toml");
    let sc = stdout(&daxlab(&["show", "seed-race"]));
    let wrong = sc.replace("\"v4.11..v4.13\" = []", "\"v4.11..v4.13\" = [\"oom\"]");
    assert_ne!(sc, wrong);
    std::fs::write(&path, wrong).unwrap();
    let o = daxlab(&["matrix", path.to_str().unwrap(), "--kernels", "v4.11"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("DIFFERS from [expect]: seed-race on v4.11: expected oom, found no failure"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn stress_needs_a_kernel_named() {
    let o = daxlab(&["stress", "holetest", "--iterations", "1", "--sizes", "1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("say which kernel: --kernel RELEASE"), "{}", stderr(&o));
}
