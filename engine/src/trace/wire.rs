//! How a trace's events are stored.
//!
//! Source locations go into tables once and events refer to them by index in both forms.
//! The JSON form (and binary formats 1 to 3) keeps one row per event, which is what a
//! person editing a trace wants. Binary format 4 packs each row for the compressor that
//! follows (see `compress.rs`): the step as the difference from the previous event's (0 or
//! 1 almost always) and the source location as one index into a table of distinct
//! (file, line) pairs.

use super::{Event, EventKind, Site, SrcLoc};
use crate::sim::Tid;
use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Chooses rows for the JSON form and columns for the binary one.
pub fn serialize<S: Serializer>(events: &[Event], s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() { rows::serialize(events, s) } else { Packed(events).serialize(s) }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Event>, D::Error> {
    if d.is_human_readable() { rows::deserialize(d) } else { deserialize_packed(d) }
}

/// Gives each distinct source location (and file) an index, in order of first use.
#[derive(Default)]
struct SiteTable<'a> {
    files: Vec<String>,
    file_index: HashMap<&'a str, u32>,
    sites: Vec<PackedSite>,
    site_index: HashMap<(u32, u32), u32>,
}

impl<'a> SiteTable<'a> {
    fn file(&mut self, name: &'a str) -> u32 {
        *self.file_index.entry(name).or_insert_with(|| {
            self.files.push(name.to_string());
            (self.files.len() - 1) as u32
        })
    }

    fn site(&mut self, at: &'a SrcLoc) -> u32 {
        let key = (self.file(at.file()), at.line());
        *self.site_index.entry(key).or_insert_with(|| {
            self.sites.push(PackedSite { file: key.0, line: key.1 });
            (self.sites.len() - 1) as u32
        })
    }
}

/// Reads one shared location per distinct (file, line) of a file, however many events
/// name it.
struct SiteReader<'a> {
    files: &'a [String],
    shared: HashMap<(u32, u32), SrcLoc>,
}

impl<'a> SiteReader<'a> {
    fn new(files: &'a [String]) -> Self {
        SiteReader { files, shared: HashMap::new() }
    }

    fn at(&mut self, file: u32, line: u32) -> Result<SrcLoc, String> {
        if let Some(at) = self.shared.get(&(file, line)) {
            return Ok(at.clone());
        }
        let name = self
            .files
            .get(file as usize)
            .ok_or_else(|| format!("names source file {file} but the table has {}", self.files.len()))?;
        let at = SrcLoc::Read(Arc::new(Site { file: name.clone(), line }));
        self.shared.insert((file, line), at.clone());
        Ok(at)
    }
}

/// One event per row, as in the JSON form and binary formats 1 to 3.
pub mod rows {
    use super::*;

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
        let mut table = SiteTable::default();
        let wire = events
            .iter()
            .map(|e| {
                let file = table.file(e.at.file());
                WireEvent { step: e.step, tid: e.tid, kind: e.kind.clone(), file, line: e.at.line() }
            })
            .collect();
        WireEvents { files: table.files, events: wire }.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Event>, D::Error> {
        let w = WireEvents::deserialize(d)?;
        let mut sites = SiteReader::new(&w.files);
        w.events
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let at = sites.at(e.file, e.line).map_err(|m| D::Error::custom(format!("event {i} {m}")))?;
                Ok(Event { step: e.step, tid: e.tid, kind: e.kind, at })
            })
            .collect()
    }
}

/// Binary format 4's events (see the module comment): the tables, then one packed row
/// per event.
struct Packed<'a>(&'a [Event]);

/// A source location: an index into the table of files, and a line.
#[derive(Serialize, Deserialize)]
struct PackedSite {
    file: u32,
    line: u32,
}

#[derive(Serialize, Deserialize)]
struct PackedEvent {
    /// The event's step minus the step of the event before it (the first event's: its
    /// step). Steps never decrease in a valid trace; a difference that wraps still decodes
    /// back to the same step, which validation then refuses as it would in rows.
    step_delta: u32,
    tid: Tid,
    /// Index into the table of (file, line) source locations.
    site: u32,
    kind: EventKind,
}

const PACKED_FIELDS: &[&str] = &["files", "sites", "events"];

impl Serialize for Packed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut table = SiteTable::default();
        let mut last_step = 0u32;
        let events: Vec<PackedEvent> = self
            .0
            .iter()
            .map(|e| {
                let step_delta = e.step.wrapping_sub(last_step);
                last_step = e.step;
                PackedEvent { step_delta, tid: e.tid, site: table.site(&e.at), kind: e.kind.clone() }
            })
            .collect();
        let mut st = s.serialize_struct("PackedEvents", PACKED_FIELDS.len())?;
        st.serialize_field("files", &table.files)?;
        st.serialize_field("sites", &table.sites)?;
        st.serialize_field("events", &events)?;
        st.end()
    }
}

fn deserialize_packed<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Event>, D::Error> {
    d.deserialize_struct("PackedEvents", PACKED_FIELDS, PackedVisitor)
}

struct PackedVisitor;

impl<'de> Visitor<'de> for PackedVisitor {
    type Value = Vec<Event>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the events' tables and packed rows")
    }

    /// Resolves the tables first, so that each row becomes its event as it is read.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Event>, A::Error> {
        let missing = |what: &str| A::Error::custom(format!("the events end before their {what}"));
        let files: Vec<String> = seq.next_element()?.ok_or_else(|| missing("source files"))?;
        let sites: Vec<PackedSite> = seq.next_element()?.ok_or_else(|| missing("source locations"))?;
        let mut reader = SiteReader::new(&files);
        let sites = sites
            .into_iter()
            .enumerate()
            .map(|(i, s)| reader.at(s.file, s.line).map_err(|m| format!("source location {i} {m}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(A::Error::custom)?;
        seq.next_element_seed(Rows(&sites))?.ok_or_else(|| missing("rows"))
    }
}

/// Reads the rows, given the resolved source locations.
struct Rows<'a>(&'a [SrcLoc]);

impl<'de> DeserializeSeed<'de> for Rows<'_> {
    type Value = Vec<Event>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Event>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_> {
    type Value = Vec<Event>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence of packed events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Event>, A::Error> {
        let mut events = Vec::new();
        let mut step = 0u32;
        while let Some(e) = seq.next_element::<PackedEvent>()? {
            let at = self.0.get(e.site as usize).ok_or_else(|| {
                let n = self.0.len();
                A::Error::custom(format!(
                    "event {} names source location {} but the table has {n}",
                    events.len(),
                    e.site
                ))
            })?;
            step = step.wrapping_add(e.step_delta);
            events.push(Event { step, tid: e.tid, kind: e.kind, at: at.clone() });
        }
        Ok(events)
    }
}
