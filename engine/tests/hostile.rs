//! Files written by someone else: every crash and hang found with a crafted scenario, trace,
//! challenge or results file stays a clear error (naming the file, field and line) or keeps
//! working.

use daxlab::Scenario;
use daxlab::challenge::Challenge;
use daxlab::figure::{StressResults, stress_figure};
use daxlab::scenario::ScenarioError;
use daxlab::trace::Trace;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A one-thread scenario on a 1 GiB file with `extra` added to its [file] table and the
/// process's `mmap` and op given.
fn scenario(file_extra: &str, mmap: &str, op: &str) -> String {
    format!(
        "name = \"h\"\n[file]\nsize = \"1GiB\"\n{file_extra}\n[[process]]\nname = \"p\"\n{mmap}\n\
         [[process.thread]]\nname = \"T1\"\nops = [{op}]\n"
    )
}

/// Parses `text` expecting an `Invalid` error on `field` at `line`.
fn refused(text: &str, field: &str, line: usize) -> String {
    match Scenario::from_toml(text, "hostile.toml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(ScenarioError::Invalid { field: f, line: l, message, .. }) => {
            assert_eq!((f.as_str(), l), (field, line), "{message}\n{text}");
            message
        }
        Err(e) => panic!("not an Invalid error: {e}\n{text}"),
    }
}

