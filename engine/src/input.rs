//! Reading the files a user names (scenarios, traces, challenges, stress results) with a
//! size cap per kind, so that a path such as /dev/zero or a runaway file is refused with an
//! error instead of filling memory.

use std::io::Read;
use std::path::Path;

/// The largest scenario or challenge file read (a scenario is a page of TOML).
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;
/// The largest trace file read (a trace of a few million events, in JSON).
pub const MAX_TRACE_BYTES: u64 = 1 << 30;
/// The largest stress-results file read.
pub const MAX_RESULTS_BYTES: u64 = 64 << 20;

/// The bytes of `path`, or an error if it cannot be read or holds more than `cap` bytes.
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} MiB, the most daxlab reads for this kind of file", cap >> 20),
        ));
    }
    Ok(bytes)
}

/// [`read_capped`] for a text file: invalid UTF-8 is an error naming the byte offset.
pub fn read_text_capped(path: &Path, cap: u64) -> std::io::Result<String> {
    String::from_utf8(read_capped(path, cap)?).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text (byte {at})"))
    })
}
