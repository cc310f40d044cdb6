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

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("daxlab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
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
    assert!(out.contains("preemption: T1 is switched out, T2 runs"));
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
    assert_eq!(reports[0]["variant"], "unfixed");
    let total: u64 = reports[0]["rows"].as_array().unwrap().iter().map(|r| r["executions"].as_u64().unwrap()).sum();
    assert_eq!(total, reports[0]["executions"].as_u64().unwrap());
    assert!(reports[1]["rows"].as_array().unwrap().iter().all(|r| r["failure"] == false));
}

#[test]
fn witnesses_are_traces_that_replay_and_convert() {
    let dir = scratch("witnesses");
    let o = daxlab(&["explore", "seed-race", "--variant", "unfixed", "--witness-out", dir.to_str().unwrap()]);
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
    let o = daxlab(&["explore", path.to_str().unwrap(), "--variant", "fixed"]);
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
    let o = daxlab(&["stress", "holetest", "--variant", "fixed", "--pmem", "/nonexistent/pmem"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--pmem /nonexistent/pmem: no such file or directory"), "{}", stderr(&o));
    let o = daxlab(&["stress", "holetest", "--variant", "fixed", "--perturb", "2"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn stress_on_a_non_dax_file_says_map_sync_was_refused_once() {
    let dir = scratch("pmem-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let o = daxlab(&["stress", "holetest", "--variant", "fixed", "--sizes", "1", "--pmem", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("MAP_SYNC refused").count(), 1, "{}", stderr(&o));
}
