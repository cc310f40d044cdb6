//! `daxlab import ftrace`: a real kernel's fs_dax capture becomes a kernel trace, which
//! `daxlab explain` narrates and `daxlab export` draws for Perfetto.

use daxlab::ftrace::{Capture, Era, KernelTrace};
use daxlab::trace::write_atomically;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum ImportCommand {
    /// /sys/kernel/tracing/trace text or `trace-cmd report` output.
    Ftrace(FtraceArgs),
}

#[derive(clap::Args)]
pub struct FtraceArgs {
    /// The capture.
    file: PathBuf,
    /// The kernel release that wrote it (e.g. v4.12, 6.1): decides how DAX entry values
    /// are decoded. Without it, the values' own low bits decide.
    #[arg(long)]
    kernel: Option<String>,
    /// Where the kernel trace goes (JSON).
    #[arg(short, long)]
    out: PathBuf,
}

pub fn run(cmd: ImportCommand) -> Result<ExitCode, String> {
    let ImportCommand::Ftrace(a) = cmd;
    let name = a.file.display().to_string();
    if let Some(k) = &a.kernel
        && Era::of_release(k).is_none()
    {
        return Err(format!("--kernel {k}: not a release with fs_dax tracepoints (v4.11 or later, e.g. v4.12 or 6.1)"));
    }
    let bytes = std::fs::read(&a.file).map_err(|e| format!("{name}: {e}"))?;
    let cap = Capture::parse(&bytes, &name).map_err(|e| e.to_string())?;
    for w in &cap.warnings {
        eprintln!("{name}:{}: {}", w.line, w.message);
    }
    let kt = KernelTrace::from_capture(cap, &name, a.kernel.clone());
    if let (Some(k), Some(seen)) = (&a.kernel, kt.records.iter().find_map(|r| entry_era(&r.event)))
        && Era::of_release(k) != Some(seen)
    {
        eprintln!(
            "{name}: warning: --kernel {k} says {:?} entries, but the capture's entry values look {seen:?}",
            Era::of_release(k)
        );
    }
    write_atomically(&a.out, &kt.encode()).map_err(|e| format!("{}: {e}", a.out.display()))?;
    let tl = kt.timeline();
    println!(
        "{name}: {} events ({} context lines, {} warnings) on {} lanes -> {}",
        kt.records.len(),
        kt.context.len(),
        kt.warnings.len(),
        tl.lanes.len(),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn entry_era(e: &daxlab::ftrace::Event) -> Option<Era> {
    use daxlab::ftrace::Event as E;
    match e {
        E::PmdLoadHole { entry, .. } | E::PmdInsertMapping { entry, .. } | E::InsertMapping { entry, .. } => {
            Era::of_value(*entry)
        }
        _ => None,
    }
}

/// The kernel trace at `path`, if the file is one.
pub fn load_kernel_trace(path: &Path) -> Result<Option<KernelTrace>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !KernelTrace::is_kernel_trace(&bytes) {
        return Ok(None);
    }
    KernelTrace::decode(&bytes, &path.display().to_string()).map(Some).map_err(|e| e.to_string())
}
