//! The line grammar shared by /sys/kernel/tracing/trace and `trace-cmd report`:
//! `TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS`, where FLAGS (the latency columns) may
//! be any width or absent, and TASK may contain spaces, dashes and slashes.

/// One event line, split but not yet interpreted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLine<'a> {
    pub task: &'a str,
    pub pid: i64,
    pub cpu: u32,
    pub flags: Option<&'a str>,
    /// Nanoseconds (the printed timestamp, in seconds with up to nine decimals).
    pub ts_ns: u64,
    pub event: &'a str,
    pub body: &'a str,
}

/// Why a line that looks like an event line could not be split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// Not an event line at all (a header, a blank line, console noise).
    NotAnEvent,
    /// It has the shape of one but a field is wrong.
    Malformed(String),
}

/// Seconds with a decimal fraction ("3.016041") to nanoseconds.
pub fn parse_timestamp(s: &str) -> Option<u64> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 9 {
        return None;
    }
    let secs: u64 = secs.parse().ok()?;
    let mut ns: u64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
    for _ in frac.len()..9 {
        ns *= 10;
    }
    secs.checked_mul(1_000_000_000)?.checked_add(ns)
}

/// Finds " [NNN] " (the CPU column): its byte range and the CPU number.
fn find_cpu(line: &str) -> Option<(usize, usize, u32)> {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(rel) = line[from..].find('[') {
        let open = from + rel;
        if let Some(close_rel) = line[open..].find(']') {
            let close = open + close_rel;
            let inside = &line[open + 1..close];
            let before_ok = open > 0 && bytes[open - 1] == b' ';
            let after_ok = close + 1 >= line.len() || bytes[close + 1] == b' ';
            if before_ok && after_ok && !inside.is_empty() && inside.bytes().all(|b| b.is_ascii_digit()) {
                return Some((open, close + 1, inside.parse().ok()?));
            }
        }
        from = open + 1;
    }
    None
}

/// Splits an event line. Lines starting with '#' and lines without a CPU column are not
/// event lines.
pub fn split_line(line: &str) -> Result<RawLine<'_>, SplitError> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Err(SplitError::NotAnEvent);
    }
    let Some((open, close, cpu)) = find_cpu(line) else {
        return Err(SplitError::NotAnEvent);
    };
    let who = line[..open].trim();
    let (task, pid) = match who.rsplit_once('-') {
        Some((t, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            (t, p.parse::<i64>().map_err(|_| SplitError::Malformed(format!("pid `{p}` is too large")))?)
        }
        _ => return Err(SplitError::Malformed(format!("`{who}` is not TASK-PID"))),
    };
    let rest = line[close..].trim_start();
    // FLAGS is one run of non-blank characters before the timestamp; the timestamp ends
    // with ':'.
    let mut words = rest.splitn(2, ' ');
    let first = words.next().unwrap_or("");
    let (flags, after_flags) = if first.ends_with(':') && parse_timestamp(&first[..first.len() - 1]).is_some() {
        (None, rest)
    } else {
        (Some(first), words.next().unwrap_or("").trim_start())
    };
    let Some((ts, after_ts)) = after_flags.split_once(": ") else {
        return Err(SplitError::Malformed("no `TIMESTAMP: ` after the CPU column".into()));
    };
    let ts_ns =
        parse_timestamp(ts.trim()).ok_or_else(|| SplitError::Malformed(format!("`{ts}` is not a timestamp")))?;
    let (event, body) = match after_ts.split_once(':') {
        Some((e, b)) if !e.is_empty() && !e.contains(' ') => (e, b.strip_prefix(' ').unwrap_or(b)),
        _ => return Err(SplitError::Malformed("no `EVENT:` after the timestamp".into())),
    };
    Ok(RawLine { task, pid, cpu, flags, ts_ns, event, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_flag_columns_of_a_6_1_kernel() {
        let l = "     kworker/0:2-54      [000] d..2.     3.010959: sched_switch: prev_comm=kworker/0:2 prev_pid=54";
        let r = split_line(l).unwrap();
        assert_eq!((r.task, r.pid, r.cpu, r.flags), ("kworker/0:2", 54, 0, Some("d..2.")));
        assert_eq!(r.ts_ns, 3_010_959_000);
        assert_eq!(r.event, "sched_switch");
        assert_eq!(r.body, "prev_comm=kworker/0:2 prev_pid=54");
    }

    #[test]
    fn four_flag_columns_of_the_patch_emails_and_tasks_with_dashes() {
        let l = "read_big-1478  [004] ....   238.242390: dax_pmd_load_hole: dev 259:0 ino 0x1003";
        let r = split_line(l).unwrap();
        assert_eq!((r.task, r.pid, r.cpu, r.flags), ("read_big", 1478, 4, Some("....")));
        let l = "    jbd2/pmem0-8-119     [001] d..2.     3.069392: sched_switch: x";
        assert_eq!(split_line(l).unwrap().task, "jbd2/pmem0-8");
        let l = "          <idle>-0       [001] dNh4.     5.412018: sched_wakeup: comm=daxlab pid=115";
        assert_eq!(split_line(l).unwrap().task, "<idle>");
    }

    #[test]
    fn trace_cmd_report_has_no_flag_column() {
        let l = "           T1-117   [001]     5.461744: tracing_mark_write: daxlab op T1 0 store";
        let r = split_line(l).unwrap();
        assert_eq!((r.task, r.flags, r.event), ("T1", None, "tracing_mark_write"));
        assert_eq!(r.body, "daxlab op T1 0 store");
        let ns = split_line("a-1 [000] 12.000000001: e: x").unwrap();
        assert_eq!(ns.ts_ns, 12_000_000_001);
    }

    #[test]
    fn headers_and_noise_are_not_events_and_broken_lines_say_why() {
        assert_eq!(split_line("# tracer: nop"), Err(SplitError::NotAnEvent));
        assert_eq!(split_line(""), Err(SplitError::NotAnEvent));
        assert_eq!(split_line("CPU:0 [LOST 12 EVENTS]"), Err(SplitError::NotAnEvent));
        assert!(matches!(split_line("T1-117 [001] ..... 5.4x: e: y"), Err(SplitError::Malformed(_))));
        assert!(matches!(split_line("T1 [001] ..... 5.4: e: y"), Err(SplitError::Malformed(_))));
        assert!(matches!(split_line("T1-1 [001] ..... 5.4"), Err(SplitError::Malformed(_))));
        assert!(matches!(split_line("T1-99999999999999999999 [001] . 5.4: e: y"), Err(SplitError::Malformed(_))));
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("3.016041"), Some(3_016_041_000));
        assert_eq!(parse_timestamp("7"), Some(7_000_000_000));
        assert_eq!(parse_timestamp("1.2.3"), None);
        assert_eq!(parse_timestamp("99999999999999999999.1"), None);
        assert_eq!(parse_timestamp(""), None);
    }
}
