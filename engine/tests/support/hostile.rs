//! Hostile inputs, shared by the property tests (engine/tests/props.rs) and the cargo-fuzz
//! targets (engine/fuzz), which include this file by path: scenarios generated as TOML
//! text from a stream of random choices, traces mutated field by field, and the pipeline
//! every input is pushed through — everything daxlab does to show a scenario or a trace.
//! The pipeline's only acceptable results are values and errors: a panic, an endless loop
//! or an allocation out of proportion to the input is a bug.
#![allow(dead_code)]

use daxlab::analysis::{Timeline, analyze, narrate, to_perfetto};
use daxlab::figure::{StateAt, StepRange, sequence, state};
use daxlab::scenario::{Op, RunConfig, execute};
use daxlab::sim::RandomScheduler;
use daxlab::trace::{RecordMode, Trace, diff_kernels, transcript, verify};
use daxlab::{Kernel, Scenario};
use serde_json::Value;
use std::fmt::Write;

/// Where random choices come from: a fuzzer's bytes or a seeded generator.
pub trait Entropy {
    /// Uniform in 0..n (0 when n is 0 or the source is exhausted).
    fn below(&mut self, n: u64) -> u64;

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A seeded source for property tests.
pub struct Seeded(pub u64);

impl Entropy for Seeded {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        if n == 0 { 0 } else { ((u128::from(z ^ (z >> 31)) * u128::from(n)) >> 64) as u64 }
    }
}

const TASK_SIZE: u64 = (1 << 47) - 4096;

/// Numbers where arithmetic goes wrong: zero, unaligned, page and PMD edges, the 1 GiB
/// file limit, the top of user space, the top of u64.
const EDGES: [u64; 18] = [
    0,
    1,
    7,
    8,
    4095,
    4096,
    0x1f_f000,
    0x20_0000,
    0x20_1000,
    1 << 30,
    (1 << 30) + 4096,
    TASK_SIZE - 0x20_0000,
    TASK_SIZE,
    1 << 52,
    u64::MAX - 4095,
    u64::MAX - 7,
    u64::MAX,
    0xffff_ffff_8000_0000,
];

/// Mostly `typical`, sometimes an edge, rendered as TOML (big values as hex strings).
fn num(e: &mut impl Entropy, typical: u64) -> String {
    let v = if e.chance(16) { *e.pick(&EDGES) } else { typical };
    if v < 1 << 40 { v.to_string() } else { format!("\"{v:#x}\"") }
}

fn pages(e: &mut impl Entropy, max: u64) -> u64 {
    e.below(max) * 4096
}

/// A scenario in TOML, usually valid and small (so that it runs quickly), with every kind
/// of operation, optional keys left out, and now and then a number at an edge, a duplicate
/// name or a missing part.
pub fn scenario_toml(e: &mut impl Entropy) -> String {
    let mut t = String::new();
    let name = if e.chance(16) { *e.pick(&["../escape", "", "two words"]) } else { *e.pick(&["gen", "gen-1", "g.x"]) };
    let _ = writeln!(t, "name = \"{name}\"");
    if e.chance(2) {
        let _ = writeln!(t, "description = \"{}\"", e.pick(&["generated", "ünïcödé ✓", "line\\nbreak"]));
    }
    if e.chance(3) {
        let _ = writeln!(t, "thp = \"{}\"", e.pick(&["always", "never"]));
    }
    if e.chance(3) {
        let _ = writeln!(t, "inject_enomem = true");
    }
    let file_pages = 1 + e.below(1024);
    let size = file_pages * 4096;
    let _ = writeln!(t, "[file]\nsize = {}", num(e, size));
    if e.chance(2) {
        let _ = writeln!(t, "allocator = \"{}\"", e.pick(&["aligned", "unaligned"]));
    }
    for _ in 0..e.below(3) {
        let first = e.below(file_pages);
        let (off, len) = (first * 4096, 4096 * (1 + e.below(file_pages - first)));
        let state = *e.pick(&["written", "unwritten"]);
        let (off, len) = (num(e, off), num(e, len));
        let _ = writeln!(t, "[[file.extent]]\noffset = {off}\nlength = {len}\nstate = \"{state}\"");
    }
    let procs = if e.chance(40) { 0 } else { 1 + e.below(2) };
    for p in 0..procs {
        process(&mut t, e, p, size);
    }
    if e.chance(4) {
        let typical = e.below(4);
        let pre = num(e, typical);
        let _ = writeln!(t, "[expect]\npreemptions = {pre}\nunfixed = [\"bug(pte-under-huge-pmd)\"]\nfixed = []");
    }
    t
}

