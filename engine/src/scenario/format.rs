//! The scenario file format (documented in docs/scenarios.md).

use super::{DEFAULT_MAP_BASE, Expect, Size};
use crate::fs::{AllocPolicy, ExtentState};
use crate::mm::{PAGE_SIZE, PeSize};
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
    pub name: String,
    pub ops: Vec<Spanned<Op>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessSpec {
    pub name: String,
    /// Runs to completion (its mapping then torn down) before any other process starts:
    /// the way a test prepares a file single-threaded.
    #[serde(default)]
    pub setup: bool,
    pub mmap: Spanned<MmapSpec>,
    #[serde(rename = "thread")]
    pub threads: Vec<ThreadSpec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub thp: Thp,
    /// Let the scheduler make radix_tree_preload() fail with -ENOMEM.
    #[serde(default)]
    pub inject_enomem: bool,
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
        let text = std::fs::read_to_string(path)
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

    pub fn size(&self) -> u64 {
        self.file.size.get_ref().0
    }

    /// The mapping length of process `p`.
    pub fn map_length(&self, p: &ProcessSpec) -> u64 {
        let m = p.mmap.get_ref();
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
        self.threads().map(|(_, _, t)| t.name.clone()).collect()
    }

    pub fn map_base(&self, p: &ProcessSpec) -> u64 {
        p.mmap.get_ref().address.map_or(DEFAULT_MAP_BASE, |a| a.0)
    }

    fn line_of(&self, span: std::ops::Range<usize>) -> usize {
        self.source[..span.start.min(self.source.len())].matches('\n').count() + 1
    }

    fn invalid(
        &self,
        span: std::ops::Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::Invalid {
            origin: self.origin.clone(),
            line: self.line_of(span),
            field: field.into(),
            message: message.into(),
        }
    }

    fn validate(&self) -> Result<(), ScenarioError> {
        let size = self.size();
        let size_span = self.file.size.span();
        if size == 0 || !size.is_multiple_of(PAGE_SIZE) {
            return Err(self.invalid(
                size_span,
                "file.size",
                format!("must be a non-zero multiple of 4096, got {size}"),
            ));
        }
        if size > 1 << 30 {
            return Err(self.invalid(size_span, "file.size", "the model handles files up to 1 GiB"));
        }
        for (i, e) in self.file.extents.iter().enumerate() {
            let x = e.get_ref();
            let field = format!("file.extent[{i}]");
            if x.offset.0 % PAGE_SIZE != 0 || x.length.0 % PAGE_SIZE != 0 || x.length.0 == 0 {
                return Err(self.invalid(e.span(), field, "offset and length must be non-zero multiples of 4096"));
            }
            if x.offset.0 + x.length.0 > size {
                return Err(self.invalid(
                    e.span(),
                    field,
                    format!("ends at {:#x}, past the file size {size:#x}", x.offset.0 + x.length.0),
                ));
            }
            let overlaps = self.file.extents[..i].iter().any(|o| {
                let o = o.get_ref();
                x.offset.0 < o.offset.0 + o.length.0 && o.offset.0 < x.offset.0 + x.length.0
            });
            if overlaps {
                return Err(self.invalid(e.span(), field, "overlaps an earlier extent"));
            }
        }
        if self.processes.is_empty() {
            return Err(ScenarioError::Invalid {
                origin: self.origin.clone(),
                line: 1,
                field: "process".into(),
                message: "a scenario needs at least one [[process]]".into(),
            });
        }
        let nthreads = self.threads().count();
        if nthreads == 0 || nthreads > 16 {
            return Err(ScenarioError::Invalid {
                origin: self.origin.clone(),
                line: 1,
                field: "process.thread".into(),
                message: format!("a scenario has 1 to 16 threads, this one has {nthreads}"),
            });
        }
        for (pi, p) in self.processes.iter().enumerate() {
            self.validate_process(pi, p)?;
        }
        Ok(())
    }

    fn validate_process(&self, pi: usize, p: &ProcessSpec) -> Result<(), ScenarioError> {
        let m = p.mmap.get_ref();
        let span = p.mmap.span();
        let field = format!("process[{pi}].mmap");
        let len = self.map_length(p);
        if !m.offset.0.is_multiple_of(PAGE_SIZE) {
            return Err(self.invalid(span, format!("{field}.offset"), "must be a multiple of 4096"));
        }
        if len == 0 || !len.is_multiple_of(PAGE_SIZE) {
            return Err(self.invalid(span, format!("{field}.length"), "must be a non-zero multiple of 4096"));
        }
        if !self.map_base(p).is_multiple_of(PAGE_SIZE) {
            return Err(self.invalid(span, format!("{field}.address"), "must be page aligned"));
        }
        if p.setup && p.threads.len() != 1 {
            return Err(self.invalid(span, format!("process[{pi}].setup"), "a setup process has exactly one thread"));
        }
        if p.threads.is_empty() {
            return Err(self.invalid(
                span,
                format!("process[{pi}].thread"),
                "a process needs at least one [[process.thread]]",
            ));
        }
        for (ti, t) in p.threads.iter().enumerate() {
            for (oi, op) in t.ops.iter().enumerate() {
                let field = format!("process[{pi}].thread[{ti}].ops[{oi}]");
                let Some(reach) = self.validate_op(op, &field)? else {
                    continue;
                };
                if let Some(offset) = [reach.0, reach.1].into_iter().find(|&o| o < m.offset.0 || o >= m.offset.0 + len)
                {
                    return Err(self.invalid(
                        op.span(),
                        field,
                        format!(
                            "file offset {offset:#x} is outside the mapping [{:#x}, {:#x})",
                            m.offset.0,
                            m.offset.0 + len
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks one operation on its own; returns the first and last file offsets it reaches
    /// through the process's mapping, if it goes through the mapping at all.
    fn validate_op(&self, op: &Spanned<Op>, field: &str) -> Result<Option<(u64, u64)>, ScenarioError> {
        let size = self.size();
        let bad = |name: &str, message: String| Err(self.invalid(op.span(), format!("{field}.{name}"), message));
        match op.get_ref() {
            Op::Store { at, .. } | Op::Load { at } => {
                if !at.0.is_multiple_of(8) {
                    return bad("at", "8-byte accesses must be 8-byte aligned".into());
                }
                Ok(Some((at.0, at.0)))
            }
            Op::Sweep { at, pages, .. } => {
                if !at.0.is_multiple_of(8) {
                    return bad("at", "8-byte accesses must be 8-byte aligned".into());
                }
                if pages.0 == 0 {
                    return bad("pages", "a sweep needs at least one page".into());
                }
                Ok(Some((at.0, at.0.saturating_add((pages.0 - 1).saturating_mul(4096)))))
            }
            Op::Fault { page, .. } => Ok(Some((page.0 << 12, page.0 << 12))),
            Op::Read { at } | Op::Write { at, .. } => {
                if at.0 % 8 != 0 || at.0 + 8 > size {
                    return bad("at", format!("must be 8-byte aligned and inside the file (size {size:#x})"));
                }
                Ok(None)
            }
            Op::Truncate { size: to } => {
                if to.0 % PAGE_SIZE != 0 || to.0 > 1 << 30 {
                    return bad("size", format!("must be a multiple of 4096 up to 1 GiB, got {:#x}", to.0));
                }
                Ok(None)
            }
            Op::PunchHole { offset, length } | Op::Fallocate { offset, length } => {
                if offset.0 % PAGE_SIZE != 0 || length.0 % PAGE_SIZE != 0 || length.0 == 0 {
                    return bad("length", "offset and length must be multiples of 4096, length non-zero".into());
                }
                if offset.0 + length.0 > size {
                    return bad("length", format!("the range ends past the file size {size:#x}"));
                }
                Ok(None)
            }
            Op::Fsync | Op::DropCaches => Ok(None),
        }
    }
}
