//! The guest kernel: the distribution's kernel package, fetched with apt-get without being
//! installed, and the part of it the lab boots (vmlinuz and the pmem, DAX and filesystem
//! modules) unpacked into the cache; plus the modules' load order from their own
//! `depends=` fields.

use super::LabError;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The metapackage that names the distribution's current kernel.
pub const KERNEL_METAPACKAGE: &str = "linux-image-amd64";

/// What of the package is unpacked: the kernel and the module folders the lab loads from.
const PACKAGE_PARTS: &[&str] = &[
    "./boot/vmlinuz-*",
    "./boot/config-*",
    "./lib/modules/*/kernel/drivers/nvdimm/*",
    "./lib/modules/*/kernel/drivers/acpi/nfit/*",
    "./lib/modules/*/kernel/drivers/dax/*",
    "./lib/modules/*/kernel/fs/*",
    "./lib/modules/*/kernel/lib/*",
    "./lib/modules/*/kernel/crypto/*",
    "./lib/modules/*/kernel/arch/x86/crypto/*",
];

/// An unpacked kernel package.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// The package, e.g. linux-image-6.1.0-57-amd64.
    pub package: String,
    /// uname -r, e.g. 6.1.0-57-amd64.
    pub release: String,
    pub vmlinuz: PathBuf,
    /// lib/modules/<release>.
    pub modules: PathBuf,
}

fn run(cmd: &mut Command, what: &str, install: &str) -> Result<String, LabError> {
    let out = cmd.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => LabError::Missing { what: what.to_string(), install: install.to_string() },
        _ => LabError::Io { what: format!("run {what}"), source: e },
    })?;
    if !out.status.success() {
        return Err(LabError::Tool {
            what: what.to_string(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The kernel package the metapackage depends on now (apt-cache depends).
pub fn current_package() -> Result<String, LabError> {
    let text = run(
        Command::new("apt-cache").args(["depends", KERNEL_METAPACKAGE]),
        "apt-cache",
        "the lab fetches Debian's kernel package with apt: run it on Debian or Ubuntu, or give --kernel-deb FILE",
    )?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|p| p.starts_with("linux-image-"))
        .map(str::to_string)
        .ok_or_else(|| LabError::Tool {
            what: "apt-cache".into(),
            message: format!("{KERNEL_METAPACKAGE} depends on no linux-image package (run `apt-get update` first)"),
        })
}

/// Downloads `package` into `cache` (unless a .deb of it is already there) and unpacks it.
pub fn fetch(cache: &Path, package: &str) -> Result<Kernel, LabError> {
    let dir = cache.join(package);
    if let Ok(k) = unpacked(&dir, package) {
        return Ok(k);
    }
    std::fs::create_dir_all(cache).map_err(|e| LabError::io(format!("create {}", cache.display()), e))?;
    let deb = match find_deb(cache, package) {
        Some(d) => d,
        None => {
            run(
                Command::new("apt-get").arg("download").arg(package).current_dir(cache),
                "apt-get",
                "install apt (Debian or Ubuntu), or give --kernel-deb FILE",
            )?;
            find_deb(cache, package).ok_or_else(|| LabError::Tool {
                what: "apt-get download".into(),
                message: format!("no {package}_*.deb appeared in {}", cache.display()),
            })?
        }
    };
    unpack(&deb, &dir, package)
}

/// Unpacks a kernel .deb (one the user gave, or one fetched) into `dir`.
pub fn unpack(deb: &Path, dir: &Path, package: &str) -> Result<Kernel, LabError> {
    if let Ok(k) = unpacked(dir, package) {
        return Ok(k);
    }
    let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| LabError::io(format!("create {}", tmp.display()), e))?;
    let script = format!(
        "dpkg-deb --fsys-tarfile \"$1\" | tar -x -C \"$2\" --wildcards {}",
        PACKAGE_PARTS.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(" ")
    );
    let result = run(
        Command::new("sh").args(["-c", &script, "unpack"]).arg(deb).arg(&tmp),
        "dpkg-deb",
        "apt-get install dpkg tar",
    );
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(&tmp, dir).map_err(|e| LabError::io(format!("move the kernel into {}", dir.display()), e))?;
    unpacked(dir, package)
}

fn find_deb(cache: &Path, package: &str) -> Option<PathBuf> {
    let prefix = format!("{package}_");
    std::fs::read_dir(cache)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb")))
}

fn unpacked(dir: &Path, package: &str) -> Result<Kernel, LabError> {
    let missing = |what: &str| LabError::Tool {
        what: "kernel package".into(),
        message: format!("{} holds no {what}", dir.display()),
    };
    let boot = std::fs::read_dir(dir.join("boot")).map_err(|_| missing("boot/"))?;
    let vmlinuz = boot
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("vmlinuz-")))
        .ok_or_else(|| missing("boot/vmlinuz-*"))?;
    let release = vmlinuz
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("vmlinuz-"))
        .unwrap_or_default()
        .to_string();
    let modules = dir.join("lib/modules").join(&release);
    if !modules.is_dir() {
        return Err(missing("lib/modules/<release>"));
    }
    Ok(Kernel { package: package.to_string(), release, vmlinuz, modules })
}

