//! The scenario file format (documented in docs/scenarios.md).

use super::{DEFAULT_MAP_BASE, Expect, Size};
use crate::check::OnWarn;
use crate::fs::{AllocPolicy, ExtentState};
use crate::mm::PeSize;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}, line {line}: `{field}`: {message}")]
    Invalid { origin: String, line: usize, field: String, message: String },
    #[error(
        "no built-in scenario is called `{name}` (built-ins: {available}); to load a file, give a path ending in .toml"
    )]
    UnknownName { name: String, available: String },
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Thp {
    /// transparent_hugepage=always (or madvise: ext4 and xfs set VM_HUGEPAGE on DAX vmas).
    #[default]
    Always,
    /// No PMD faults at all.
    Never,
}

/// What every CPU's radix-tree preload pool holds when the threads start.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PreloadPool {
    /// Empty, as after boot: a CPU's first radix_tree_preload() allocates (and may sleep,
    /// and may fail).
    #[default]
    Cold,
    /// Full (RADIX_TREE_PRELOAD_SIZE nodes), as on a machine that has run a while: a
    /// preload only disables preemption.
    Warm,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtentSpec {
    pub offset: Size,
    pub length: Size,
    pub state: ExtentState,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    pub size: Spanned<Size>,
    #[serde(default)]
    pub allocator: AllocPolicy,
    /// Blocks allocated before the threads start; everything else is a hole.
    #[serde(default, rename = "extent")]
    pub extents: Vec<Spanned<ExtentSpec>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MmapSpec {
    /// File offset of the mapping (page aligned).
    #[serde(default)]
    pub offset: Size,
    /// Length in bytes; the whole file from `offset` when absent.
    pub length: Option<Size>,
    #[serde(default = "yes")]
    pub shared: bool,
    /// Start address; 2 MiB aligned by default.
    pub address: Option<Size>,
}

fn yes() -> bool {
    true
}

/// A missing `mmap` maps the whole file, shared, at the default address.
impl Default for MmapSpec {
    fn default() -> Self {
        MmapSpec { offset: Size(0), length: None, shared: true, address: None }
    }
}

/// One user-space operation. Offsets are file offsets; they reach the file through the
/// process's mapping.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Op {
    /// An 8-byte store (faulting as needed, then retried, as the CPU would).
    Store { at: Size, value: Size },
    /// An 8-byte load.
    Load { at: Size },
    /// holetest's loop: store `value` at offset `at` of each of `pages` consecutive pages,
    /// in increasing page order (each store as `store` would do it).
    Sweep { at: Size, pages: Size, value: Size },
    /// Fault on file page `page` directly: size "pte" enters the core-mm 4 KiB path at
    /// handle_pte_fault() (as a PMD fallback would), size "pmd" calls ->huge_fault. The
    /// fault is not retried.
    Fault {
        page: Size,
        size: PeSize,
        #[serde(default)]
        write: bool,
    },
    /// read(2) of 8 bytes at file offset `at` (pread: no mapping involved).
    Read { at: Size },
    /// write(2) of the 8-byte `value` at file offset `at` (pwrite).
    Write { at: Size, value: Size },
    /// fsync(2) of the whole file.
    Fsync,
    /// truncate(2) to `size` (a multiple of 4096).
    Truncate { size: Size },
    /// fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) of a page-aligned range.
    #[serde(rename = "punch-hole")]
    PunchHole { offset: Size, length: Size },
    /// fallocate(mode 0) of a page-aligned range: unwritten blocks over its holes.
    Fallocate { offset: Size, length: Size },
    /// `echo 1 > /proc/sys/vm/drop_caches`, as far as this file is concerned.
    #[serde(rename = "drop-caches")]
    DropCaches,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadSpec {
    pub name: Spanned<String>,
    pub ops: Vec<Spanned<Op>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessSpec {
    pub name: Spanned<String>,
    /// Runs to completion (its mapping then torn down) before any other process starts:
    /// the way a test prepares a file single-threaded.
    #[serde(default)]
    pub setup: bool,
    /// The whole file, shared, at the default address when absent.
    #[serde(default)]
    pub mmap: Option<Spanned<MmapSpec>>,
    #[serde(rename = "thread")]
    pub threads: Vec<ThreadSpec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    /// One line shown by `daxlab scenarios`; empty when absent.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub thp: Thp,
    /// Let the scheduler make radix_tree_preload() fail with -ENOMEM (where it allocates).
    #[serde(default)]
    pub inject_enomem: bool,
    #[serde(default)]
    pub preload_pool: PreloadPool,
    /// The machine's CPUs; none: one per thread.
    pub cpus: Option<std::num::NonZeroU32>,
    /// What a WARN does to the run (the model's kernel.panic_on_warn): `stop` (the
    /// default) ends it there, `continue` records it and lets the kernel carry on.
    #[serde(default)]
    pub on_warn: OnWarn,
    pub file: FileSpec,
    #[serde(rename = "process")]
    pub processes: Vec<ProcessSpec>,
    pub expect: Option<Expect>,
    /// The TOML text the scenario was read from (traces embed it).
    #[serde(skip)]
    pub source: String,
    #[serde(skip)]
    pub origin: String,
}

impl Scenario {
    /// Parses and validates a scenario. `origin` names it in errors (a path or "built-in X").
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        let mut sc: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            origin: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        sc.source = text.to_string();
        sc.origin = origin.to_string();
        sc.validate()?;
        Ok(sc)
    }

    pub fn from_file(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = crate::input::read_text_capped(path, crate::input::MAX_SCENARIO_BYTES)
            .map_err(|source| ScenarioError::Io { path: path.display().to_string(), source })?;
        Scenario::from_toml(&text, &path.display().to_string())
    }

    /// A built-in name, or a path to a .toml file.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some(sc) = super::builtin(name_or_path) {
            return sc;
        }
        let path = Path::new(name_or_path);
        if name_or_path.ends_with(".toml") || path.exists() {
            return Scenario::from_file(path);
        }
        Err(ScenarioError::UnknownName { name: name_or_path.to_string(), available: super::builtin_names().join(", ") })
    }

    /// The same scenario on a machine with `cpus` CPUs (none: one per thread). The
    /// embedded source says so too, so that a trace of it replays on the same machine.
    pub fn with_cpus(self, cpus: Option<u32>) -> Result<Scenario, ScenarioError> {
        self.with_top_key("cpus", cpus.map(|n| n.to_string()))
    }

    /// The same scenario with every CPU's preload pool `pool` at the start, in the
    /// embedded source too (as [`Scenario::with_cpus`]).
    pub fn with_preload_pool(self, pool: PreloadPool) -> Result<Scenario, ScenarioError> {
        let value = match pool {
            PreloadPool::Cold => "\"cold\"",
            PreloadPool::Warm => "\"warm\"",
        };
        self.with_top_key("preload_pool", Some(value.to_string()))
    }

    /// The same scenario with WARNs ending the run or not; the embedded source says so
    /// too, so that a trace of it replays the same way.
    /// `[expect]` lists what the scenario shows as written, so a changed setting drops its
    /// classes (keeping its preemption bound).
    pub fn with_on_warn(self, on_warn: OnWarn) -> Result<Scenario, ScenarioError> {
        if on_warn == self.on_warn {
            return Ok(self);
        }
        let value = (on_warn != OnWarn::default()).then(|| format!("\"{on_warn}\""));
        let mut sc = self.with_top_key("on_warn", value)?;
        if let Some(e) = &mut sc.expect {
            e.kernels.clear();
        }
        Ok(sc)
    }

    /// The source with the top-level `key` set to `value` (removed when none), parsed again.
    fn with_top_key(mut self, key: &str, value: Option<String>) -> Result<Scenario, ScenarioError> {
        let header = self.source.lines().position(|l| l.trim_start().starts_with('[')).unwrap_or(usize::MAX);
        let mut lines: Vec<&str> =
            self.source.lines().enumerate().filter(|(i, l)| *i >= header || !is_key(l, key)).map(|(_, l)| l).collect();
        let line = value.map(|v| format!("{key} = {v}"));
        if let Some(line) = &line {
            lines.insert(0, line);
        }
        let text = lines.join("\n") + "\n";
        let origin = std::mem::take(&mut self.origin);
        Scenario::from_toml(&text, &origin)
    }

    /// The number of CPUs the threads run on.
    pub fn cpu_count(&self) -> usize {
        self.cpus.map_or(self.threads().count(), |n| n.get() as usize)
    }

    /// The machine the threads run on, in one line: what a "preemption" means on it.
    /// `daxlab explore` prints it above its tables.
    pub fn machine_text(&self) -> String {
        let threads = self.threads().count();
        let cpus = match self.cpu_count() {
            n if n >= threads => format!(
                "{threads} threads, each on a CPU of its own: a preemption is a switch away from a thread that could go on (its CPU falls behind, another runs ahead)"
            ),
            1 => format!(
                "{threads} threads on 1 CPU: a thread is switched out only where it sleeps, ends, or is preempted (preemption on)"
            ),
            n => format!(
                "{threads} threads on {n} CPUs: a thread waits for a CPU unless one sleeps, ends, or is preempted (preemption on)"
            ),
        };
        match self.preload_pool {
            PreloadPool::Cold => cpus,
            PreloadPool::Warm => cpus + "; every CPU's preload pool starts full",
        }
    }

    /// The machine in a verdict's words when it has fewer CPUs than threads ("1 CPU",
    /// "2 CPUs"); none on the default machine, one CPU per thread.
    pub fn fewer_cpus(&self) -> Option<String> {
        match self.cpu_count() {
            n if n >= self.threads().count() => None,
            1 => Some("1 CPU".into()),
            n => Some(format!("{n} CPUs")),
        }
    }

    pub fn size(&self) -> u64 {
        self.file.size.get_ref().0
    }

    /// The mapping length of process `p`.
    pub fn map_length(&self, p: &ProcessSpec) -> u64 {
        let m = p.mapping();
        m.length.map_or(self.size().saturating_sub(m.offset.0), |l| l.0)
    }

    /// Threads in tid order with their process index.
    pub fn threads(&self) -> impl Iterator<Item = (usize, &ProcessSpec, &ThreadSpec)> {
        self.processes
            .iter()
            .flat_map(|p| p.threads.iter().map(move |t| (p, t)))
            .enumerate()
            .map(|(i, (p, t))| (i, p, t))
    }

    pub fn thread_names(&self) -> Vec<String> {
        self.threads().map(|(_, _, t)| t.name.get_ref().clone()).collect()
    }

    pub fn map_base(&self, p: &ProcessSpec) -> u64 {
        p.mapping().address.map_or(DEFAULT_MAP_BASE, |a| a.0)
    }
}

impl ProcessSpec {
    /// The process's mapping as written, or the default one.
    pub fn mapping(&self) -> MmapSpec {
        self.mmap.as_ref().map(|m| m.get_ref().clone()).unwrap_or_default()
    }
}

/// Whether a TOML line sets top-level `key`.
fn is_key(line: &str, key: &str) -> bool {
    line.trim_start().strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
}
