//! The events an importer understands, typed, and how each one's fields are read from the
//! text the kernel printed (include/trace/events/fs_dax.h's TP_printk formats, the sched
//! events, trace_marker and k/uprobes).

use super::decode::{FAULT_FLAGS, Flags, RESULT_FLAGS};
use serde::{Deserialize, Serialize};

/// Which fault-class tracepoint printed a fault line.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultPoint {
    PmdFault,
    PmdFaultDone,
    PteFault,
    PteFaultDone,
    LoadHole,
    /// `dax_insert_pfn_mkwrite` (MAP_SYNC era) and its v4.12 name `dax_pfn_mkwrite`.
    PfnMkwrite,
    PfnMkwriteNoEntry,
}

impl FaultPoint {
    pub fn from_event(name: &str) -> Option<FaultPoint> {
        Some(match name {
            "dax_pmd_fault" => FaultPoint::PmdFault,
            "dax_pmd_fault_done" => FaultPoint::PmdFaultDone,
            "dax_pte_fault" => FaultPoint::PteFault,
            "dax_pte_fault_done" => FaultPoint::PteFaultDone,
            "dax_load_hole" => FaultPoint::LoadHole,
            "dax_insert_pfn_mkwrite" | "dax_pfn_mkwrite" => FaultPoint::PfnMkwrite,
            "dax_insert_pfn_mkwrite_no_entry" | "dax_pfn_mkwrite_no_entry" => FaultPoint::PfnMkwriteNoEntry,
            _ => return None,
        })
    }

    pub fn is_pmd(self) -> bool {
        matches!(self, FaultPoint::PmdFault | FaultPoint::PmdFaultDone)
    }
}

/// The inode an fs_dax event is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inode {
    pub dev: (u32, u32),
    pub ino: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub point: FaultPoint,
    pub inode: Inode,
    pub shared: bool,
    pub flags: Flags,
    pub address: u64,
    pub pgoff: u64,
    /// vm_start, vm_end and max_pgoff (the PMD events print them).
    pub vma: Option<(u64, u64, u64)>,
    /// VM_FAULT_* bits: none on a fault's entry event.
    pub result: Option<Flags>,
}

/// One event, typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Fault(Fault),
    PmdLoadHole {
        fallback: bool,
        inode: Inode,
        shared: bool,
        address: u64,
        zero_page: String,
        entry: u64,
    },
    PmdInsertMapping {
        fallback: bool,
        inode: Inode,
        shared: bool,
        write: bool,
        address: u64,
        length: u64,
        pfn: u64,
        /// v4.11 printed PFN flags (e.g. DEV|MAP) before the entry.
        pfn_flags: Option<String>,
        entry: u64,
    },
    InsertMapping {
        inode: Inode,
        shared: bool,
        write: bool,
        address: u64,
        entry: u64,
    },
    WritebackRange {
        done: bool,
        inode: Inode,
        start: u64,
        end: u64,
    },
    WritebackOne {
        inode: Inode,
        pgoff: u64,
        pglen: u64,
    },
    SchedSwitch {
        prev_comm: String,
        prev_pid: i64,
        prev_state: String,
        next_comm: String,
        next_pid: i64,
    },
    SchedWakeup {
        comm: String,
        pid: i64,
        target_cpu: Option<u32>,
    },
    Marker {
        text: String,
    },
    /// A kprobe or uprobe: its event name, where it fired ("func+0x0/0x1f0", or for a
    /// return probe the caller), the probed function of a return probe, and its arguments.
    Probe {
        name: String,
        location: String,
        returned_from: Option<String>,
        args: Vec<(String, String)>,
    },
}

/// What an event line was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Interpreted {
    Event(Event),
    /// An event this importer does not model (filesystem events, others): kept as context.
    Context,
    /// A known event whose fields did not parse.
    Malformed(String),
}

/// Reads the whitespace-separated fields of a TP_printk line in order.
struct Fields<'a> {
    words: Vec<&'a str>,
    at: usize,
}

type R<T> = Result<T, String>;

impl<'a> Fields<'a> {
    fn new(body: &'a str) -> Fields<'a> {
        Fields { words: body.split_whitespace().collect(), at: 0 }
    }

    fn next(&mut self, what: &str) -> R<&'a str> {
        let w = self.words.get(self.at).copied().ok_or_else(|| format!("ends before {what}"))?;
        self.at += 1;
        Ok(w)
    }

