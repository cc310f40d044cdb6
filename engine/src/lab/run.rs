//! One lab run, host side: the kernel, the initramfs, the boot, and what came back.

use super::console::{Capture, Console, parse_console, split_captures};
use super::initramfs::{Cpio, add_program, find_program};
use super::kernel::{self, Kernel};
use super::qemu::{Accel, Boot, QEMU};
use super::report::{DataCheck, IterationResult, ProcessEnd};
use super::{FsKind, KPROBES, LabError, PmemKind};
use crate::scenario::Scenario;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const INIT: &str = include_str!("../../lab/init.sh");

#[derive(Debug)]
pub struct LabConfig {
    pub scenarios: Vec<Scenario>,
    pub fs: FsKind,
    pub pmem: PmemKind,
    pub map_sync: bool,
    pub iterations: u32,
    /// Where the console, the captures and the summary go.
    pub out: PathBuf,
    /// Where the kernel package is kept between runs.
    pub cache: PathBuf,
    /// A kernel .deb to use instead of the distribution's current one.
    pub kernel_deb: Option<PathBuf>,
    pub timeout: Duration,
    pub kprobes: bool,
    /// Arguments of a `daxlab stress holetest` run on the DAX mount after the workload
    /// (the model on real threads, its pmem a file there mapped MAP_SYNC).
    pub model_stress: Option<String>,
}

/// Where the run is, for a progress display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    Kernel,
    Initramfs,
    Boot,
    /// A console line (the guest's phases, the kernel's messages).
    Console(String),
}

/// The outcome of a lab run, in the model's classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabOutcome {
    Ok,
    /// The kernel logged a BUG, Oops or panic (the line), or a WARNING.
    Kernel {
        line: String,
        warning: bool,
    },
    Sigbus {
        process: String,
    },
    Hang {
        what: String,
    },
    DataLoss {
        values: usize,
    },
}

impl LabOutcome {
    pub fn class(&self) -> String {
        match self {
            LabOutcome::Ok => "ok".into(),
            LabOutcome::Kernel { line, warning } => {
                format!("{}(kernel: {line})", if *warning { "warn" } else { "bug" })
            }
            LabOutcome::Sigbus { .. } => "sigbus".into(),
            LabOutcome::Hang { what } => format!("hang({what})"),
            LabOutcome::DataLoss { .. } => "data-loss".into(),
        }
    }

    pub fn is_failure(&self) -> bool {
        *self != LabOutcome::Ok
    }
}

#[derive(Debug)]
pub struct LabReport {
    pub kernel: Kernel,
    pub accel: Accel,
    pub boot_seconds: f64,
    pub console_path: PathBuf,
    pub console: Console,
    pub captures: Vec<Capture>,
    /// Where each capture was saved, in order.
    pub capture_paths: Vec<PathBuf>,
    /// Each capture imported as a kernel trace (None: it held no event to import).
    pub kernel_traces: Vec<Option<PathBuf>>,
    pub outcome: LabOutcome,
}

