//! The trace file: a self-contained record of one execution, in a binary form (our header
//! followed by a postcard body) and a JSON form of the same structure.
//! docs/trace-format.md is the specification.

use super::Event;
use super::old_formats as old;
use crate::check::{Note, Outcome};
use crate::release::Kernel;
use crate::scenario::Execution;
use crate::scenario::Scenario;
use crate::sim::{Decision, Schedule, Switch, Tid};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

pub const MAGIC: [u8; 8] = *b"DAXTRACE";
/// The newest format this build reads and the one it writes. Version 2 names the kernel
/// (release and fixes) where version 1 named one of the seed race's two variants; version
/// 3 says how each switch came about (another CPU, a preemption, a sleep, ...) where 1 and
/// 2 said only whether it was a preemption; version 4 stores the binary body's events in
/// columns and compresses the body (its JSON form is version 3's).
pub const FORMAT_VERSION: u16 = 4;
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// magic + version + engine-version length byte.
const FIXED_HEAD: usize = 8 + 2 + 1;

/// How the trace came to be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordMode {
    /// Found by exploration (`bound` for exhaustive search, `seed` for a random run).
    Explored { strategy: String, bound: Option<u32>, seed: Option<u64> },
    /// A schedule replayed, possibly carried over from another kernel.
    Replayed { from: String },
    /// Chosen step by step by a user in the workbench.
    Interactive,
    /// Recorded on real threads over persistent memory.
    RealThreads { pmem: String },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bookmark {
    pub step: u32,
    pub note: String,
}

/// What a user adds on top of the recording.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotations {
    /// The step a viewer opens at.
    pub initial_step: u32,
    pub bookmarks: Vec<Bookmark>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    pub scenario: String,
    /// The scenario's TOML text, so the trace is self-contained.
    pub scenario_source: String,
    /// The kernel it ran: the release and the exact set of fixes. Replay runs exactly this.
    pub kernel: Kernel,
    pub mode: RecordMode,
    pub schedule: Schedule,
    pub outcome: Outcome,
    pub notes: Vec<Note>,
    pub steps: u32,
    pub preemptions: u32,
    pub switches: Vec<Switch>,
    /// Which thread ran each step, run-length encoded.
    pub runs: Vec<(Tid, u32)>,
    #[serde(with = "super::wire")]
    pub events: Vec<Event>,
    pub annotations: Annotations,
}

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(
        "{path}: not a daxlab trace (it starts with {found}; a binary trace starts with \"DAXTRACE\", a JSON trace with '{{')"
    )]
    NotATrace { path: String, found: String },
    #[error("{path}: truncated: the {what} needs {need} bytes, the file has {have}")]
    Truncated { path: String, what: &'static str, need: u64, have: u64 },
    #[error(
        "{path}: trace format version {version} is newer than this daxlab reads (up to {FORMAT_VERSION}); use a daxlab that reads format {version}"
    )]
    Newer { path: String, version: u16 },
    #[error("{path}: the header claims a body of {claimed} bytes but {actual} follow it")]
    BodyLength { path: String, claimed: u64, actual: u64 },
    #[error(
        "{path}: checksum mismatch: the header says {stored:#010x}, the body hashes to {computed:#010x} (corrupt or edited; edit the JSON form instead)"
    )]
    Checksum { path: String, stored: u32, computed: u32 },
    #[error("{path}: the body does not decode: {message}")]
    Decode { path: String, message: String },
    #[error("{path}: {message}")]
    Json { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Serialize, Deserialize)]
struct JsonTrace {
    format: String,
    version: u16,
    engine: String,
    trace: Trace,
}

impl Trace {
    pub fn from_execution(sc: &Scenario, kernel: Kernel, mode: RecordMode, ex: &Execution) -> Trace {
        Trace {
            scenario: sc.name.clone(),
            scenario_source: sc.source.clone(),
            kernel,
            mode,
            schedule: ex.schedule.clone(),
            outcome: ex.outcome.clone(),
            notes: ex.notes.iter().copied().collect(),
            steps: ex.steps,
            preemptions: ex.preemptions,
            switches: ex.switches.clone(),
            runs: ex.runs.clone(),
            events: ex.events.clone(),
            annotations: Annotations::default(),
        }
    }

