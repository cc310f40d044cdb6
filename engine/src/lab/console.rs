//! Reading what came back: the guest console (our phase and error lines, and whatever the
//! kernel reported: BUG, WARNING, Oops, panics, hung tasks) and the capture port (each
//! iteration's trace and result).

use super::report::{CAPTURE_BEGIN, CAPTURE_END, IterationResult, RESULT_PREFIX};

/// A line the kernel printed that means something went wrong in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelProblem {
    pub line: usize,
    pub text: String,
    /// A WARNING (the kernel carried on) rather than a BUG, Oops or panic.
    pub warning: bool,
}

/// The console, read.
#[derive(Debug, Default)]
pub struct Console {
    pub phases: Vec<String>,
    /// "daxlab-lab: error: ..." from /init or the workload.
    pub errors: Vec<String>,
    pub notes: Vec<String>,
    pub problems: Vec<KernelProblem>,
    /// The workload's exit line was seen.
    pub workload_exit: Option<i32>,
    /// What `daxlab stress` printed in the guest (the model on the DAX mount), if it ran.
    pub model_stress: Vec<String>,
}

/// The console prefix of a line, without the kernel's "[    1.234567] " timestamp.
fn message(line: &str) -> &str {
    let l = line.trim_end_matches('\r');
    if let Some(rest) = l.strip_prefix('[')
        && let Some(end) = rest.find("] ")
    {
        return &rest[end + 2..];
    }
    l
}

/// Whether a kernel line reports a problem, and whether it is only a warning.
pub fn classify_kernel_line(msg: &str) -> Option<bool> {
    const BUGS: &[&str] = &[
        "kernel BUG at",
        "BUG: ",
        "Oops:",
        "general protection fault",
        "Kernel panic",
        "INFO: task ",
        "watchdog: BUG: soft lockup",
        "rcu: INFO: rcu_",
    ];
    if msg.starts_with("WARNING: CPU:") || msg.starts_with("WARNING: at ") {
        return Some(true);
    }
    BUGS.iter().any(|b| msg.starts_with(b)).then_some(false)
}

pub fn parse_console(text: &str) -> Console {
    let mut c = Console::default();
    for (i, raw) in text.lines().enumerate() {
        let msg = message(raw);
        if let Some(model) = msg.strip_prefix("daxlab-model: ") {
            c.model_stress.push(model.to_string());
        } else if let Some(ours) = msg.strip_prefix("daxlab-lab: ") {
            if let Some(p) = ours.strip_prefix("phase ") {
                c.phases.push(p.to_string());
            } else if let Some(e) = ours.strip_prefix("error: ") {
                c.errors.push(e.to_string());
            } else if let Some(n) = ours.strip_prefix("workload exit ") {
                c.workload_exit = n.trim().parse().ok();
            } else {
                c.notes.push(ours.to_string());
            }
        } else if let Some(warning) = classify_kernel_line(msg) {
            c.problems.push(KernelProblem { line: i + 1, text: msg.to_string(), warning });
        }
    }
    c
}

/// One iteration's capture.
#[derive(Debug)]
pub struct Capture {
    pub iteration: u32,
    pub trace: String,
    pub result: Option<IterationResult>,
}

/// Splits the capture port's output into iterations. Carriage returns a tty might have
/// added are dropped.
pub fn split_captures(raw: &str) -> Vec<Capture> {
    let mut out: Vec<Capture> = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for line in raw.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(rest) = line.strip_prefix(CAPTURE_BEGIN) {
            let n = rest.trim_end_matches(" ===").trim().parse().unwrap_or(out.len() as u32 + 1);
            current = Some((n, String::new()));
        } else if line == CAPTURE_END {
            if let Some((iteration, trace)) = current.take() {
                out.push(Capture { iteration, trace, result: None });
            }
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        } else if let Some(json) = line.strip_prefix(RESULT_PREFIX)
            && let Ok(r) = serde_json::from_str::<IterationResult>(json)
            && let Some(c) = out.iter_mut().rev().find(|c| c.iteration == r.iteration)
        {
            c.result = Some(r);
        }
    }
    if let Some((iteration, trace)) = current {
        // Cut off (the guest died while writing it): keep what arrived.
        out.push(Capture { iteration, trace, result: None });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_lines_are_sorted_out() {
        let text = "[    0.000000] Linux version 6.1.0\r\n\
                    daxlab-lab: phase modules\n\
                    [    2.5] nd_pmem namespace0.0: unable to guarantee persistence of writes\n\
                    [    3.1] WARNING: CPU: 1 PID: 130 at fs/dax.c:123 dax_foo+0x1/0x2\n\
                    [    3.2] kernel BUG at mm/huge_memory.c:2000!\n\
                    daxlab-lab: error: mkfs.xfs: bad\n\
                    daxlab-lab: workload exit 1\n\
                    daxlab-model: pmem /mnt/daxlab-pmem-1.img (MAP_SYNC, clwb + sfence)\n";
        let c = parse_console(text);
        assert_eq!(c.phases, ["modules"]);
        assert_eq!(c.errors, ["mkfs.xfs: bad"]);
        assert_eq!(c.workload_exit, Some(1));
        assert_eq!(c.model_stress, ["pmem /mnt/daxlab-pmem-1.img (MAP_SYNC, clwb + sfence)"]);
        assert_eq!(c.problems.len(), 2);
        assert!(c.problems[0].warning && c.problems[0].line == 4);
        assert!(!c.problems[1].warning && c.problems[1].text.starts_with("kernel BUG at mm/huge_memory.c"));
    }

    #[test]
    fn captures_split_by_iteration_even_when_cut_off() {
        let raw = "=== TRACE BEGIN iteration 1 ===\r\n# tracer: nop\r\nline a\r\n=== TRACE END ===\r\n\
                   === TRACE BEGIN iteration 2 ===\nline b\n";
        let caps = split_captures(raw);
        assert_eq!(caps.len(), 2);
        assert_eq!(caps[0].trace, "# tracer: nop\nline a\n");
        assert_eq!((caps[1].iteration, caps[1].trace.as_str()), (2, "line b\n"));
        assert!(caps[0].result.is_none());
    }
}
