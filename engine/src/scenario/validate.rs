//! What a scenario may say. Every number is checked on its own and in every sum or product
//! the model later computes from it (an extent's end, a mapping's end, the last page of a
//! sweep), so that nothing wraps or traps once the threads run. The limits are documented
//! in docs/scenarios.md.

use super::{Op, ProcessSpec, Scenario, ScenarioError};
use crate::mm::{PAGE_SIZE, TASK_SIZE};
use std::collections::BTreeSet;
use std::ops::Range;

/// The largest file the model handles (i_size, and what truncate may set).
pub const MAX_FILE_SIZE: u64 = 1 << 30;
/// Threads per scenario, over all processes.
pub const MAX_THREADS: usize = 16;
/// The largest preemption bound anything accepts (`[expect]`, challenges, the CLI, the
/// workbench). Exhaustive search far below it already takes hours on any scenario with
/// more than a few scheduling decisions; the per-bound tables stay small.
pub const MAX_PREEMPTIONS: u32 = 16;
/// Longest scenario, process or thread name.
pub const MAX_NAME_LEN: usize = 64;

impl Scenario {
    fn line_of(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.source.len());
        self.source.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
    }

    fn invalid(&self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            origin: self.origin.clone(),
            line: self.line_of(span),
            field: field.into(),
            message: message.into(),
        }
    }

    /// An error about the scenario as a whole (reported at line 1).
    fn invalid_whole(&self, field: &str, message: String) -> ScenarioError {
        self.invalid(0..0, field, message)
    }

    pub(super) fn validate(&self) -> Result<(), ScenarioError> {
        if let Err(why) = file_name_safe(&self.name) {
            return Err(self.invalid_whole("name", why));
        }
        self.validate_file()?;
        if self.processes.is_empty() {
            return Err(self.invalid_whole("process", "a scenario needs at least one [[process]]".into()));
        }
        let nthreads = self.threads().count();
        if nthreads == 0 || nthreads > MAX_THREADS {
            return Err(self.invalid_whole(
                "process.thread",
                format!("a scenario has 1 to {MAX_THREADS} threads, this one has {nthreads}"),
            ));
        }
        self.validate_names()?;
        for (pi, p) in self.processes.iter().enumerate() {
            self.validate_process(pi, p)?;
        }
        Ok(())
    }

    fn validate_file(&self) -> Result<(), ScenarioError> {
        let size = self.size();
        let size_span = self.file.size.span();
        if size == 0 || !size.is_multiple_of(PAGE_SIZE) {
            return Err(self.invalid(
                size_span,
                "file.size",
                format!("must be a non-zero multiple of 4096, got {size}"),
            ));
        }
        if size > MAX_FILE_SIZE {
            return Err(self.invalid(size_span, "file.size", "the model handles files up to 1 GiB"));
        }
        for (i, e) in self.file.extents.iter().enumerate() {
            let x = e.get_ref();
            let field = format!("file.extent[{i}]");
            if !x.offset.0.is_multiple_of(PAGE_SIZE) || !x.length.0.is_multiple_of(PAGE_SIZE) || x.length.0 == 0 {
                return Err(self.invalid(e.span(), field, "offset and length must be non-zero multiples of 4096"));
            }
            match x.offset.0.checked_add(x.length.0) {
                Some(end) if end <= size => {}
                end => {
                    let end = end.map_or("past 2^64".to_string(), |e| format!("at {e:#x}"));
                    return Err(self.invalid(e.span(), field, format!("ends {end}, past the file size {size:#x}")));
                }
            }
            // Earlier extents passed the check above, so their ends do not overflow.
            let overlaps = self.file.extents[..i].iter().any(|o| {
                let o = o.get_ref();
                x.offset.0 < o.offset.0 + o.length.0 && o.offset.0 < x.offset.0 + x.length.0
            });
            if overlaps {
                return Err(self.invalid(e.span(), field, "overlaps an earlier extent"));
            }
        }
        Ok(())
    }

    /// Reports, witnesses and the workbench tell threads and processes apart by name.
    fn validate_names(&self) -> Result<(), ScenarioError> {
        let mut processes = BTreeSet::new();
        let mut threads = BTreeSet::new();
        for (pi, p) in self.processes.iter().enumerate() {
            let field = format!("process[{pi}].name");
            self.check_name(&p.name, &field, &mut processes, "process")?;
            for (ti, t) in p.threads.iter().enumerate() {
                let field = format!("process[{pi}].thread[{ti}].name");
                self.check_name(&t.name, &field, &mut threads, "thread")?;
            }
        }
        Ok(())
    }

    fn check_name<'a>(
        &self,
        name: &'a toml::Spanned<String>,
        field: &str,
        seen: &mut BTreeSet<&'a str>,
        what: &str,
    ) -> Result<(), ScenarioError> {
        let n = name.get_ref().as_str();
        if n.is_empty() || n.chars().count() > MAX_NAME_LEN || n.chars().any(char::is_control) {
            return Err(self.invalid(
                name.span(),
                field,
                format!("a name has 1 to {MAX_NAME_LEN} characters and no control characters"),
            ));
        }
        if !seen.insert(n) {
            return Err(self.invalid(name.span(), field, format!("another {what} is already called `{n}`")));
        }
        Ok(())
    }

    fn validate_process(&self, pi: usize, p: &ProcessSpec) -> Result<(), ScenarioError> {
        let m = p.mapping();
        let span = p.mmap.as_ref().map_or_else(|| p.name.span(), |m| m.span());
        let field = format!("process[{pi}].mmap");
        let len = self.map_length(p);
        if !m.offset.0.is_multiple_of(PAGE_SIZE) {
            return Err(self.invalid(span, format!("{field}.offset"), "must be a multiple of 4096"));
        }
        if len == 0 || !len.is_multiple_of(PAGE_SIZE) {
            return Err(self.invalid(span, format!("{field}.length"), "must be a non-zero multiple of 4096"));
        }
        let Some(file_end) = m.offset.0.checked_add(len) else {
            return Err(self.invalid(span, format!("{field}.length"), "offset + length is past 2^64"));
        };
        let base = self.map_base(p);
        if !base.is_multiple_of(PAGE_SIZE) {
            return Err(self.invalid(span, format!("{field}.address"), "must be page aligned"));
        }
        if base.checked_add(len).is_none_or(|end| end > TASK_SIZE) {
            return Err(self.invalid(
                span,
                format!("{field}.address"),
                format!("the mapping must end below TASK_SIZE ({TASK_SIZE:#x}), the top of user address space"),
            ));
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
                if let Some(offset) = [reach.0, reach.1].into_iter().find(|&o| o < m.offset.0 || o >= file_end) {
                    let range = format!("[{:#x}, {file_end:#x})", m.offset.0);
                    let message = format!("file offset {offset:#x} is outside the mapping {range}");
                    return Err(self.invalid(op.span(), field, message));
                }
            }
        }
        Ok(())
    }

    /// Checks one operation on its own; returns the first and last file offsets it reaches
    /// through the process's mapping, if it goes through the mapping at all.
    fn validate_op(&self, op: &toml::Spanned<Op>, field: &str) -> Result<Option<(u64, u64)>, ScenarioError> {
        let size = self.size();
        let bad = |name: &str, message: String| Err(self.invalid(op.span(), format!("{field}.{name}"), message));
        let past = "past 2^64";
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
                match (pages.0 - 1).checked_mul(PAGE_SIZE).and_then(|d| d.checked_add(at.0)) {
                    Some(last) => Ok(Some((at.0, last))),
                    None => bad("pages", format!("the sweep's last page lies {past}")),
                }
            }
            Op::Fault { page, .. } => match page.0.checked_mul(PAGE_SIZE) {
                Some(offset) => Ok(Some((offset, offset))),
                None => bad("page", format!("page {:#x} lies {past}", page.0)),
            },
            Op::Read { at } | Op::Write { at, .. } => {
                if !at.0.is_multiple_of(8) || at.0.checked_add(8).is_none_or(|end| end > size) {
                    return bad("at", format!("must be 8-byte aligned and inside the file (size {size:#x})"));
                }
                Ok(None)
            }
            Op::Truncate { size: to } => {
                if !to.0.is_multiple_of(PAGE_SIZE) || to.0 > MAX_FILE_SIZE {
                    return bad("size", format!("must be a multiple of 4096 up to 1 GiB, got {:#x}", to.0));
                }
                Ok(None)
            }
            Op::PunchHole { offset, length } | Op::Fallocate { offset, length } => {
                if !offset.0.is_multiple_of(PAGE_SIZE) || !length.0.is_multiple_of(PAGE_SIZE) || length.0 == 0 {
                    return bad("length", "offset and length must be multiples of 4096, length non-zero".into());
                }
                if offset.0.checked_add(length.0).is_none_or(|end| end > size) {
                    return bad("length", format!("the range ends past the file size {size:#x}"));
                }
                Ok(None)
            }
            Op::Fsync | Op::DropCaches => Ok(None),
        }
    }
}

/// Scenario names become parts of file names (witnesses, goldens): letters, digits, `-`,
/// `_` and `.`, not starting with a dot.
pub fn file_name_safe(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        let shown: String = name.chars().take(MAX_NAME_LEN).collect();
        Err(format!(
            "{shown:?}: a scenario name has 1 to {MAX_NAME_LEN} letters, digits, `-`, `_` or `.` and does not start with `.` (it names witness files)"
        ))
    }
}
