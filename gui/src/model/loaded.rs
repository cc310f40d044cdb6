//! A trace opened in the workbench: the recording, its scenario, the engine's timeline of
//! states and analysis, and the index the panels draw from.

use super::calls::CallIndex;
use super::index::TraceIndex;
use daxlab::Kernel;
use daxlab::Scenario;
use daxlab::analysis::{Analysis, Snapshot, Timeline, analyze, narrate};
use daxlab::scenario::Execution;
use daxlab::trace::{Event, RecordMode, Trace, verify};
use std::path::PathBuf;

/// Where the trace came from, for the title and for "save".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    /// Built in the workbench (explored witness, kernel switch, scheduler branch).
    Made(String),
}

impl Origin {
    pub fn describe(&self) -> String {
        match self {
            Origin::File(p) => p.display().to_string(),
            Origin::Made(what) => what.clone(),
        }
    }
}

pub struct Loaded {
    /// The trace without its events (they live in `timeline`). For a file, this is the
    /// trace as replayed: what the file claims is never shown.
    pub header: Trace,
    /// For a file that does not replay as recorded: the sentence shown above everything
    /// else ("this trace does not replay: it diverges at step N …").
    pub banner: Option<String>,
    pub scenario: Scenario,
    pub names: Vec<String>,
    pub timeline: Timeline,
    pub analysis: Analysis,
    pub index: TraceIndex,
    pub calls: CallIndex,
    pub origin: Origin,
}

impl Loaded {
    /// Builds every index of a trace the workbench made itself from an engine run (so its
    /// events are the engine's own and need no replay).
    pub fn made(trace: Trace, origin: Origin) -> Loaded {
        let scenario = trace.scenario().expect("a trace made from a run embeds the scenario that ran");
        Loaded::build(trace, scenario, None, origin)
    }

    /// Replays a trace read from a file and indexes the replay; `banner` says if the file
    /// disagrees with it.
    fn replayed(file: Trace, origin: Origin) -> Result<Loaded, String> {
        let scenario = file.scenario().map_err(|e| e.to_string())?;
        let verified = verify(&file, &scenario);
        let banner = verified.banner(&scenario.thread_names());
        Ok(Loaded::build(verified.trace, scenario, banner, origin))
    }

    fn build(mut trace: Trace, scenario: Scenario, banner: Option<String>, origin: Origin) -> Loaded {
        let names = scenario.thread_names();
        let events = std::mem::take(&mut trace.events);
        let switches: Vec<(u32, bool)> = trace.switches.iter().map(|s| (s.step, s.preempted())).collect();
        let threads = names.len();
        let kernel = trace.kernel;
        let analysis = analyze(&events);
        let index = TraceIndex::build(&events, &analysis, threads, &switches);
        let calls = CallIndex::build(&events, threads);
        let timeline = Timeline::new(&scenario, kernel, events);
        Loaded { header: trace, banner, scenario, names, timeline, analysis, index, calls, origin }
    }

    pub fn from_execution(sc: &Scenario, kernel: Kernel, mode: RecordMode, ex: &Execution, origin: Origin) -> Loaded {
        Loaded::made(Trace::from_execution(sc, kernel, mode, ex), origin)
    }

    /// Reads, validates and indexes a trace file.
    pub fn open(path: &std::path::Path) -> Result<Loaded, String> {
        let trace = load_trace(path)?;
        Loaded::index(trace, Origin::File(path.to_path_buf()), &path.display().to_string())
    }

    /// Validates and indexes a trace given as bytes (a file dropped on the browser page).
    pub fn open_bytes(name: &str, bytes: &[u8]) -> Result<Loaded, String> {
        let trace = Trace::decode(bytes, name).map_err(|e| e.to_string())?;
        Loaded::index(trace, Origin::File(name.into()), name)
    }

    /// Errors (and, as a last resort, a panic in the engine while replaying a trace that
    /// validates) come back as a message naming `name`.
    fn index(trace: Trace, origin: Origin, name: &str) -> Result<Loaded, String> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Loaded::replayed(trace, origin))).unwrap_or_else(|p| {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("{name}: the trace validates but cannot be replayed: {why}"))
        })
    }

    pub fn events(&self) -> &[Event] {
        self.timeline.events()
    }

    pub fn len(&self) -> usize {
        self.events().len()
    }

    pub fn is_empty(&self) -> bool {
        self.events().is_empty()
    }

    pub fn kernel(&self) -> Kernel {
        self.header.kernel
    }

    /// The outcome class with the engine's notes, e.g. `ok [fallback(grab-eexist)]`.
    pub fn outcome_line(&self) -> String {
        let class = self.header.outcome.class();
        if self.header.notes.is_empty() {
            return class;
        }
        let notes: Vec<String> = self.header.notes.iter().map(|n| n.to_string()).collect();
        format!("{class} [{}]", notes.join(", "))
    }

    /// The whole trace again, events included (for saving).
    pub fn full_trace(&self) -> Trace {
        let mut t = self.header.clone();
        t.events = self.events().to_vec();
        t
    }

    /// The engine's sentence for event `i`.
    pub fn narration(&self, i: usize) -> String {
        match self.events().get(i) {
            Some(e) => narrate(std::slice::from_ref(e), &self.analysis, &self.names).pop().unwrap_or_default(),
            None => String::new(),
        }
    }

    pub fn state_after(&self, pos: usize) -> Snapshot {
        self.timeline.after_events(pos)
    }

    pub fn thread_name(&self, tid: usize) -> &str {
        self.names.get(tid).map_or("?", |s| s.as_str())
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn load_trace(path: &std::path::Path) -> Result<Trace, String> {
    Trace::load(path).map_err(|e| e.to_string())
}

/// Writes the JSON form for a `.json` path and the binary form otherwise (atomically).
#[cfg(not(target_arch = "wasm32"))]
pub fn save_trace(trace: &Trace, path: &std::path::Path) -> Result<(), String> {
    trace.save(path).map_err(|e| e.to_string())
}

/// In a browser, saving is a download named after `path`.
#[cfg(target_arch = "wasm32")]
pub fn save_trace(trace: &Trace, path: &std::path::Path) -> Result<(), String> {
    let json = path.extension().is_some_and(|e| e == "json");
    let bytes = if json { trace.encode_json() } else { trace.encode_binary() };
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "trace.daxtrace".into());
    crate::web::download(&name, &bytes)
}

/// In a browser there is no file system: the checked-in traces are built in, by name.
#[cfg(target_arch = "wasm32")]
fn load_trace(path: &std::path::Path) -> Result<Trace, String> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let (_, bytes) = super::CHECKED_IN_TRACES
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| format!("{}: in the browser only the checked-in traces can be opened", path.display()))?;
    Trace::decode(bytes, &name).map_err(|e| e.to_string())
}
