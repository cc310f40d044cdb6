//! The guest's initramfs: a cpio archive in the kernel's "newc" format, written here, with
//! busybox, the modules, the mkfs and ndctl programs with the shared libraries ldd names,
//! the daxlab binary itself, the scenario and /init.

use super::LabError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFCHR: u32 = 0o020_000;

/// A newc archive being built in memory.
#[derive(Debug, Default)]
pub struct Cpio {
    out: Vec<u8>,
    ino: u32,
    dirs: BTreeSet<String>,
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

impl Cpio {
    pub fn new() -> Cpio {
        Cpio::default()
    }

    fn entry(&mut self, name: &str, mode: u32, data: &[u8], rdev: (u32, u32)) {
        self.ino += 1;
        let fields = [
            self.ino,
            mode,
            0,
            0,
            if mode & S_IFDIR == S_IFDIR { 2 } else { 1 },
            0,
            data.len() as u32,
            0,
            0,
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0,
        ];
        self.out.extend_from_slice(b"070701");
        for f in fields {
            self.out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        pad4(&mut self.out);
        self.out.extend_from_slice(data);
        pad4(&mut self.out);
    }

    /// Adds the folders above `path` that are not in the archive yet.
    fn parents(&mut self, path: &str) {
        let mut acc = String::new();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            if self.dirs.insert(acc.clone()) {
                let name = acc.clone();
                self.entry(&name, S_IFDIR | 0o755, &[], (0, 0));
            }
        }
    }

    fn clean(path: &str) -> String {
        path.trim_start_matches('/').to_string()
    }

    pub fn dir(&mut self, path: &str) {
        let p = Cpio::clean(path);
        self.parents(&format!("{p}/x"));
    }

    pub fn file(&mut self, path: &str, data: &[u8], executable: bool) {
        let p = Cpio::clean(path);
        self.parents(&p);
        self.entry(&p, S_IFREG | if executable { 0o755 } else { 0o644 }, data, (0, 0));
    }

    pub fn symlink(&mut self, path: &str, target: &str) {
        let p = Cpio::clean(path);
        self.parents(&p);
        self.entry(&p, S_IFLNK | 0o777, target.as_bytes(), (0, 0));
    }

    pub fn char_device(&mut self, path: &str, major: u32, minor: u32) {
        let p = Cpio::clean(path);
        self.parents(&p);
        self.entry(&p, S_IFCHR | 0o600, &[], (major, minor));
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[], (0, 0));
        self.out
    }
}

/// The shared libraries (and loader) `ldd` says a program needs; none for a static one.
pub fn shared_libraries(program: &Path) -> Result<Vec<PathBuf>, LabError> {
    let out = Command::new("ldd").arg(program).output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            LabError::Missing { what: "ldd".into(), install: "apt-get install libc-bin".into() }
        }
        _ => LabError::io("run ldd", e),
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(parse_ldd(&text))
}

/// Library paths from ldd's output: "name => /path (addr)" and "/loader (addr)".
pub fn parse_ldd(text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let path = l.split("=>").nth(1).unwrap_or(l).split_whitespace().next()?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect()
}

/// Adds a host program at `at` and every library it needs at the library's own path.
pub fn add_program(cpio: &mut Cpio, host: &Path, at: &str, added: &mut BTreeSet<PathBuf>) -> Result<(), LabError> {
    let bytes = std::fs::read(host).map_err(|e| LabError::io(format!("read {}", host.display()), e))?;
    cpio.file(at, &bytes, true);
    for lib in shared_libraries(host)? {
        if !added.insert(lib.clone()) {
            continue;
        }
        // The loader and libraries are often symlinks; the archive gets the real file
        // under the name the program asks for.
        let bytes = std::fs::read(&lib).map_err(|e| LabError::io(format!("read {}", lib.display()), e))?;
        cpio.file(&lib.to_string_lossy(), &bytes, true);
    }
    Ok(())
}

/// Finds a program on the usual Debian paths (root's PATH may lack the sbin folders).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_output_gives_library_paths() {
        let text = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x7f)\n\t/lib64/ld-linux-x86-64.so.2 (0x7f)\n";
        assert_eq!(
            parse_ldd(text),
            [PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"), PathBuf::from("/lib64/ld-linux-x86-64.so.2")]
        );
        assert!(parse_ldd("\tstatically linked\n").is_empty());
        assert!(parse_ldd("\tnot a dynamic executable\n").is_empty());
    }

    #[test]
    fn newc_entries_are_aligned_and_parents_come_first() {
        let mut c = Cpio::new();
        c.file("/bin/busybox", b"abc", true);
        let a = c.finish();
        assert_eq!(&a[..6], b"070701");
        // "bin" directory first, then the file, then the trailer; every header 4-aligned.
        let headers: Vec<usize> = a.windows(6).enumerate().filter(|(_, w)| *w == b"070701").map(|(i, _)| i).collect();
        assert_eq!(headers.len(), 3);
        assert!(headers.iter().all(|h| h % 4 == 0));
        let name_at = |h: usize| {
            let end = a[h + 110..].iter().position(|&b| b == 0).unwrap() + h + 110;
            String::from_utf8(a[h + 110..end].to_vec()).unwrap()
        };
        assert_eq!(name_at(headers[0]), "bin");
        assert_eq!(name_at(headers[1]), "bin/busybox");
        assert_eq!(name_at(headers[2]), "TRAILER!!!");
        // File size field (7th) of the file entry is 3.
        let size = &a[headers[1] + 6 + 6 * 8..headers[1] + 6 + 7 * 8];
        assert_eq!(size, b"00000003");
    }
}
