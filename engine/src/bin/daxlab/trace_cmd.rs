//! `daxlab replay` and `daxlab convert`.

use daxlab::Scenario;
use daxlab::analysis::{Timeline, analyze, describe_state, narrate, to_perfetto};
use daxlab::trace::{Trace, Verified, diff_kernels, event_line, replay_trace, transcript, verify, write_atomically};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::kernel_args::KernelArgs;
use super::warn_args::WarnArgs;
use super::{import_cmd, walkthrough};

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// A trace file (.daxtrace or .json).
    trace: PathBuf,
    /// Replay on another kernel than the recorded one (the recorded one, changed by
    /// --with/--without, if only those are given).
    #[command(flatten)]
    kernel: KernelArgs,
    /// Replay with WARNs ending the run or not, whatever the trace was recorded with: a
    /// trace that stopped at a WARN, replayed with `--on-warn continue`, shows what the
    /// kernel did next.
    #[command(flatten)]
    warn: WarnArgs,
    /// Replay up to step N and print the kernel state there: right after the first event of
    /// step N, as the workbench's "go to step N" and `daxlab figure state --step N` show it.
    #[arg(long, value_name = "N")]
    to: Option<u32>,
    /// Print every event of the replay.
    #[arg(long)]
    transcript: bool,
}

pub fn load(path: &Path) -> Result<(Trace, Scenario), String> {
    let trace = Trace::load(path).map_err(|e| e.to_string())?;
    let sc = trace.scenario().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((trace, sc))
}