    /// The embedded scenario, parsed and validated.
    pub fn scenario(&self) -> Result<Scenario, crate::scenario::ScenarioError> {
        Scenario::from_toml(&self.scenario_source, &format!("the scenario embedded in trace {}", self.scenario))
    }

    pub fn encode_binary(&self) -> Vec<u8> {
        let body = super::compress::pack(&postcard::to_stdvec(self).expect("every trace type serialises"));
        let mut out = Vec::with_capacity(body.len() + 40);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(ENGINE_VERSION.len() as u8);
        out.extend_from_slice(ENGINE_VERSION.as_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    pub fn encode_json(&self) -> Vec<u8> {
        let doc = JsonTrace {
            format: "daxlab-trace".into(),
            version: FORMAT_VERSION,
            engine: ENGINE_VERSION.into(),
            trace: self.clone(),
        };
        serde_json::to_vec_pretty(&doc).expect("every trace type serialises")
    }

    /// Reads either form; `path` names the source in errors. The result is validated.
    pub fn decode(bytes: &[u8], path: &str) -> Result<Trace, TraceError> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        let trace = if first == Some(&b'{') { decode_json(bytes, path)? } else { decode_binary(bytes, path)? };
        trace.validate(path)?;
        Ok(trace)
    }

    pub fn load(path: &Path) -> Result<Trace, TraceError> {
        let name = path.display().to_string();
        let bytes = crate::input::read_capped(path, crate::input::MAX_TRACE_BYTES)
            .map_err(|source| TraceError::Io { path: name.clone(), source })?;
        Trace::decode(&bytes, &name)
    }

    /// Writes the JSON form for a `.json` path and the binary form otherwise, through a
    /// temporary file renamed into place: an existing file is never left half-written.
    pub fn save(&self, path: &Path) -> Result<(), TraceError> {
        let json = path.extension().is_some_and(|e| e == "json");
        let bytes = if json { self.encode_json() } else { self.encode_binary() };
        write_atomically(path, &bytes).map_err(|source| TraceError::Io { path: path.display().to_string(), source })
    }

    /// Checks what the codec cannot: the embedded scenario parses, and every thread,
    /// process, page, bucket and step the trace mentions exists (see `validate.rs`).
    pub fn validate(&self, path: &str) -> Result<(), TraceError> {
        let invalid = |message: String| TraceError::Invalid { path: path.to_string(), message };
        let sc = self.scenario().map_err(|e| invalid(e.to_string()))?;
        let threads = sc.threads().count();
        let processes = sc.processes.len();
        if sc.name != self.scenario {
            return Err(invalid(format!("the trace names scenario `{}` but embeds `{}`", self.scenario, sc.name)));
        }
        for (i, d) in self.schedule.0.iter().enumerate() {
            if let Decision::Run(t) = d
                && t.index() >= threads
            {
                return Err(invalid(format!(
                    "schedule decision {i} runs thread {} but the scenario has {threads}",
                    t.0
                )));
            }
        }
        let limits = super::validate::Limits { threads, processes, pages: self.events.len() };
        let mut last_step = 0;
        for (i, e) in self.events.iter().enumerate() {
            limits.event(e).map_err(|m| invalid(format!("event {i} (step {}): {m}", e.step)))?;
            if e.step < last_step || e.step >= self.steps.max(1) {
                return Err(invalid(format!(
                    "event {i} has step {} out of order or beyond {} steps",
                    e.step, self.steps
                )));
            }
            last_step = e.step;
        }
        limits.outcome(&self.outcome).map_err(|m| invalid(format!("the recorded outcome: {m}")))?;
        let run_steps = self.runs.iter().try_fold(0u32, |sum, (_, n)| sum.checked_add(*n));
        if run_steps != Some(self.steps) {
            return Err(invalid(format!("the step runs do not add up to the {} steps", self.steps)));
        }
        if self.runs.iter().any(|(t, _)| t.index() >= threads) {
            return Err(invalid("the step runs name a thread that does not exist".into()));
        }
        for s in &self.switches {
            if s.from.index() >= threads || s.to.index() >= threads {
                return Err(invalid(format!("a thread switch at step {} names a thread that does not exist", s.step)));
            }
        }
        if self.annotations.initial_step > self.steps {
            return Err(invalid(format!(
                "initial_step {} is beyond the {} steps",
                self.annotations.initial_step, self.steps
            )));
        }
        if let Some(b) = self.annotations.bookmarks.iter().find(|b| b.step > self.steps) {
            return Err(invalid(format!("bookmark at step {} is beyond the {} steps", b.step, self.steps)));
        }
        Ok(())
    }
}

fn decode_json(bytes: &[u8], path: &str) -> Result<Trace, TraceError> {
    let json = |message: String| TraceError::Json { path: path.to_string(), message };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| json(format!("not valid JSON: {e}")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some("daxlab-trace") {
        return Err(json("not a daxlab trace: the JSON has no \"format\": \"daxlab-trace\"".into()));
    }
    let version = value.get("version").and_then(|v| v.as_u64()).ok_or_else(|| json("no \"version\" number".into()))?;
    let version = u16::try_from(version).unwrap_or(u16::MAX);
    let mismatch = |e: serde_json::Error| json(format!("does not match the trace format (version {version}): {e}"));
    match version {
        0 => Err(json("version 0 is not a trace format version (the first is 1)".into())),
        1 => Ok(serde_json::from_value::<old::JsonTrace<old::Variant>>(value).map_err(mismatch)?.trace.into()),
        2 => Ok(serde_json::from_value::<old::JsonTrace<Kernel>>(value).map_err(mismatch)?.trace.into()),
        3 | FORMAT_VERSION => Ok(serde_json::from_value::<JsonTrace>(value).map_err(mismatch)?.trace),
        _ => Err(TraceError::Newer { path: path.to_string(), version }),
    }
}

fn decode_binary(bytes: &[u8], path: &str) -> Result<Trace, TraceError> {
    let path_s = || path.to_string();
    let have = bytes.len() as u64;
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        let shown: String = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
        return Err(TraceError::NotATrace {
            path: path_s(),
            found: if shown.is_empty() { "nothing".into() } else { shown },
        });
    }
    if bytes.len() < FIXED_HEAD {
        return Err(TraceError::Truncated { path: path_s(), what: "header", need: FIXED_HEAD as u64, have });
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version > FORMAT_VERSION {
        return Err(TraceError::Newer { path: path_s(), version });
    }
    if version == 0 {
        return Err(TraceError::Decode {
            path: path_s(),
            message: "version 0 is not a trace format version (the first is 1)".into(),
        });
    }
    let engine_len = usize::from(bytes[10]);
    let head = FIXED_HEAD + engine_len + 8 + 4;
    if bytes.len() < head {
        return Err(TraceError::Truncated { path: path_s(), what: "header", need: head as u64, have });
    }
    let at = FIXED_HEAD + engine_len;
    let claimed = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let stored = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes"));
    let body = &bytes[head..];
    if claimed != body.len() as u64 {
        return Err(TraceError::BodyLength { path: path_s(), claimed, actual: body.len() as u64 });
    }
    let computed = crc32fast::hash(body);
    if computed != stored {
        return Err(TraceError::Checksum { path: path_s(), stored, computed });
    }
    let decode_error = |e: postcard::Error| TraceError::Decode { path: path_s(), message: e.to_string() };
    match version {
        1 => postcard::from_bytes::<old::Trace<old::Variant, old::OldSwitch>>(body).map(Trace::from),
        2 => postcard::from_bytes::<old::Trace<Kernel, old::OldSwitch>>(body).map(Trace::from),
        3 => postcard::from_bytes::<old::Trace<Kernel, Switch>>(body).map(Trace::from),
        _ => {
            let raw =
                super::compress::unpack(body).map_err(|message| TraceError::Decode { path: path_s(), message })?;
            postcard::from_bytes(&raw)
        }
    }
    .map_err(decode_error)
}

/// Writes `bytes` to a temporary file next to `path`, syncs it, and renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp_name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