fn process(t: &mut String, e: &mut impl Entropy, p: u64, size: u64) {
    let name = if e.chance(24) { "p0".to_string() } else { format!("p{p}") };
    let _ = writeln!(t, "[[process]]\nname = \"{name}\"");
    if e.chance(8) {
        let _ = writeln!(t, "setup = true");
    }
    if e.chance(3) {
        let first = if e.chance(2) { 0 } else { e.below(size / 4096) };
        let offset = num(e, first * 4096);
        let length = num(e, size - first * 4096);
        let address = 0x7f00_0000_0000 + e.below(3) * 0x10_0000;
        let address = num(e, address);
        let shared = e.chance(3);
        let _ =
            writeln!(t, "mmap = {{ offset = {offset}, length = {length}, shared = {}, address = {address} }}", !shared);
    }
    let threads = if e.chance(40) { 0 } else { 1 + e.below(2) };
    for k in 0..threads {
        let name = if e.chance(24) { "T".to_string() } else { format!("T{p}{k}") };
        let ops: Vec<String> = (0..e.below(4)).map(|_| op(e, size)).collect();
        let _ = writeln!(t, "[[process.thread]]\nname = \"{name}\"\nops = [{}]", ops.join(", "));
    }
}

/// A page-aligned range of the file, as TOML offset and length.
fn range(e: &mut impl Entropy, size: u64) -> (String, String) {
    let (o, l) = (pages(e, size / 4096), 4096 * (1 + e.below(4)));
    (num(e, o), num(e, l))
}

fn op(e: &mut impl Entropy, size: u64) -> String {
    let typical = e.below(size / 8) * 8;
    let at = num(e, typical);
    let typical = e.below(size / 4096);
    let page = num(e, typical);
    match e.below(11) {
        0 => format!("{{ op = \"store\", at = {at}, value = {} }}", num(e, 0x5a)),
        1 => format!("{{ op = \"load\", at = {at} }}"),
        2 => {
            let typical = 1 + e.below(8);
            format!("{{ op = \"sweep\", at = {at}, pages = {}, value = 1 }}", num(e, typical))
        }
        3 => {
            let (size, write) = (*e.pick(&["pte", "pmd"]), e.chance(2));
            format!("{{ op = \"fault\", page = {page}, size = \"{size}\", write = {write} }}")
        }
        4 => format!("{{ op = \"read\", at = {at} }}"),
        5 => format!("{{ op = \"write\", at = {at}, value = 7 }}"),
        6 => "{ op = \"fsync\" }".into(),
        7 => {
            let typical = pages(e, size / 4096 + 2);
            format!("{{ op = \"truncate\", size = {} }}", num(e, typical))
        }
        8 => {
            let (o, l) = range(e, size);
            format!("{{ op = \"punch-hole\", offset = {o}, length = {l} }}")
        }
        9 => {
            let (o, l) = range(e, size);
            format!("{{ op = \"fallocate\", offset = {o}, length = {l} }}")
        }
        _ => "{ op = \"drop-caches\" }".into(),
    }
}

/// Whether running `sc` stays cheap enough for a fuzzer or a property test: a valid
/// scenario may legitimately run for millions of steps (a 1 GiB sweep), which is slow but
/// not wrong; those are left to the dedicated tests.
pub fn small_enough(sc: &Scenario) -> bool {
    let pages: u64 = sc
        .threads()
        .flat_map(|(_, _, t)| t.ops.iter())
        .map(|op| match op.get_ref() {
            Op::Sweep { pages, .. } => pages.0,
            _ => 1,
        })
        .fold(0u64, u64::saturating_add);
    sc.size() <= 64 << 20 && pages <= 256
}

/// Runs `sc` under a random schedule with a step cap and pushes the run through the whole
/// pipeline as a trace.
pub fn run_scenario(sc: &Scenario, seed: u64) {
    // Every release the model knows, picked by the seed.
    let releases: Vec<Kernel> = Kernel::releases().collect();
    let kernel = releases[(seed % releases.len() as u64) as usize];
    let cfg = RunConfig { max_steps: 20_000, ..RunConfig::new(kernel) };
    let ex = execute(sc, &cfg, &mut RandomScheduler::new(seed));
    let trace = Trace::from_execution(sc, kernel, RecordMode::Interactive, &ex);
    let decoded = Trace::decode(&trace.encode_binary(), "round trip").expect("a trace the engine wrote reads back");
    assert_eq!(decoded, trace, "the binary form round-trips");
    if ex.steps < cfg.max_steps {
        let v = verify(&trace, sc);
        assert!(v.matches(), "a fresh run replays as recorded: {:?}", v.banner(&sc.thread_names()));
    }
    show(&trace);
}

