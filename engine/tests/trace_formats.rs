//! Every trace format opens: format 4 (packed rows, compressed) as written
//! today, formats 2 and 3 as they were written, and format 4's compressed body is refused
//! cleanly whenever it is not what it claims. (Format 1 files: tests/kernels.rs.)

use daxlab::Kernel;
use daxlab::scenario::{Holetest, HoletestFile, RunConfig, builtin, execute};
use daxlab::sim::{DefaultScheduler, RandomScheduler};
use daxlab::trace::{FORMAT_VERSION, RecordMode, Trace, TraceError, replay_trace};
use std::path::Path;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn seed_trace() -> Trace {
    let sc = builtin("seed-race").unwrap().unwrap();
    let ex = execute(&sc, &RunConfig::new(Kernel::UNFIXED), &mut RandomScheduler::new(3));
    let mode = RecordMode::Explored { strategy: "random".into(), bound: None, seed: Some(3) };
    Trace::from_execution(&sc, Kernel::UNFIXED, mode, &ex)
}

#[test]
fn format_3_traces_still_open_and_replay() {
    for (file, kernel) in [
        ("format-v3/fault-vs-write.unfixed.data-loss.daxtrace", Kernel::UNFIXED),
        ("format-v3/fault-vs-write.fixed.data-loss.json", Kernel::FIXED),
    ] {
        let bytes = std::fs::read(data(file)).unwrap();
        assert!(bytes.starts_with(b"{") || bytes[8..10] == 3u16.to_le_bytes(), "{file} is a format 3 file");
        let trace = Trace::decode(&bytes, file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(trace.kernel, kernel, "{file}");
        let sc = trace.scenario().unwrap();
        let r = replay_trace(&trace, &sc, trace.kernel, None);
        assert!(r.divergence.is_none(), "{file} replays");
        assert_eq!(r.execution.outcome.class(), "data-loss");
        // Saved again, it is format 4 and reads back the same.
        let again = trace.encode_binary();
        assert_eq!(again[8..10], FORMAT_VERSION.to_le_bytes());
        assert_eq!(Trace::decode(&again, "again.daxtrace").unwrap(), trace);
    }
}

/// Format 2 is format 3 with a `preempted` flag in each switch where format 3 says how the
/// switch came about: a format 3 JSON trace rewritten so must open as the same trace.
#[test]
fn format_2_traces_open_with_each_switch_named() {
    let t = seed_trace();
    assert!(t.switches.iter().any(|s| s.preempted()) && t.switches.iter().any(|s| !s.preempted()));
    let mut v: serde_json::Value = serde_json::from_slice(&t.encode_json()).unwrap();
    v["version"] = serde_json::json!(2);
    for s in v["trace"]["switches"].as_array_mut().unwrap() {
        let preempted = s["how"] == serde_json::json!("other_cpu");
        let s = s.as_object_mut().unwrap();
        s.remove("how");
        s.insert("preempted".into(), serde_json::json!(preempted));
    }
    let old = Trace::decode(&serde_json::to_vec(&v).unwrap(), "v2.json").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(old, t);
}

#[test]
fn the_binary_form_is_format_4_and_compressed() {
    let t = seed_trace();
    let bin = t.encode_binary();
    assert_eq!(bin[8..10], 4u16.to_le_bytes());
    let rows_json = t.encode_json();
    assert!(bin.len() * 10 < rows_json.len(), "binary {} bytes, JSON {} bytes", bin.len(), rows_json.len());
    assert_eq!(Trace::decode(&bin, "t.daxtrace").unwrap(), t);
}

/// A long recording is where the packing pays: a holetest race of two threads over 16 MiB,
/// some 25,000 events, takes under 8 bytes an event.
#[test]
fn a_long_recording_takes_under_8_bytes_an_event() {
    let sc = Holetest { size: 16 << 20, file: HoletestFile::Ftruncate, threads: 2, fork: false }.scenario().unwrap();
    let ex = execute(&sc, &RunConfig::new(Kernel::FIXED), &mut DefaultScheduler);
    let t = Trace::from_execution(&sc, Kernel::FIXED, RecordMode::Interactive, &ex);
    let n = t.events.len();
    assert!(n > 20_000, "{n} events");
    let bin = t.encode_binary();
    assert!(bin.len() < 8 * n, "{} bytes for {n} events", bin.len());
    assert_eq!(Trace::decode(&bin, "long.daxtrace").unwrap(), t);
}

/// Replaces a format 4 file's body (after its length and checksum fields) with `body`.
fn with_body(good: &[u8], body: &[u8]) -> Vec<u8> {
    let at = 11 + usize::from(good[10]);
    let mut bytes = good[..at].to_vec();
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    bytes.extend_from_slice(body);
    bytes
}

fn body_error(good: &[u8], body: &[u8]) -> String {
    match Trace::decode(&with_body(good, body), "bad.daxtrace") {
        Err(e @ TraceError::Decode { .. }) => e.to_string(),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn a_compressed_body_that_is_not_what_it_claims_is_refused() {
    let good = seed_trace().encode_binary();
    let body = &good[11 + usize::from(good[10]) + 12..];
    let (len, stream) = body.split_at(8);
    let raw_len = u64::from_le_bytes(len.try_into().unwrap());

    let e = body_error(&good, &body[..5]);
    assert!(e.contains("fewer than the 8"), "{e}");

    // More than any DEFLATE stream of that size can hold: refused before inflating.
    let mut huge = (1u64 << 40).to_le_bytes().to_vec();
    huge.extend_from_slice(stream);
    let e = body_error(&good, &huge);
    assert!(e.contains("more than its"), "{e}");

    let mut short = (raw_len - 1).to_le_bytes().to_vec();
    short.extend_from_slice(stream);
    let e = body_error(&good, &short);
    assert!(e.contains("does not inflate"), "{e}");

    let mut long = (raw_len + 1).to_le_bytes().to_vec();
    long.extend_from_slice(stream);
    let e = body_error(&good, &long);
    assert!(e.contains("inflates to"), "{e}");

    let mut cut = len.to_vec();
    cut.extend_from_slice(&stream[..stream.len() / 2]);
    let e = body_error(&good, &cut);
    assert!(e.contains("does not inflate"), "{e}");

    // Well compressed, but not a trace.
    let garbage = vec![0xffu8; 64];
    let mut packed = (garbage.len() as u64).to_le_bytes().to_vec();
    packed.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(&garbage, 1));
    body_error(&good, &packed);
}

/// The fuzzers' corpus for the trace reader (mostly format 3 files and mutations of them)
/// reads as traces or errors, never a panic.
#[test]
fn the_fuzz_corpus_still_reads_without_a_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode_trace");
    let mut opened = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        opened += usize::from(Trace::decode(&bytes, "corpus").is_ok());
    }
    assert!(opened > 0, "some of the corpus is valid traces");
}