    fn key(&mut self, key: &str) -> R<()> {
        let w = self.next(key)?;
        if w == key { Ok(()) } else { Err(format!("expected `{key}`, found `{w}`")) }
    }

    fn number(&mut self, what: &str) -> R<u64> {
        let w = self.next(what)?;
        number(w).ok_or_else(|| format!("{what} `{w}` is not a number"))
    }

    fn keyed(&mut self, key: &str) -> R<u64> {
        self.key(key)?;
        self.number(key)
    }

    /// The words before `key` (not consumed), joined by '|'.
    fn until(&mut self, key: &str) -> R<String> {
        let start = self.at;
        while self.words.get(self.at).is_some_and(|w| *w != key) {
            self.at += 1;
        }
        if self.at >= self.words.len() {
            return Err(format!("no `{key}`"));
        }
        Ok(self.words[start..self.at].join("|"))
    }

    fn rest(&mut self) -> String {
        let r = self.words[self.at.min(self.words.len())..].join("|");
        self.at = self.words.len();
        r
    }

    fn inode(&mut self) -> R<Inode> {
        self.key("dev")?;
        let d = self.next("the device")?;
        let (ma, mi) = d.split_once(':').ok_or_else(|| format!("device `{d}` is not MAJOR:MINOR"))?;
        let dev = (
            ma.parse().map_err(|_| format!("bad major `{ma}`"))?,
            mi.parse().map_err(|_| format!("bad minor `{mi}`"))?,
        );
        Ok(Inode { dev, ino: self.keyed("ino")? })
    }

    fn shared(&mut self) -> R<bool> {
        match self.next("shared/private")? {
            "shared" => Ok(true),
            "private" => Ok(false),
            w => Err(format!("expected `shared` or `private`, found `{w}`")),
        }
    }

    fn write(&mut self) -> R<bool> {
        match self.next("write/read")? {
            "write" => Ok(true),
            "read" => Ok(false),
            w => Err(format!("expected `write` or `read`, found `{w}`")),
        }
    }
}

/// `0x1f`, `1f` after a `0x`-less %p, or decimal.
pub fn number(w: &str) -> Option<u64> {
    match w.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => w.parse().ok(),
    }
}

fn fault(point: FaultPoint, body: &str) -> R<Event> {
    let mut f = Fields::new(body);
    let inode = f.inode()?;
    let shared = f.shared()?;
    let flags = Flags::parse(&f.until("address")?, FAULT_FLAGS);
    let address = f.keyed("address")?;
    let vma = if point.is_pmd() {
        let s = f.keyed("vm_start")?;
        let e = f.keyed("vm_end")?;
        let pgoff = f.keyed("pgoff")?;
        Some((s, e, pgoff, f.keyed("max_pgoff")?))
    } else {
        None
    };
    let pgoff = match vma {
        Some((_, _, p, _)) => p,
        None => f.keyed("pgoff")?,
    };
    let rest = f.rest();
    let result = (!rest.is_empty() || !matches!(point, FaultPoint::PmdFault | FaultPoint::PteFault))
        .then(|| Flags::parse(&rest, RESULT_FLAGS));
    Ok(Event::Fault(Fault {
        point,
        inode,
        shared,
        flags,
        address,
        pgoff,
        vma: vma.map(|(s, e, _, m)| (s, e, m)),
        result,
    }))
}