/// Everything daxlab does to show a trace: the replay and its comparison, the walkthrough,
/// the transcript, the Perfetto export, the state at several steps, both figures and the
/// diff against the counterpart kernel; and, for robustness, the analysis and state rebuilt from the file's own
/// (validated but possibly hostile) events.
pub fn show(file: &Trace) {
    let Ok(sc) = file.scenario() else { return };
    if !small_enough(&sc) {
        return;
    }
    let names = sc.thread_names();
    let v = verify(file, &sc);
    let _ = v.banner(&names);
    for t in [&v.trace, file] {
        let a = analyze(&t.events);
        let _ = narrate(&t.events, &a, &names);
        let _ = transcript(&t.events, &t.outcome, &names);
        let _ = to_perfetto(t, &names);
        let timeline = Timeline::new(&sc, t.kernel, t.events.clone());
        for n in [0, t.events.len() / 2, t.events.len()] {
            let _ = timeline.after_events(n).digest();
        }
        let _ = sequence(t, StepRange::default()).map(|s| s.to_svg());
        let _ = state(t, StateAt::Step(t.steps / 2));
    }
    let _ = diff_kernels(&v.trace, &sc, v.trace.kernel.counterpart());
}

/// A mutation of a trace's JSON form: one leaf replaced by an edge value, a string or
/// another leaf's value, or an array element dropped or doubled.
pub fn mutate_json(doc: &mut Value, e: &mut impl Entropy) {
    let mut paths = Vec::new();
    leaves(doc, &mut Vec::new(), &mut paths);
    if paths.is_empty() {
        return;
    }
    let path = e.pick(&paths).clone();
    let donor = e.pick(&paths).clone();
    let donor_value = at(doc, &donor).cloned().unwrap_or(Value::Null);
    let Some(slot) = at_mut(doc, &path) else { return };
    *slot = match (&*slot, e.below(8)) {
        (Value::String(text), 0..=5) if text.contains("[[process]]") => Value::String(mutate_toml(text, e)),
        (Value::Number(_), 0..=2) => Value::from(*e.pick(&EDGES)),
        (Value::Number(n), 3..=5) => Value::from(n.as_u64().unwrap_or(0).wrapping_add(e.below(5)).wrapping_sub(2)),
        (Value::Bool(b), 0..=5) => Value::Bool(!b),
        (_, 0) => Value::from(e.below(70)),
        (_, 1) => Value::from(*e.pick(&["", "ok", "x", "fixed", "\u{1F600}"])),
        (_, 2) => Value::from(-1),
        _ => donor_value,
    };
    if e.chance(4) {
        let parent = &path[..path.len().saturating_sub(1)];
        if let Some(Value::Array(items)) = at_mut(doc, parent)
            && !items.is_empty()
        {
            let i = e.below(items.len() as u64) as usize;
            if e.chance(2) {
                items.remove(i);
            } else {
                let dup = items[i].clone();
                items.insert(i, dup);
            }
        }
    }
}

/// A scenario's TOML with one line changed: a number in it set to an edge value, or the
/// line dropped or doubled.
pub fn mutate_toml(text: &str, e: &mut impl Entropy) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let i = e.below(lines.len() as u64) as usize;
    match e.below(4) {
        0 => {
            lines.remove(i);
        }
        1 => lines.insert(i, lines[i].clone()),
        _ => {
            let line = &lines[i];
            if let Some(start) = line.find(|c: char| c.is_ascii_digit()) {
                let end = line[start..].find(|c: char| !c.is_ascii_alphanumeric()).map_or(line.len(), |k| start + k);
                let v = *e.pick(&EDGES);
                lines[i] = format!("{}\"{v:#x}\"{}", &line[..start], &line[end..]);
            }
        }
    }
    lines.join("\n")
}

#[derive(Clone)]
enum Key {
    Field(String),
    Index(usize),
}

fn leaves(v: &Value, path: &mut Vec<Key>, out: &mut Vec<Vec<Key>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(Key::Field(k.clone()));
                leaves(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(Key::Index(i));
                leaves(child, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at<'a>(v: &'a Value, path: &[Key]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| match k {
        Key::Field(f) => v.get(f),
        Key::Index(i) => v.get(i),
    })
}

fn at_mut<'a>(v: &'a mut Value, path: &[Key]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, k| match k {
        Key::Field(f) => v.get_mut(f),
        Key::Index(i) => v.get_mut(*i),
    })
}

/// The binary form of `t` with a few body bytes changed and the checksum made to match,
/// so that the body decoder itself sees hostile bytes.
pub fn mutate_binary(t: &Trace, e: &mut impl Entropy) -> Vec<u8> {
    let mut bytes = t.encode_binary();
    let head = 8 + 2 + 1 + bytes[10] as usize + 8 + 4;
    let body_len = bytes.len() - head;
    for _ in 0..1 + e.below(4) {
        if body_len == 0 {
            break;
        }
        let i = head + e.below(body_len as u64) as usize;
        bytes[i] = e.below(256) as u8;
    }
    let crc = crc32fast::hash(&bytes[head..]);
    bytes[head - 4..head].copy_from_slice(&crc.to_le_bytes());
    bytes
}
