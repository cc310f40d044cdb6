//! What the tool shows about a trace file comes from replaying it. [`verify`] re-runs the
//! embedded scenario under the recorded schedule and hands back the trace *as replayed*
//! (events, outcome, notes, counts all from the engine), together with the first place
//! where the file says something else. Explain, export, figures, challenges and the
//! workbench draw the replayed trace and put [`Verified::banner`] first when there is one;
//! exit codes follow the replay, never a field written in the file.

use super::{Divergence, Event, Trace, describe, replay_trace};
use crate::scenario::Scenario;

/// Where a trace file and its replay first disagree.
#[derive(Clone, Debug)]
pub enum Mismatch {
    /// The events part at this point.
    Events(Divergence),
    /// The events agree but a summary the file states does not (an edited outcome, notes,
    /// step or preemption count, thread switches).
    Summary { field: &'static str, recorded: String, replayed: String },
    /// The events agree but the schedule does not fit the run (decisions left over, or of
    /// the wrong kind).
    Schedule(String),
}

/// A trace as the tool shows it: replayed, and whether the file agrees.
#[derive(Clone, Debug)]
pub struct Verified {
    /// The replayed trace: the file's variant, mode and annotations (bookmarks beyond the
    /// replay's end dropped), everything else from the replay.
    pub trace: Trace,
    pub mismatch: Option<Mismatch>,
}

impl Verified {
    /// True when the file says exactly what the replay does.
    pub fn matches(&self) -> bool {
        self.mismatch.is_none()
    }

    /// The sentence every face shows first for a trace that does not replay, e.g. "this
    /// trace does not replay: it diverges at step 12 (recorded …, replayed …)".
    pub fn banner(&self, names: &[String]) -> Option<String> {
        let m = self.mismatch.as_ref()?;
        let why = match m {
            Mismatch::Events(d) => {
                let step = d.recorded.as_ref().or(d.replayed.as_ref()).map_or(0, |e| e.step);
                let say = |e: &Option<Event>, end: &str| match e {
                    Some(e) => format!("{} {}", who(e, names), describe(&e.kind, names)),
                    None => end.to_string(),
                };
                format!(
                    "it diverges at step {step} (recorded: {}; replayed: {})",
                    say(&d.recorded, "the recording ends"),
                    say(&d.replayed, "the replay ends")
                )
            }
            Mismatch::Summary { field, recorded, replayed } => {
                format!("the file says {field} {recorded}, the replay gives {replayed}")
            }
            Mismatch::Schedule(note) => format!("its schedule does not fit the run ({note})"),
        };
        Some(format!("this trace does not replay: {why}"))
    }
}

fn who(e: &Event, names: &[String]) -> String {
    names.get(e.tid.index()).cloned().unwrap_or_else(|| format!("thread {}", e.tid.0))
}

/// Replays `file` (whose embedded scenario is `sc`) on its own kernel and compares.
pub fn verify(file: &Trace, sc: &Scenario) -> Verified {
    let r = replay_trace(file, sc, file.kernel, None);
    let mut trace = Trace::from_execution(sc, file.kernel, file.mode.clone(), &r.execution);
    trace.annotations = file.annotations.clone();
    trace.annotations.initial_step = trace.annotations.initial_step.min(trace.steps);
    trace.annotations.bookmarks.retain(|b| b.step <= trace.steps);
    let mismatch = match (r.divergence, r.schedule_note) {
        (Some(d), _) => Some(Mismatch::Events(d)),
        (None, Some(note)) => Some(Mismatch::Schedule(note)),
        (None, None) => summary_mismatch(file, &trace),
    };
    Verified { trace, mismatch }
}

/// The first summary field the file states differently from the replay.
fn summary_mismatch(file: &Trace, replayed: &Trace) -> Option<Mismatch> {
    let field = |field: &'static str, recorded: String, replayed: String| {
        (recorded != replayed).then_some(Mismatch::Summary { field, recorded, replayed })
    };
    let notes = |t: &Trace| format!("{:?}", t.notes.iter().map(|n| n.to_string()).collect::<Vec<_>>());
    // The class says it shortly; the whole outcome when only its details were edited.
    let (a, b) = (&file.outcome, &replayed.outcome);
    let outcome = if a.class() != b.class() { (a.class(), b.class()) } else { (a.to_string(), b.to_string()) };
    field("outcome", outcome.0, outcome.1)
        .or_else(|| field("notes", notes(file), notes(replayed)))
        .or_else(|| field("steps", file.steps.to_string(), replayed.steps.to_string()))
        .or_else(|| field("preemptions", file.preemptions.to_string(), replayed.preemptions.to_string()))
        .or_else(|| first_different("thread switch", &file.switches, &replayed.switches))
        .or_else(|| first_different("run of steps", &file.runs, &replayed.runs))
}

/// The first element of two lists that differs, shown as "#i …" (or "none").
fn first_different<T: PartialEq + std::fmt::Debug>(field: &'static str, a: &[T], b: &[T]) -> Option<Mismatch> {
    let i = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))?;
    let show = |x: Option<&T>| x.map_or("none".to_string(), |x| format!("{x:?}"));
    Some(Mismatch::Summary {
        field,
        recorded: format!("#{i} {}", show(a.get(i))),
        replayed: format!("#{i} {}", show(b.get(i))),
    })
}
