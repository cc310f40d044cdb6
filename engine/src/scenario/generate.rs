//! Scenarios generated from parameters: holetest as xfstests generic/340 runs it.

use super::{Scenario, ScenarioError};
use std::fmt::Write;

/// How holetest prepares each fresh file before the threads race (xfstests src/holetest.c).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HoletestFile {
    /// ftruncate then a single-threaded memset through a mapping: blocks and entries exist.
    ZeroFilled,
    /// posix_fallocate: allocated, unwritten, no entries.
    Fallocate,
    /// ftruncate only: one big hole.
    Ftruncate,
}

impl HoletestFile {
    pub const ALL: [HoletestFile; 3] = [HoletestFile::ZeroFilled, HoletestFile::Fallocate, HoletestFile::Ftruncate];

    /// The name holetest prints: "INFO: <name> test...".
    pub fn name(self) -> &'static str {
        match self {
            HoletestFile::ZeroFilled => "zero-filled",
            HoletestFile::Fallocate => "posix_fallocate",
            HoletestFile::Ftruncate => "ftruncate",
        }
    }
}

/// holetest: `threads` workers store their 8-byte id at offsets 1024 + i*2048 of every page
/// of a shared mapping of the whole file, in increasing page order.
#[derive(Clone, Debug)]
pub struct Holetest {
    pub size: u64,
    pub file: HoletestFile,
    pub threads: u32,
    /// -F: processes instead of threads (separate page tables, generic/345's shape).
    pub fork: bool,
}

impl Holetest {
    /// The id worker `i` stores: a pthread_self()-like value, or a pid with -F.
    pub fn id(&self, i: u32) -> u64 {
        if self.fork { 0x4d2 + u64::from(i) } else { 0x0000_7f00_0000_0700 + (u64::from(i) << 12) }
    }

    /// Offset within each page where worker `i` stores: holetest's page_size / THREADS
    /// spacing (1024 and 3072 for its two threads), kept 8-byte aligned for other counts.
    pub fn offset(&self, i: u32) -> u64 {
        let step = 4096 / u64::from(self.threads.max(1));
        (step / 2 + u64::from(i) * step) & !7
    }

    pub fn toml(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(t, "name = \"holetest-{}\"", self.file.name());
        let _ = writeln!(
            t,
            "description = \"holetest {}{}, {} MiB, {} workers\"",
            if self.fork { "-F " } else { "" },
            self.file.name(),
            self.size >> 20,
            self.threads
        );
        let _ = writeln!(t, "[file]\nsize = {}", self.size);
        if self.file == HoletestFile::Fallocate {
            let _ = writeln!(t, "[[file.extent]]\noffset = 0\nlength = {}\nstate = \"unwritten\"", self.size);
        }
        let pages = self.size / 4096;
        // thp_get_unmapped_area() aligns a mapping of at least 2 MiB to 2 MiB; a shorter one
        // goes wherever it fits (here: 1 MiB past an aligned address).
        let mmap = if self.size >= 2 << 20 {
            "{ shared = true }".to_string()
        } else {
            format!("{{ shared = true, address = {:#x} }}", super::DEFAULT_MAP_BASE + (1 << 20))
        };
        if self.file == HoletestFile::ZeroFilled {
            let _ = writeln!(t, "[[process]]\nname = \"memset\"\nsetup = true\nmmap = {mmap}");
            let _ = writeln!(t, "[[process.thread]]\nname = \"main\"");
            let _ = writeln!(t, "ops = [{{ op = \"sweep\", at = 0, pages = {pages}, value = 0 }}]");
        }
        for i in 0..self.threads {
            if self.fork || i == 0 {
                let _ = writeln!(t, "[[process]]\nname = \"holetest{}\"\nmmap = {mmap}", if self.fork { i } else { 0 });
            }
            let _ = writeln!(t, "[[process.thread]]\nname = \"{}{i}\"", if self.fork { "P" } else { "T" });
            let (at, id) = (self.offset(i), self.id(i));
            let _ = writeln!(t, "ops = [{{ op = \"sweep\", at = {at}, pages = {pages}, value = {id} }}]");
        }
        t
    }

    pub fn scenario(&self) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml(&self.toml(), &format!("holetest {} {} MiB", self.file.name(), self.size >> 20))
    }
}