fn fs_dax(event: &str, body: &str) -> Option<R<Event>> {
    if let Some(point) = FaultPoint::from_event(event) {
        return Some(fault(point, body));
    }
    let mut f = Fields::new(body);
    let parsed = match event {
        "dax_pmd_load_hole" | "dax_pmd_load_hole_fallback" => (|| {
            let inode = f.inode()?;
            let shared = f.shared()?;
            let address = f.keyed("address")?;
            let key = f.next("zero_page")?;
            if key != "zero_page" && key != "zero_folio" {
                return Err(format!("expected `zero_page` or `zero_folio`, found `{key}`"));
            }
            let zero_page = f.next("the zero page")?.to_string();
            let entry = f.keyed("radix_entry")?;
            Ok(Event::PmdLoadHole { fallback: event.ends_with("_fallback"), inode, shared, address, zero_page, entry })
        })(),
        "dax_pmd_insert_mapping" | "dax_pmd_insert_mapping_fallback" => (|| {
            let inode = f.inode()?;
            let shared = f.shared()?;
            let write = f.write()?;
            let address = f.keyed("address")?;
            let length = f.keyed("length")?;
            let pfn = f.keyed("pfn")?;
            let extra = f.until("radix_entry")?;
            let entry = f.keyed("radix_entry")?;
            let fallback = event.ends_with("_fallback");
            let pfn_flags = (!extra.is_empty()).then_some(extra);
            Ok(Event::PmdInsertMapping { fallback, inode, shared, write, address, length, pfn, pfn_flags, entry })
        })(),
        "dax_insert_mapping" => (|| {
            let inode = f.inode()?;
            let shared = f.shared()?;
            let write = f.write()?;
            let address = f.keyed("address")?;
            Ok(Event::InsertMapping { inode, shared, write, address, entry: f.keyed("radix_entry")? })
        })(),
        "dax_writeback_range" | "dax_writeback_range_done" => (|| {
            let inode = f.inode()?;
            f.key("pgoff")?;
            let range = f.next("the range")?;
            let (s, e) = range.split_once('-').ok_or_else(|| format!("range `{range}` is not START-END"))?;
            let start = number(s).ok_or_else(|| format!("range start `{s}` is not a number"))?;
            let end = number(e).ok_or_else(|| format!("range end `{e}` is not a number"))?;
            Ok(Event::WritebackRange { done: event.ends_with("_done"), inode, start, end })
        })(),
        "dax_writeback_one" => (|| {
            let inode = f.inode()?;
            let pgoff = f.keyed("pgoff")?;
            Ok(Event::WritebackOne { inode, pgoff, pglen: f.keyed("pglen")? })
        })(),
        _ => return None,
    };
    Some(parsed)
}

/// `key=value` fields where values may hold spaces: each value runs to the next known key.
/// The keys must come in the tracepoint's own order (`keys`): a line whose keys are shuffled
/// is no line the kernel printed, and reading it anyway would give records that print back
/// as something else.
fn keyed_values<'a>(body: &'a str, keys: &[&str]) -> R<Vec<(String, &'a str)>> {
    let at: Vec<(usize, &str)> = keys
        .iter()
        .filter_map(|k| {
            let pat = format!("{k}=");
            let pos = body.match_indices(&pat).find(|(i, _)| *i == 0 || body.as_bytes()[i - 1] == b' ')?.0;
            Some((pos, *k))
        })
        .collect();
    if let Some(w) = at.windows(2).find(|w| w[0].0 > w[1].0) {
        return Err(format!("`{}=` comes before `{}=`", w[1].1, w[0].1));
    }
    Ok(at
        .iter()
        .enumerate()
        .map(|(n, (pos, k))| {
            let start = pos + k.len() + 1;
            let end = at.get(n + 1).map_or(body.len(), |(p, _)| *p);
            (k.to_string(), body[start..end].trim())
        })
        .collect())
}

fn get<'a>(kv: &[(String, &'a str)], key: &str) -> R<&'a str> {
    kv.iter().find(|(k, _)| k == key).map(|(_, v)| *v).ok_or_else(|| format!("no `{key}=`"))
}

fn pid(s: &str) -> R<i64> {
    s.parse().map_err(|_| format!("pid `{s}` is not a number"))
}

/// A task's name as the sched tracepoints copy it: at most TASK_COMM_LEN - 1 = 15 bytes,
/// and without `key=` after a space, which would make the printed line read differently.
fn comm(s: &str) -> R<String> {
    if s.len() > 15 {
        return Err(format!("task name `{s}` is longer than the kernel's 15 bytes"));
    }
    if s.split(' ').skip(1).any(|w| w.contains('=')) {
        return Err(format!("task name `{s}` holds a `key=` field"));
    }
    Ok(s.to_string())
}

/// trace-cmd's short forms: "comm:pid [prio]" (comm may itself hold ':').
fn comm_pid(s: &str) -> R<(String, i64)> {
    let s = s.split(" [").next().unwrap_or(s).trim();
    let (c, p) = s.rsplit_once(':').ok_or_else(|| format!("`{s}` is not COMM:PID"))?;
    Ok((comm(c)?, pid(p)?))
}

