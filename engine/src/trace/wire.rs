//! How a trace's events are stored: source file paths go into a table once and events
//! refer to them by index, which keeps both forms compact and diffable.

use super::{Event, EventKind, SrcLoc};
use crate::sim::Tid;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::HashMap;

#[derive(Serialize, Deserialize)]
struct WireEvent {
    step: u32,
    tid: Tid,
    kind: EventKind,
    file: u32,
    line: u32,
}

#[derive(Serialize, Deserialize)]
struct WireEvents {
    files: Vec<String>,
    events: Vec<WireEvent>,
}

pub fn serialize<S: Serializer>(events: &[Event], s: S) -> Result<S::Ok, S::Error> {
    let mut files: Vec<String> = Vec::new();
    let mut index: HashMap<&str, u32> = HashMap::new();
    let wire = events
        .iter()
        .map(|e| {
            let file = *index.entry(&e.at.file).or_insert_with(|| {
                files.push(e.at.file.to_string());
                (files.len() - 1) as u32
            });
            WireEvent { step: e.step, tid: e.tid, kind: e.kind.clone(), file, line: e.at.line }
        })
        .collect();
    WireEvents { files, events: wire }.serialize(s)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Event>, D::Error> {
    let w = WireEvents::deserialize(d)?;
    w.events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let file = w.files.get(e.file as usize).ok_or_else(|| {
                D::Error::custom(format!("event {i} names source file {} but the table has {}", e.file, w.files.len()))
            })?;
            Ok(Event {
                step: e.step,
                tid: e.tid,
                kind: e.kind,
                at: SrcLoc { file: Cow::Owned(file.clone()), line: e.line },
            })
        })
        .collect()
}