/// A trace file, replayed: what every command that shows a trace shows. The banner (for a
/// file that does not replay as recorded) is printed first, to stdout or, when stdout
/// carries data, to stderr.
pub fn load_verified(path: &Path, banner_to_stderr: bool) -> Result<(Verified, Scenario), String> {
    let (file, sc) = load(path)?;
    let verified = verify(&file, &sc);
    if let Some(b) = verified.banner(&sc.thread_names()) {
        let text = format!("⚠ {}: {b}\n  (what follows comes from the replay, not from the file)\n", path.display());
        if banner_to_stderr {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    }
    Ok((verified, sc))
}

/// Exit 1 for a trace that does not replay or whose replay fails, 0 otherwise.
fn exit_for(v: &Verified) -> ExitCode {
    if !v.matches() || v.trace.outcome.is_failure() { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

pub fn replay(args: ReplayArgs) -> Result<ExitCode, String> {
    let (trace, recorded) = load(&args.trace)?;
    let changed = args.warn.on_warn.is_some_and(|w| w != recorded.on_warn);
    let sc = args.warn.apply(recorded)?;
    let kernel = args.kernel.kernel(trace.kernel).map_err(|e| format!("{e} (use `daxlab diff` to compare two)"))?;
    let names = sc.thread_names();
    if let Some(notice) = sc.on_warn.notice() {
        println!("{notice}");
    }
    if let Some(step) = args.to {
        let last = trace.events.last().map_or(0, |e| e.step);
        if step > last {
            return Err(format!("{}: step {step} is beyond the trace's last step {last}", args.trace.display()));
        }
    }
    // Step N runs in full so that its events are checked too; the state shown is taken
    // after its first event.
    let report = replay_trace(&trace, &sc, kernel, args.to.map(|s| s.saturating_add(1)));
    if args.transcript {
        print!("{}", transcript(&report.execution.events, &report.execution.outcome, &names));
    }
    if let Some(d) = &report.divergence {
        println!("replay of {} ({kernel}) DIVERGES at event {}:", args.trace.display(), d.index);
        for e in &d.before {
            println!("  same      {}", event_line(e, &names));
        }
        match &d.recorded {
            Some(e) => println!("  recorded  {}", event_line(e, &names)),
            None => println!("  recorded  (the recording ends here)"),
        }
        match &d.replayed {
            Some(e) => println!("  replayed  {}", event_line(e, &names)),
            None => println!("  replayed  (the replay ends here)"),
        }
        if let Some(note) = &report.schedule_note {
            println!("  schedule: {note}");
        }
        if changed {
            println!("  with on_warn = {}, the replay ends: {}", sc.on_warn, report.execution.outcome);
        }
        return Ok(ExitCode::from(1));
    }
    match args.to {
        Some(step) => {
            println!("replay of {} ({kernel}) matches the recording up to step {step}", args.trace.display());
            let events = &report.execution.events;
            let timeline = Timeline::new(&sc, kernel, events.clone());
            let pos = timeline.pos_of_step(step);
            match pos.checked_sub(1) {
                Some(i) => {
                    let sentences = narrate(&events[..pos], &analyze(events), &names);
                    println!("the state at step {step}, just after: {} (event {pos})\n", sentences[i]);
                }
                None => println!("the state at step {step}: nothing has run yet\n"),
            }
            print!("{}", describe_state(&timeline.after_events(pos), &names));
        }
        None => {
            // The events match; the file's summary (outcome, notes, counts) must too.
            if kernel == trace.kernel
                && let Some(b) = verify(&trace, &sc).banner(&names)
            {
                println!("replay of {} ({kernel}) DIVERGES: {b}", args.trace.display());
                return Ok(ExitCode::from(1));
            }
            let ex = &report.execution;
            println!(
                "replay of {} ({kernel}) matches: {} events, {} steps, outcome: {}",
                args.trace.display(),
                ex.events.len(),
                ex.steps,
                ex.outcome
            );
            if let Some(e) = ex.events.iter().find(|e| matches!(e.kind, daxlab::trace::EventKind::Bug { .. })) {
                let what = if matches!(ex.outcome, daxlab::Outcome::Warned { .. }) {
                    "the first WARN"
                } else {
                    "the invariant"
                };
                println!("{what} fires at step {} in {}", e.step, names[e.tid.index()]);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct ConvertArgs {
    /// The trace to read (binary or JSON).
    input: PathBuf,
    /// Where to write it: JSON for a .json name, binary otherwise.
    output: PathBuf,
}

pub fn convert(args: ConvertArgs) -> Result<ExitCode, String> {
    let (trace, _) = load(&args.input)?;
    trace.save(&args.output).map_err(|e| e.to_string())?;
    println!("{} → {}", args.input.display(), args.output.display());
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct TraceArg {
    /// A trace file (.daxtrace or .json).
    trace: PathBuf,
}

pub fn explain(args: TraceArg) -> Result<ExitCode, String> {
    if let Some(kt) = import_cmd::load_kernel_trace(&args.trace)? {
        print!("{}", kt.explain());
        return Ok(ExitCode::SUCCESS);
    }
    let (verified, sc) = load_verified(&args.trace, false)?;
    let trace = &verified.trace;
    let names = sc.thread_names();
    println!("{} — {}", sc.name, sc.description);
    println!(
        "{} · {} steps · {} preemption(s){} · outcome: {}\n",
        trace.kernel.describe(),
        trace.steps,
        trace.preemptions,
        sc.fewer_cpus().map(|c| format!(" on {c}")).unwrap_or_default(),
        trace.outcome
    );
    let analysis = walkthrough::print(&trace.events, &trace.switches, &names, "  ");
    println!("\nannotations");
    walkthrough::print_annotations(&analysis, &names, "  ");
    for b in &trace.annotations.bookmarks {
        println!("  bookmark at step {} (a note written in the file): {}", b.step, b.note);
    }
    Ok(exit_for(&verified))
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// A trace file (.daxtrace or .json).
    trace: PathBuf,
    /// The kernel to carry the interleaving to, e.g. v4.12 or "v4.12 without
    /// 13e451fdc1af" (default: the other seed kernel for unfixed/fixed traces, else the
    /// release before the trace's).
    #[arg(long, value_name = "KERNEL")]
    against: Option<String>,
    /// Add a fix to the --against kernel (repeatable).
    #[arg(long = "with", value_name = "FIX")]
    with: Vec<String>,
    /// Take a fix out of the --against kernel (repeatable).
    #[arg(long = "without", value_name = "FIX")]
    without: Vec<String>,
}

pub fn diff(args: DiffArgs) -> Result<ExitCode, String> {
    let (verified, sc) = load_verified(&args.trace, false)?;
    let trace = &verified.trace;
    let names = sc.thread_names();
    let against = KernelArgs { kernel: args.against, variant: None, with: args.with, without: args.without }
        .kernel(trace.kernel.counterpart())
        .map_err(|e| e.replace("--kernel", "--against"))?;
    let d = diff_kernels(trace, &sc, against);
    let (rv, rex) = &d.recorded;
    let (cv, cex) = &d.carried;
    println!("{} — one interleaving, two kernels (recorded on {rv}, carried to {cv})\n", sc.name);
    match d.part {
        None => println!("the two kernels never part: every event is the same"),
        Some((ri, ci)) => {
            println!("the first {ri} events of {rv} are the same on both sides; the last of them:");
            for e in &rex.events[ri.saturating_sub(4)..ri] {
                println!("    both     {}", event_line(e, &names));
            }
            println!("\nthey part here:");
            for (v, ex, i) in [(rv, rex, ri), (cv, cex, ci)] {
                println!("\n  {}:", v.describe());
                let sentences = narrate(&ex.events, &analyze(&ex.events), &names);
                let told: Vec<usize> = (i.min(ex.events.len())..ex.events.len())
                    .filter(|&k| walkthrough::worth_telling(&ex.events[k]))
                    .collect();
                for &k in told.iter().take(14) {
                    let e = &ex.events[k];
                    println!("    {:>5}  {:<4} {}", e.step, names[e.tid.index()], sentences[k]);
                }
                if told.len() > 14 {
                    println!("    … {} more", told.len() - 14);
                }
            }
        }
    }
    println!("\noutcomes:");
    for (v, ex) in [(rv, rex), (cv, cex)] {
        println!("  {:<12} {}", v.to_string(), ex.outcome);
    }
    let failed = rex.outcome.is_failure() || cex.outcome.is_failure() || !verified.matches();
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Chrome trace-event JSON for the Perfetto UI (ui.perfetto.dev).
    Perfetto,
    /// The transcript: every event, one line each, and the outcome.
    Text,
    /// The fs_dax tracepoint lines the trace's kernel would have printed
    /// (/sys/kernel/tracing/trace form; `daxlab import ftrace` reads them back).
    Ftrace,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    trace: PathBuf,
    #[arg(long, value_enum, default_value = "perfetto")]
    format: ExportFormat,
    /// Write here instead of to standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub fn export(args: ExportArgs) -> Result<ExitCode, String> {
    let (bytes, matches) = match import_cmd::load_kernel_trace(&args.trace)? {
        // A kernel's own trace is an observation, with no schedule to replay.
        Some(kt) => {
            let bytes = match args.format {
                ExportFormat::Perfetto => serde_json::to_vec(&kt.to_perfetto()).map_err(|e| e.to_string())?,
                ExportFormat::Text => kt.explain().into_bytes(),
                ExportFormat::Ftrace => daxlab::ftrace::write_trace(&kt.records).into_bytes(),
            };
            (bytes, true)
        }
        None => {
            let (verified, sc) = load_verified(&args.trace, true)?;
            let (trace, names) = (&verified.trace, sc.thread_names());
            let bytes = match args.format {
                ExportFormat::Perfetto => serde_json::to_vec(&to_perfetto(trace, &names)).map_err(|e| e.to_string())?,
                ExportFormat::Text => {
                    let banner = verified.banner(&names).map(|b| format!("# {b}\n")).unwrap_or_default();
                    (banner + &transcript(&trace.events, &trace.outcome, &names)).into_bytes()
                }
                ExportFormat::Ftrace => {
                    daxlab::ftrace::write_trace(&daxlab::ftrace::from_model(trace, &sc)).into_bytes()
                }
            };
            (bytes, verified.matches())
        }
    };
    match &args.output {
        Some(path) => {
            write_atomically(path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes).map_err(|e| e.to_string())?;
        }
    }
    Ok(if matches { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