/// Boots the guest once and runs every scenario `iterations` times in it.
pub fn run(cfg: &LabConfig, progress: &mut dyn FnMut(Phase)) -> Result<LabReport, LabError> {
    if find_program(QEMU).is_none() {
        return Err(LabError::Missing { what: QEMU.into(), install: "apt-get install qemu-system-x86".into() });
    }
    progress(Phase::Kernel);
    let kernel = match &cfg.kernel_deb {
        Some(deb) => {
            let name = deb.file_name().and_then(|n| n.to_str()).unwrap_or("kernel");
            let package = name.split('_').next().unwrap_or(name).to_string();
            kernel::unpack(deb, &cfg.cache.join(&package), &package)?
        }
        None => kernel::fetch(&cfg.cache, &kernel::current_package()?)?,
    };
    std::fs::create_dir_all(&cfg.out).map_err(|e| LabError::io(format!("create {}", cfg.out.display()), e))?;
    let work = cfg.cache.join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| LabError::io(format!("create {}", work.display()), e))?;
    let result = boot_and_collect(cfg, &kernel, &work, progress);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn boot_and_collect(
    cfg: &LabConfig,
    kernel: &Kernel,
    work: &Path,
    progress: &mut dyn FnMut(Phase),
) -> Result<LabReport, LabError> {
    progress(Phase::Initramfs);
    let initrd = work.join("initrd.cpio");
    let image = build_initramfs(cfg, kernel, work)?;
    std::fs::write(&initrd, image).map_err(|e| LabError::io(format!("write {}", initrd.display()), e))?;
    progress(Phase::Boot);
    let boot = Boot { vmlinuz: &kernel.vmlinuz, initrd: &initrd, pmem: cfg.pmem, workdir: work, timeout: cfg.timeout };
    let booted = boot.run(&mut |line| progress(Phase::Console(line.to_string())))?;
    let console_path = cfg.out.join("console.log");
    let console_text =
        String::from_utf8_lossy(&std::fs::read(&booted.console).unwrap_or_default()).replace("\r\n", "\n");
    std::fs::write(&console_path, &console_text).map_err(|e| LabError::io("save the console", e))?;
    let console = parse_console(&console_text);
    let raw = String::from_utf8_lossy(&std::fs::read(&booted.capture).unwrap_or_default()).into_owned();
    let captures = split_captures(&raw);
    if let Some(e) = console.errors.first()
        && captures.is_empty()
    {
        return Err(LabError::Guest(e.clone(), console_path));
    }
    if let Some(r) = captures.iter().filter_map(|c| c.result.as_ref()).find(|r| !r.dax) {
        return Err(LabError::Guest(format!("{} is not accessed with DAX (statx says so)", r.file), console_path));
    }
    let mut capture_paths = Vec::new();
    let mut kernel_traces = Vec::new();
    for c in &captures {
        let name = c.result.as_ref().map_or("capture", |r| r.scenario.as_str());
        let path = cfg.out.join(format!("{name}.{}.ftrace.txt", c.iteration));
        std::fs::write(&path, &c.trace).map_err(|e| LabError::io(format!("write {}", path.display()), e))?;
        kernel_traces.push(import(&path, &c.trace, &kernel.release)?);
        capture_paths.push(path);
    }
    let outcome = outcome(&console, &captures, booted.timed_out, cfg);
    Ok(LabReport {
        kernel: kernel.clone(),
        accel: booted.accel,
        boot_seconds: booted.elapsed.as_secs_f64(),
        console_path,
        console,
        captures,
        capture_paths,
        kernel_traces,
        outcome,
    })
}

/// The capture as a kernel trace beside it (`.kernel.json`), when it holds events.
fn import(capture: &Path, text: &str, release: &str) -> Result<Option<PathBuf>, LabError> {
    let source = capture.display().to_string();
    let Ok(cap) = crate::ftrace::Capture::parse(text.as_bytes(), &source) else {
        return Ok(None);
    };
    let kt = crate::ftrace::KernelTrace::from_capture(cap, &source, Some(release.to_string()));
    let out = capture.with_extension("").with_extension("kernel.json");
    crate::trace::write_atomically(&out, &kt.encode())
        .map_err(|e| LabError::io(format!("write {}", out.display()), e))?;
    Ok(Some(out))
}

fn outcome(console: &Console, captures: &[Capture], timed_out: bool, cfg: &LabConfig) -> LabOutcome {
    if let Some(p) = console.problems.iter().find(|p| !p.warning).or(console.problems.first()) {
        return LabOutcome::Kernel { line: p.text.clone(), warning: p.warning };
    }
    if timed_out {
        return LabOutcome::Hang { what: format!("the guest did not power off within {} s", cfg.timeout.as_secs()) };
    }
    let results: Vec<&IterationResult> = captures.iter().filter_map(|c| c.result.as_ref()).collect();
    let expected = cfg.iterations as usize * cfg.scenarios.len();
    if results.len() < expected {
        return LabOutcome::Hang {
            what: format!("{} of {expected} runs reported back (see the console)", results.len()),
        };
    }
    for r in &results {
        for p in &r.processes {
            match &p.end {
                ProcessEnd::Signaled { signal } if signal == "SIGBUS" => {
                    return LabOutcome::Sigbus { process: p.name.clone() };
                }
                ProcessEnd::Hung => return LabOutcome::Hang { what: format!("process {}", p.name) },
                ProcessEnd::Signaled { signal } => {
                    return LabOutcome::Kernel {
                        line: format!("process {} killed by {signal}", p.name),
                        warning: false,
                    };
                }
                ProcessEnd::Exited { .. } => {}
            }
        }
    }
    let lost: usize =
        results.iter().map(|r| if let DataCheck::Checked { lost, .. } = &r.data { lost.len() } else { 0 }).sum();
    if lost > 0 {
        return LabOutcome::DataLoss { values: lost };
    }
    LabOutcome::Ok
}

