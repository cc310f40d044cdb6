//! `daxlab matrix`: every scenario on every kernel.

use super::warn_args::WarnArgs;
use daxlab::explore::{Cell, Matrix, matrix};
use daxlab::{Kernel, Scenario};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub cells: Cells,
    /// Print the matrix as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Which scenarios and kernels a matrix covers.
#[derive(clap::Args)]
pub struct Cells {
    /// Built-in scenario names or .toml files (default: every built-in).
    pub scenarios: Vec<String>,
    /// The kernels, comma-separated (default: every release). Each is a release, or a
    /// release with changes: "v4.12 without 13e451fdc1af".
    #[arg(long, value_delimiter = ',', value_name = "KERNEL,...")]
    pub kernels: Vec<String>,
    #[command(flatten)]
    pub warn: WarnArgs,
}

impl Cells {
    /// Runs the explorations the arguments ask for, with a progress line on a terminal.
    pub fn compute(&self) -> Result<Matrix, String> {
        let names: Vec<&str> = if self.scenarios.is_empty() {
            daxlab::scenario::BUILTINS.iter().map(|(name, _)| *name).collect()
        } else {
            self.scenarios.iter().map(String::as_str).collect()
        };
        let scenarios: Vec<Scenario> = names
            .into_iter()
            .map(|s| self.warn.apply(Scenario::load(s).map_err(|e| e.to_string())?))
            .collect::<Result<_, _>>()?;
        let kernels: Vec<Kernel> = if self.kernels.is_empty() {
            Kernel::releases().collect()
        } else {
            self.kernels
                .iter()
                .map(|k| Kernel::parse(k).map_err(|e| format!("--kernels: {e}")))
                .collect::<Result<_, _>>()?
        };
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(ProgressStyle::with_template("{spinner} {msg} · {elapsed}").expect("valid template"));
        bar.enable_steady_tick(Duration::from_millis(120));
        let m = matrix(&scenarios, &kernels, &mut |sc, k| bar.set_message(format!("exploring {sc} on {k}")));
        bar.finish_and_clear();
        Ok(m)
    }
}

/// Exit 0 when every cell shows what its scenario's `[expect]` says (or it says nothing),
/// 1 when a cell differs.
pub fn run(args: MatrixArgs) -> Result<ExitCode, String> {
    let m = args.cells.compute()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&m).map_err(|e| e.to_string())?);
    } else {
        print_matrix(&m);
    }
    let mismatches = m.mismatches();
    if !args.json {
        for (sc, k, want, got) in &mismatches {
            println!("DIFFERS from [expect]: {sc} on {k}: expected {}, found {}", list(want), list(got));
        }
        println!(
            "\n{} scenarios × {} kernels in {:.1} s ({} explorations; kernels with the same fixes share one)",
            m.rows.len(),
            m.kernels.len(),
            m.elapsed.as_secs_f64(),
            m.explorations
        );
    }
    Ok(if mismatches.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn list(set: &std::collections::BTreeSet<String>) -> String {
    if set.is_empty() { "no failure".into() } else { set.iter().cloned().collect::<Vec<_>>().join(", ") }
}

/// What a line of the matrix says about a cell: its classes with their fewest preemptions
/// (witness lengths differ between kernels whose fixes add steps), and whether `[expect]`
/// holds.
fn shown(c: &Cell) -> (Vec<(&str, u32)>, Option<bool>) {
    (c.failures.iter().map(|f| (f.class.as_str(), f.preemptions)).collect(), c.matches())
}

/// One line per scenario and kernel group: consecutive kernels that show the same are
/// printed once, as a range, so the line reads as the race's history.
fn print_matrix(m: &Matrix) {
    for row in &m.rows {
        println!("{} (bound {})", row.scenario, row.bound);
        let mut i = 0;
        while i < row.cells.len() {
            let j =
                (i..row.cells.len()).take_while(|&j| shown(&row.cells[j]) == shown(&row.cells[i])).last().unwrap_or(i);
            let span = if i == j { m.kernels[i].clone() } else { format!("{} .. {}", m.kernels[i], m.kernels[j]) };
            let mark = if row.cells[i].matches() == Some(false) { "  ≠ [expect]" } else { "" };
            println!("    {span:<28} {}{mark}", row.cells[i].summary());
            i = j + 1;
        }
    }
}