/// A module's name as the kernel compares them: '-' and '_' are the same.
fn canonical(name: &str) -> String {
    name.replace('-', "_")
}

/// The `depends=` field of a module's .modinfo section (comma-separated names).
pub fn module_depends(ko: &[u8]) -> Vec<String> {
    let key = b"depends=";
    let Some(at) = ko.windows(key.len()).position(|w| w == key) else {
        return Vec::new();
    };
    let rest = &ko[at + key.len()..];
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    String::from_utf8_lossy(&rest[..end]).split(',').map(str::trim).filter(|s| !s.is_empty()).map(canonical).collect()
}

/// Every .ko under `dir`, by canonical name.
fn index_modules(dir: &Path, into: &mut BTreeMap<String, PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            index_modules(&p, into);
        } else if let Some(stem) = p.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".ko")) {
            into.insert(canonical(stem), p);
        }
    }
}

/// The modules to insmod for `wanted`, dependencies first, each once. A wanted module the
/// package does not have is an error; the caller decides which are optional.
pub fn load_order(modules: &Path, wanted: &[&str]) -> Result<Vec<PathBuf>, LabError> {
    let mut index = BTreeMap::new();
    index_modules(&modules.join("kernel"), &mut index);
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for w in wanted {
        visit(&canonical(w), &index, &mut seen, &mut order, 0)?;
    }
    Ok(order)
}

fn visit(
    name: &str,
    index: &BTreeMap<String, PathBuf>,
    seen: &mut BTreeSet<String>,
    order: &mut Vec<PathBuf>,
    depth: usize,
) -> Result<(), LabError> {
    if seen.contains(name) || depth > 32 {
        return Ok(());
    }
    let path = index.get(name).ok_or_else(|| LabError::Tool {
        what: "kernel package".into(),
        message: format!("it has no module {name}.ko"),
    })?;
    let bytes = std::fs::read(path).map_err(|e| LabError::io(format!("read {}", path.display()), e))?;
    for dep in module_depends(&bytes) {
        visit(&dep, index, seen, order, depth + 1)?;
    }
    if seen.insert(name.to_string()) {
        order.push(path.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::module_depends;

    #[test]
    fn depends_are_read_from_modinfo() {
        let ko = b"\x7fELF junk\0license=GPL\0depends=jbd2,mbcache,crc16\0retpoline=Y\0";
        assert_eq!(module_depends(ko), ["jbd2", "mbcache", "crc16"]);
        assert!(module_depends(b"\0depends=\0name=x\0").is_empty());
        assert_eq!(module_depends(b"depends=crc32c-intel"), ["crc32c_intel"]);
        assert!(module_depends(b"no field").is_empty());
    }
}