fn sched(event: &str, body: &str) -> Option<R<Event>> {
    let parsed = match event {
        "sched_switch" if body.contains("prev_comm=") => (|| {
            let kv = keyed_values(
                body,
                &["prev_comm", "prev_pid", "prev_prio", "prev_state", "next_comm", "next_pid", "next_prio"],
            )?;
            let state = get(&kv, "prev_state")?;
            Ok(Event::SchedSwitch {
                prev_comm: comm(get(&kv, "prev_comm")?)?,
                prev_pid: pid(get(&kv, "prev_pid")?)?,
                prev_state: state.split(" ==>").next().unwrap_or(state).trim().to_string(),
                next_comm: comm(get(&kv, "next_comm")?)?,
                next_pid: pid(get(&kv, "next_pid")?)?,
            })
        })(),
        "sched_switch" => (|| {
            // trace-cmd: "prev:pid [prio] STATE ==> next:pid [prio]"
            let (prev, next) = body.split_once(" ==> ").ok_or("no ` ==> `")?;
            let (prev_comm, prev_pid) = comm_pid(prev)?;
            let prev_state = prev.rsplit(' ').next().unwrap_or("").to_string();
            let (next_comm, next_pid) = comm_pid(next)?;
            Ok(Event::SchedSwitch { prev_comm, prev_pid, prev_state, next_comm, next_pid })
        })(),
        "sched_wakeup" | "sched_wakeup_new" if body.contains("comm=") => (|| {
            let kv = keyed_values(body, &["comm", "pid", "prio", "success", "target_cpu"])?;
            let target_cpu = get(&kv, "target_cpu").ok().and_then(|c| c.parse().ok());
            Ok(Event::SchedWakeup { comm: comm(get(&kv, "comm")?)?, pid: pid(get(&kv, "pid")?)?, target_cpu })
        })(),
        "sched_wakeup" | "sched_wakeup_new" => (|| {
            // trace-cmd: "comm:pid [prio] CPU:001" (older: "success=1 CPU:000")
            let (comm, pid) = comm_pid(body)?;
            let target_cpu = body.split("CPU:").nth(1).and_then(|c| c.trim().parse().ok());
            Ok(Event::SchedWakeup { comm, pid, target_cpu })
        })(),
        _ => return None,
    };
    Some(parsed)
}

/// A probe's body: "(func+0x0/0x1f0) a=1 b=2" or "(caller+0x148/0x430 <- func) ret=0x15".
fn probe(event: &str, body: &str) -> Option<R<Event>> {
    let inner = body.strip_prefix('(')?;
    let close = inner.find(')')?;
    let loc = &inner[..close];
    let (location, returned_from) = match loc.split_once(" <- ") {
        Some((l, f)) => (l.to_string(), Some(f.to_string())),
        None => (loc.to_string(), None),
    };
    let args = inner[close + 1..]
        .split_whitespace()
        .map(|a| a.split_once('=').map_or((a.to_string(), String::new()), |(k, v)| (k.to_string(), v.to_string())))
        .collect();
    Some(Ok(Event::Probe { name: event.to_string(), location, returned_from, args }))
}

/// Interprets one split line.
pub fn interpret(event: &str, body: &str) -> Interpreted {
    if event == "tracing_mark_write" {
        return Interpreted::Event(Event::Marker { text: body.trim_end().to_string() });
    }
    if event == "print" {
        // trace-cmd report prints markers as "print: (tracing_mark_write) TEXT" or
        // "print: tracing_mark_write: TEXT".
        let text = body.trim_start();
        let text = text
            .strip_prefix("(tracing_mark_write)")
            .or_else(|| text.strip_prefix("tracing_mark_write:"))
            .unwrap_or(text);
        return Interpreted::Event(Event::Marker { text: text.trim().to_string() });
    }
    let parsed = fs_dax(event, body).or_else(|| sched(event, body)).or_else(|| probe(event, body));
    match parsed {
        Some(Ok(e)) => Interpreted::Event(e),
        Some(Err(m)) => Interpreted::Malformed(format!("{event}: {m}")),
        None => Interpreted::Context,
    }
}