/// The modules the guest loads, for this filesystem and kind of pmem.
fn modules(cfg: &LabConfig, kernel: &Kernel) -> Result<Vec<PathBuf>, LabError> {
    let mut wanted = vec!["libnvdimm", "nd_pmem"];
    wanted.push(match cfg.pmem {
        PmemKind::Legacy => "nd_e820",
        PmemKind::Nvdimm => "nfit",
    });
    // ext4 and xfs (through libcrc32c) ask the crypto API for crc32c, which would need a
    // module loader the guest lacks: load it first.
    wanted.push("crc32c_generic");
    wanted.push(cfg.fs.name());
    let mut order = kernel::load_order(&kernel.modules, &wanted)?;
    // The accelerated crc32c is welcome but not needed.
    if let Ok(extra) = kernel::load_order(&kernel.modules, &["crc32c_intel"]) {
        order.splice(0..0, extra);
    }
    Ok(order)
}

/// The daxlab binary for the guest: without its debug information when `strip` is there
/// (a debug build is several times larger, and the guest reads all of it at boot).
fn guest_binary(work: &Path) -> Result<PathBuf, LabError> {
    let exe = std::env::current_exe().map_err(|e| LabError::io("find the daxlab binary", e))?;
    let stripped = work.join("daxlab");
    let ok = find_program("strip").is_some_and(|strip| {
        std::process::Command::new(strip)
            .arg("--strip-debug")
            .arg("-o")
            .arg(&stripped)
            .arg(&exe)
            .status()
            .is_ok_and(|s| s.success())
    });
    Ok(if ok { stripped } else { exe })
}

fn build_initramfs(cfg: &LabConfig, kernel: &Kernel, work: &Path) -> Result<Vec<u8>, LabError> {
    let mut c = Cpio::new();
    let mut libs = BTreeSet::new();
    for d in ["dev", "proc", "sys", "mnt", "tmp", "bin", "sbin", "usr/bin", "usr/sbin"] {
        c.dir(d);
    }
    c.char_device("dev/console", 5, 1);
    let need = |name: &str, package: &str| {
        find_program(name)
            .ok_or_else(|| LabError::Missing { what: name.into(), install: format!("apt-get install {package}") })
    };
    add_program(&mut c, &need("busybox", "busybox-static")?, "bin/busybox", &mut libs)?;
    let mkfs = match cfg.fs {
        FsKind::Ext4 => need("mkfs.ext4", "e2fsprogs")?,
        FsKind::Xfs => need("mkfs.xfs", "xfsprogs")?,
    };
    add_program(&mut c, &mkfs, &format!("sbin/mkfs.{}", cfg.fs.name()), &mut libs)?;
    if cfg.pmem == PmemKind::Nvdimm {
        add_program(&mut c, &need("ndctl", "ndctl")?, "usr/bin/ndctl", &mut libs)?;
    }
    add_program(&mut c, &guest_binary(work)?, "daxlab", &mut libs)?;
    let mut order = String::new();
    for m in modules(cfg, kernel)? {
        let name = m.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let bytes = std::fs::read(&m).map_err(|e| LabError::io(format!("read {}", m.display()), e))?;
        c.file(&format!("modules/{name}"), &bytes, false);
        order.push_str(&name);
        order.push('\n');
    }
    c.file("modules/order", order.as_bytes(), false);
    let mut guest_args = format!(
        "--dir /mnt --capture /dev/ttyS1 --tracefs /sys/kernel/tracing --iterations {} --deadline {}",
        cfg.iterations,
        cfg.timeout.as_secs().max(2) - 1
    );
    if cfg.map_sync {
        guest_args.push_str(" --map-sync");
    }
    for (i, sc) in cfg.scenarios.iter().enumerate() {
        c.file(&format!("scenarios/{i}.toml"), sc.source.as_bytes(), false);
        guest_args.push_str(&format!(" /scenarios/{i}.toml"));
    }
    let kprobes = if cfg.kprobes { KPROBES.join("\n") } else { String::new() };
    let env = format!(
        "LAB_FS={}\nLAB_PMEM={}\nLAB_GUEST='{guest_args}'\nLAB_KPROBES='{kprobes}'\nLAB_MODEL='{}'\n",
        cfg.fs.name(),
        cfg.pmem.name(),
        cfg.model_stress.as_deref().unwrap_or("")
    );
    c.file("lab.env", env.as_bytes(), false);
    c.file("init", INIT.as_bytes(), true);
    Ok(c.finish())
}