#[test]
fn sums_of_scenario_numbers_that_wrap_are_refused() {
    let store = r#"{ op = "store", at = 0, value = 1 }"#;
    let extent = "[[file.extent]]\noffset = \"0xffffffff80000000\"\nlength = \"3GiB\"\nstate = \"written\"";
    refused(&scenario(extent, "", store), "file.extent[0]", 4);
    let m = refused(&scenario("", r#"mmap = { address = "0xffffffffffe00000" }"#, store), "process[0].mmap.address", 7);
    assert!(m.contains("TASK_SIZE"), "{m}");
    let mmap = r#"mmap = { offset = "0xfffffffffffff000", length = "0x2000" }"#;
    refused(&scenario("", mmap, r#"{ op = "fsync" }"#), "process[0].mmap.length", 7);
    let read = r#"{ op = "read", at = "0xfffffffffffffff8" }"#;
    refused(&scenario("", "", read), "process[0].thread[0].ops[0].at", 10);
    let write = r#"{ op = "write", at = "0xfffffffffffffff8", value = 1 }"#;
    refused(&scenario("", "", write), "process[0].thread[0].ops[0].at", 10);
    let fault = r#"{ op = "fault", page = "0x10000000000000", size = "pte" }"#;
    refused(&scenario("", "", fault), "process[0].thread[0].ops[0].page", 10);
    let punch = r#"{ op = "punch-hole", offset = "0xfffffffffffff000", length = "0x2000" }"#;
    refused(&scenario("", "", punch), "process[0].thread[0].ops[0].length", 10);
    let sweep = r#"{ op = "sweep", at = 0, pages = "0x20000000000000", value = 1 }"#;
    refused(&scenario("", "", sweep), "process[0].thread[0].ops[0].pages", 10);
}

#[test]
fn expect_bound_has_a_limit() {
    let text =
        scenario("", "", r#"{ op = "fsync" }"#) + "[expect]\npreemptions = 4000000000\nunfixed = []\nfixed = []\n";
    let m = Scenario::from_toml(&text, "hostile.toml").expect_err("refused").to_string();
    assert!(m.starts_with("hostile.toml") && m.contains("line 11"), "{m}");
    assert!(m.contains("`expect.preemptions` is 4000000000, more than the largest bound, 16"), "{m}");
}

#[test]
fn names_must_be_distinct_and_safe_for_file_names() {
    let two = |a: &str, b: &str| {
        format!(
            "name = \"h\"\n[file]\nsize = 4096\n[[process]]\nname = \"p\"\n[[process.thread]]\nname = \"{a}\"\nops = []\n\
             [[process.thread]]\nname = \"{b}\"\nops = []\n"
        )
    };
    let m = refused(&two("T1", "T1"), "process[0].thread[1].name", 10);
    assert!(m.contains("already called `T1`"), "{m}");
    refused(&two("", "T2"), "process[0].thread[0].name", 7);
    let procs = "name = \"h\"\n[file]\nsize = 4096\n[[process]]\nname = \"p\"\n[[process.thread]]\nname = \"A\"\nops = []\n\
                 [[process]]\nname = \"p\"\n[[process.thread]]\nname = \"B\"\nops = []\n";
    refused(procs, "process[1].name", 10);
    let escape = two("T1", "T2").replace("name = \"h\"", "name = \"../../etc/x\"");
    refused(&escape, "name", 1);
}

#[test]
fn mmap_and_description_may_be_left_out() {
    let sc = Scenario::from_toml(&scenario("", "", r#"{ op = "store", at = 0, value = 1 }"#), "t").expect("parses");
    assert_eq!(sc.description, "");
    let p = &sc.processes[0];
    assert!(p.mmap.is_none());
    assert_eq!(sc.map_length(p), 1 << 30, "the whole file");
    assert!(p.mapping().shared);
    assert_eq!(sc.map_base(p), daxlab::scenario::DEFAULT_MAP_BASE);
}

#[test]
fn devices_and_huge_files_are_refused_not_read_whole() {
    let e = Scenario::from_file(Path::new("/dev/zero")).expect_err("not a scenario");
    assert!(e.to_string().contains("larger than 16 MiB"), "{e}");
}

/// The seed race's golden trace in its JSON form, ready to be edited.
fn seed_json() -> Value {
    let t = Trace::load(&root().join("traces/seed-race.unfixed.bug-pte-under-huge-pmd.daxtrace")).expect("loads");
    serde_json::from_slice(&t.encode_json()).expect("JSON")
}

fn events(v: &mut Value) -> &mut Vec<Value> {
    v["trace"]["events"]["events"].as_array_mut().expect("events")
}

/// The first event whose kind is `kind`, as a mutable JSON object of its fields.
fn first<'a>(v: &'a mut Value, kind: &str) -> &'a mut Value {
    let e = events(v).iter_mut().find(|e| e["kind"].get(kind).is_some()).expect("an event of that kind");
    &mut e["kind"][kind]
}

fn decode_error(v: &Value) -> String {
    match Trace::decode(&serde_json::to_vec(v).expect("bytes"), "hostile.json") {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_id_inside_events_is_checked_when_a_trace_is_read() {
    let mut v = seed_json();
    first(&mut v, "wake")["woken"] = json!([9]);
    assert!(decode_error(&v).contains("`woken` names thread 9"), "{}", decode_error(&v));

    let mut v = seed_json();
    let at = events(&mut v).iter().position(|e| e["kind"].get("lock_acquire").is_some()).expect("an acquire");
    let mut spin = events(&mut v)[at].clone();
    spin["kind"] = json!({ "lock_contended": { "lock": "tree_lock", "holder": 7 } });
    events(&mut v).insert(at, spin);
    assert!(decode_error(&v).contains("`holder` names thread 7"), "{}", decode_error(&v));

    let cases: [(&str, &str, Value, &str); 5] = [
        ("insert", "order", json!(70), "order 70"),
        ("tag_set", "tag", json!(5), "tag 5"),
        ("wake", "bucket", json!(1), "bucket 1"),
        ("store", "addr", json!(u64::MAX), "TASK_SIZE"),
        ("pmd_check", "mm", json!(3), "process 3"),
    ];
    for (kind, field, value, says) in cases {
        let mut v = seed_json();
        first(&mut v, kind)[field] = value;
        let e = decode_error(&v);
        assert!(e.contains(says) && e.starts_with("hostile.json: event"), "{kind}.{field}: {e}");
    }
    let mut v = seed_json();
    first(&mut v, "lookup")["index"] = json!(u64::MAX);
    assert!(decode_error(&v).contains("past the largest"));
    let mut v = seed_json();
    v["trace"]["outcome"] = json!({ "sigbus": { "tid": 40, "addr": 0 } });
    assert!(decode_error(&v).contains("the recorded outcome"));
    let mut v = seed_json();
    v["trace"]["runs"][0][1] = json!(u32::MAX);
    assert!(decode_error(&v).contains("do not add up"));
}

#[test]
fn preemption_bounds_from_flags_and_challenges_have_a_limit() {
    let o = Command::new(env!("CARGO_BIN_EXE_daxlab"))
        .args(["explore", "seed-race", "--preemptions", "4000000000"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("largest preemption bound, 16"));
    let c = "[challenge]\ntitle = \"t\"\nlevel = 1\nscenario = \"seed-race\"\nvariant = \"fixed\"\nstory = \"s\"\n\
             [goal]\nkind = \"cannot-fail\"\npreemptions = 4000000000\n";
    let e = Challenge::from_toml(c, "c.toml", Path::new(".")).expect_err("refused");
    assert!(e.to_string().contains("`goal.preemptions`: at most 6"), "{e}");
    let c = c
        .replace("kind = \"cannot-fail\"\npreemptions", "kind = \"reach\"\noutcome = \"any-failure\"\nmax_preemptions");
    let e = Challenge::from_toml(&c, "c.toml", Path::new(".")).expect_err("refused");
    assert!(e.to_string().contains("`goal.max_preemptions` is 4000000000"), "{e}");
}

#[test]
fn stress_figure_with_huge_finite_samples_draws() {
    let text = r#"{ "format": "daxlab-stress", "version": 1, "runs": [ { "variant": "unfixed", "iterations": 4294967295,
        "first_failure": 4294967295, "samples": [ { "t": 1.7e308, "faults_per_sec": 1.7e308 }, { "t": 0, "faults_per_sec": 5e-324 } ] } ] }"#;
    let r = StressResults::from_json(text, "huge.json").expect("finite numbers are accepted");
    let svg = stress_figure(&r).expect("draws").to_svg().expect("encodes");
    assert!(svg.contains("<svg"));
}

#[test]
fn a_valid_trace_of_a_hostile_scenario_cannot_exist() {
    // Traces embed their scenario, so the scenario checks guard every command that reads one.
    let mut v = seed_json();
    let src = v["trace"]["scenario_source"].as_str().expect("text").to_string();
    v["trace"]["scenario_source"] = json!(src.replace("size = \"4MiB\"", "size = \"0xfffffffffffff000\""));
    let e = decode_error(&v);
    assert!(e.contains("file.size") && e.contains("line"), "{e}");
}

/// Found by the property test: the state rebuilt from a file's events asserted that a
/// recorded insert gives the same result in the tree; an edited -EEXIST tripped it.
#[test]
fn state_rebuilt_from_edited_events_does_not_assert() {
    let mut v = seed_json();
    let e = events(&mut v)
        .iter_mut()
        .find(|e| e["kind"].get("insert").is_some_and(|i| i["err"] == json!("EEXIST")))
        .expect("the seed race's -EEXIST");
    e["kind"]["insert"]["err"] = Value::Null;
    let t = Trace::decode(&serde_json::to_vec(&v).expect("bytes"), "edited.json").expect("still a valid trace");
    let sc = t.scenario().expect("parses");
    let timeline = daxlab::analysis::Timeline::new(&sc, t.kernel, t.events.clone());
    let _ = timeline.after_events(t.events.len());
    assert!(!daxlab::trace::verify(&t, &sc).matches(), "the edit is caught by the replay");
}

/// Whatever the ftrace reader accepts prints and reads back as the same records.
fn round_trips(data: &[u8]) -> Result<usize, daxlab::ftrace::FtraceError> {
    let cap = daxlab::ftrace::Capture::parse(data, "fuzz input")?;
    let kt = daxlab::ftrace::KernelTrace::from_capture(cap, "fuzz input", None);
    let text = daxlab::ftrace::write_trace(&kt.records);
    let again = daxlab::ftrace::Capture::parse_text(&text);
    assert_eq!(again.records.len(), kt.records.len(), "printed:\n{text}\nread: {:?}", kt.records);
    Ok(kt.records.len())
}

/// Found by the parse_ftrace fuzz target: a sched_switch line whose keys came in another
/// order than the kernel prints them, and a trace-cmd sched_wakeup whose task name held
/// ` pid=`, were read, and printed back as lines that did not read.
#[test]
fn ftrace_lines_with_shuffled_keys_are_not_records() {
    let path = root().join("engine/tests/data/fuzz-regressions/ftrace-roundtrip-1.txt");
    let found = round_trips(&std::fs::read(&path).unwrap());
    assert!(found.is_err(), "the shuffled sched_switch is no record: {found:?}");
    let line = "  daxwork-130 [000] d..2. 3.066892: sched_switch: prev_comm=daxwork prev_pid=130 \
                prev_prio=120 prev_state=D ==> next_comm=swapper/0 next_pid=0 next_prio=120\n";
    assert_eq!(round_trips(line.as_bytes()).unwrap(), 1);
    let shuffled = line.replace("prev_comm=daxwork prev_pid=130", "prev_pid=130 prev_comm=daxwork");
    assert!(round_trips(shuffled.as_bytes()).is_err());
    let path = root().join("engine/tests/data/fuzz-regressions/ftrace-roundtrip-2.txt");
    let found = round_trips(&std::fs::read(&path).unwrap());
    assert!(found.is_err(), "a task name of 33 bytes holding ` pid=` is no record: {found:?}");
}
