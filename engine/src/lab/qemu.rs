//! Booting the guest: qemu-system-x86_64 with the kernel, the initramfs and emulated
//! persistent memory, the console on the first serial port and the captures on the second.
//! KVM is used only where the CPU offers real hardware virtualisation; otherwise, or when a
//! KVM boot fails, software emulation (TCG).

use super::{LabError, PmemKind};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const QEMU: &str = "qemu-system-x86_64";
const QEMU_INSTALL: &str = "apt-get install qemu-system-x86";

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// KVM only where /dev/kvm exists and the CPU shows VT-x or AMD-V (some hosts offer a
/// /dev/kvm that cannot run an ordinary guest).
pub fn kvm_usable() -> bool {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    Path::new("/dev/kvm").exists()
        && cpu
            .lines()
            .filter(|l| l.starts_with("flags"))
            .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"))
}

/// One boot.
#[derive(Debug)]
pub struct Boot<'a> {
    pub vmlinuz: &'a Path,
    pub initrd: &'a Path,
    pub pmem: PmemKind,
    pub workdir: &'a Path,
    pub timeout: Duration,
}

/// What a boot left behind.
#[derive(Debug)]
pub struct Booted {
    pub console: PathBuf,
    pub capture: PathBuf,
    pub accel: Accel,
    pub elapsed: Duration,
    pub timed_out: bool,
}

/// The legacy pmem range the kernel is told to reserve: 512 MiB at 1 GiB.
const LEGACY_PMEM: &str = "memmap=512M!1G";

impl Boot<'_> {
    fn command(&self, accel: Accel, console: &Path, capture: &Path) -> Command {
        let mut c = Command::new(QEMU);
        c.args(["-nodefaults", "-display", "none", "-no-reboot", "-smp", "2"]);
        match accel {
            Accel::Kvm => c.args(["-accel", "kvm", "-cpu", "host"]),
            Accel::Tcg => c.args(["-accel", "tcg,thread=multi", "-cpu", "max"]),
        };
        let mut append = String::from("console=ttyS0 panic=-1 loglevel=4 rdinit=/init");
        match self.pmem {
            PmemKind::Legacy => {
                c.args(["-machine", "pc", "-m", "2G"]);
                append.push(' ');
                append.push_str(LEGACY_PMEM);
            }
            PmemKind::Nvdimm => {
                let img = self.workdir.join("nvdimm.img");
                c.args(["-machine", "pc,nvdimm=on", "-m", "1G,slots=2,maxmem=4G"]);
                c.arg("-object")
                    .arg(format!("memory-backend-file,id=mem1,share=on,mem-path={},size=512M,align=2M", img.display()));
                c.args(["-device", "nvdimm,id=nv1,memdev=mem1"]);
            }
        }
        c.arg("-kernel").arg(self.vmlinuz).arg("-initrd").arg(self.initrd).arg("-append").arg(append);
        c.arg("-serial").arg(format!("file:{}", console.display()));
        c.arg("-serial").arg(format!("file:{}", capture.display()));
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        c
    }

    /// Boots and waits for the guest to power off; `progress` sees each new console line.
    pub fn run(&self, progress: &mut dyn FnMut(&str)) -> Result<Booted, LabError> {
        if self.pmem == PmemKind::Nvdimm {
            let img = self.workdir.join("nvdimm.img");
            let f = std::fs::File::create(&img).map_err(|e| LabError::io(format!("create {}", img.display()), e))?;
            f.set_len(512 << 20).map_err(|e| LabError::io(format!("size {}", img.display()), e))?;
        }
        if kvm_usable() {
            match self.boot(Accel::Kvm, progress) {
                Ok(b) if !b.timed_out && console_reached_init(&b.console) => return Ok(b),
                _ => progress("KVM boot failed; falling back to TCG"),
            }
        }
        self.boot(Accel::Tcg, progress)
    }

    fn boot(&self, accel: Accel, progress: &mut dyn FnMut(&str)) -> Result<Booted, LabError> {
        let console = self.workdir.join("console.log");
        let capture = self.workdir.join("capture.raw");
        let t0 = Instant::now();
        let mut child = self.command(accel, &console, &capture).spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LabError::Missing { what: QEMU.into(), install: QEMU_INSTALL.into() },
            _ => LabError::io(format!("start {QEMU}"), e),
        })?;
        let (status, timed_out) = watch(&mut child, &console, self.timeout, progress)?;
        if !status.success() && !timed_out {
            let mut err = String::new();
            if let Some(mut s) = child.stderr.take() {
                use std::io::Read;
                let _ = s.read_to_string(&mut err);
            }
            return Err(LabError::Tool { what: QEMU.into(), message: format!("{status}: {}", err.trim()) });
        }
        Ok(Booted { console, capture, accel, elapsed: t0.elapsed(), timed_out })
    }
}

fn console_reached_init(console: &Path) -> bool {
    std::fs::read_to_string(console).is_ok_and(|t| t.contains("daxlab-lab: phase"))
}

/// Follows the console until QEMU exits or the timeout kills it.
fn watch(
    child: &mut Child,
    console: &Path,
    timeout: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<(std::process::ExitStatus, bool), LabError> {
    let t0 = Instant::now();
    let mut seen = 0;
    loop {
        if let Ok(bytes) = std::fs::read(console) {
            let text = String::from_utf8_lossy(&bytes);
            let done = text.rfind('\n').map_or(0, |i| i + 1);
            if done > seen {
                for line in text[seen..done].lines() {
                    progress(line.trim_end_matches('\r'));
                }
                seen = done;
            }
        }
        if let Some(status) = child.try_wait().map_err(|e| LabError::io("wait for qemu", e))? {
            return Ok((status, false));
        }
        if t0.elapsed() > timeout {
            let _ = child.kill();
            let status = child.wait().map_err(|e| LabError::io("wait for qemu", e))?;
            return Ok((status, true));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
