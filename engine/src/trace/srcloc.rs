//! Where in the engine's own source an event was produced.
//!
//! A recording makes millions of events, and each names its source location. Copying the
//! file name into every event made the location a third of the event, and writing it sat
//! on the critical path of a real-thread recording. So a location is one pointer: to the
//! compiler's own record of a `#[track_caller]` call site for an event this build made, or
//! to one shared record per distinct (file, line) for an event read from a trace file
//! (whose lines may come from another version of the engine).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::Location;
use std::sync::Arc;

#[derive(Clone)]
pub enum SrcLoc {
    /// Made by this build: the call site itself.
    Engine(&'static Location<'static>),
    /// Read from a trace: shared by every event of that file with the same location.
    Read(Arc<Site>),
}

/// A source location read from a trace file.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Site {
    pub file: String,
    pub line: u32,
}

impl SrcLoc {
    pub fn file(&self) -> &str {
        match self {
            SrcLoc::Engine(l) => l.file(),
            SrcLoc::Read(s) => &s.file,
        }
    }

    pub fn line(&self) -> u32 {
        match self {
            SrcLoc::Engine(l) => l.line(),
            SrcLoc::Read(s) => s.line,
        }
    }
}

impl From<&'static Location<'static>> for SrcLoc {
    fn from(l: &'static Location<'static>) -> Self {
        SrcLoc::Engine(l)
    }
}

/// Two locations are equal when they name the same file and line, however they are held.
impl PartialEq for SrcLoc {
    fn eq(&self, other: &Self) -> bool {
        self.line() == other.line() && self.file() == other.file()
    }
}

impl Eq for SrcLoc {}

impl Hash for SrcLoc {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.file().hash(h);
        self.line().hash(h);
    }
}

impl fmt::Debug for SrcLoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrcLoc").field("file", &self.file()).field("line", &self.line()).finish()
    }
}
