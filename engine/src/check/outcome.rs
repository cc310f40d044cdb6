//! What the checks collect while an execution runs, and the outcome class every execution
//! ends in.

use super::Invariant;
use super::Note;
use crate::kernel::WaitOn;
use crate::sim::Tid;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What the checks collect while an execution runs.
#[derive(Debug, Default, Clone)]
pub struct Observations {
    pub violation: Option<Invariant>,
    pub notes: BTreeSet<Note>,
    /// File offset → the last value a thread stored there (through a shared mapping, or
    /// with write(2)).
    pub expected: BTreeMap<u64, Stored>,
    /// Numbers the stores, so that a check can tell a value stored again from the same one.
    pub stores: u64,
    /// The first store an fsync returned without making durable.
    pub not_durable: Option<Outcome>,
    /// Page faults taken by user accesses (handle_mm_fault calls), for throughput figures.
    pub faults: u64,
    /// The WARNs the run went on past (`on_warn = "continue"`), each once.
    pub warns: Vec<Invariant>,
}

/// One completed 8-byte store the file must now hold.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub value: u64,
    pub by: Tid,
    pub seq: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Ok,
    Bug {
        invariant: Invariant,
    },
    /// No thread could run, some had not finished: who waits on what.
    Hang {
        waiting: Vec<(Tid, WaitOn)>,
    },
    /// A thread's access kept faulting without progress, or the run hit the step limit.
    Livelock {
        tid: Option<Tid>,
    },
    Sigbus {
        tid: Tid,
        addr: u64,
    },
    Oom {
        tid: Tid,
        addr: u64,
    },
    /// A store a thread completed is not what the file (or a mapping of it) holds.
    DataLoss {
        offset: u64,
        expected: u64,
        found: u64,
        by: Tid,
        via: String,
    },
    /// The kernel WARNed and carried on (`on_warn = "continue"`): every WARN seen, then how
    /// the run ended (never itself `Warned`).
    Warned {
        warns: Vec<Invariant>,
        #[serde(deserialize_with = "one_level")]
        then: Box<Outcome>,
    },
}

thread_local! {
    /// How many `Warned` outcomes are being decoded inside one another on this thread.
    static NESTING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Decodes a `Warned` outcome's ending, refusing another `Warned` inside it: a crafted
/// file nesting them deeply would otherwise recurse until the stack overflows.
fn one_level<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Box<Outcome>, D::Error> {
    struct Level;
    impl Drop for Level {
        fn drop(&mut self) {
            NESTING.with(|n| n.set(n.get() - 1));
        }
    }
    if NESTING.with(|n| n.replace(n.get() + 1)) > 0 {
        NESTING.with(|n| n.set(n.get() - 1));
        return Err(serde::de::Error::custom("a warned outcome's ending is itself a warned outcome"));
    }
    let _level = Level;
    Box::<Outcome>::deserialize(d)
}

impl Outcome {
    pub fn is_failure(&self) -> bool {
        !matches!(self, Outcome::Ok)
    }

    /// `then`, after the WARNs `warns` (if any): a WARN recorded twice, or two WARNs seen
    /// in another order, give the same outcome, as they do the same class.
    pub fn warned(mut warns: Vec<Invariant>, then: Outcome) -> Outcome {
        if warns.is_empty() {
            return then;
        }
        warns.sort_by_cached_key(|w| (w.name(), w.to_string()));
        warns.dedup();
        Outcome::Warned { warns, then: Box::new(then) }
    }

    /// The class name outcomes are grouped by.
    pub fn class(&self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Bug { invariant } => format!("bug({})", invariant.name()),
            Outcome::Hang { waiting } => {
                let kinds: BTreeSet<&str> = waiting
                    .iter()
                    .map(|(_, w)| match w {
                        WaitOn::Spin { .. } => "spin",
                        WaitOn::Rwsem { .. } => "rwsem",
                        WaitOn::Entry { .. } => "entry-lock",
                        WaitOn::Page { .. } => "page-lock",
                    })
                    .collect();
                format!("hang({})", kinds.into_iter().collect::<Vec<_>>().join(","))
            }
            Outcome::Livelock { .. } => "livelock".into(),
            Outcome::Sigbus { .. } => "sigbus".into(),
            Outcome::Oom { .. } => "oom".into(),
            Outcome::DataLoss { .. } => "data-loss".into(),
            Outcome::Warned { warns, then } => {
                let mut names: Vec<&str> = warns.iter().map(Invariant::name).collect();
                names.dedup();
                format!("warn({}) then {}", names.join(","), then.class())
            }
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok => f.write_str("ok"),
            Outcome::Bug { invariant } => write!(f, "bug: {invariant}"),
            Outcome::Hang { waiting } => {
                f.write_str("hang: ")?;
                for (i, (t, w)) in waiting.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "thread {} {w}", t.0)?;
                }
                Ok(())
            }
            Outcome::Livelock { tid: Some(t) } => {
                write!(f, "livelock: thread {} keeps faulting", t.0)
            }
            Outcome::Livelock { tid: None } => f.write_str("livelock: the step limit was reached"),
            Outcome::Sigbus { tid, addr } => write!(f, "SIGBUS to thread {} at {addr:#x}", tid.0),
            Outcome::Oom { tid, addr } => {
                write!(f, "VM_FAULT_OOM for thread {} at {addr:#x}", tid.0)
            }
            Outcome::DataLoss { offset, expected, found, by, via } => write!(
                f,
                "data lost at file offset {offset:#x}: thread {} stored {expected:#x}, {via} shows {found:#x}",
                by.0
            ),
            Outcome::Warned { warns, then } => {
                for w in warns {
                    write!(f, "{w}; ")?;
                }
                write!(f, "then {then}")
            }
        }
    }
}
