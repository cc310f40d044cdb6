//! `daxlab challenge FILE [TRACE]`: show a challenge, or check a saved run against it.

use daxlab::challenge::{Challenge, Goal};
use daxlab::trace::Trace;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ChallengeArgs {
    /// A challenge file (challenges/*.toml).
    challenge: PathBuf,
    /// A saved run (.daxtrace or .json) to check against the goal. Without one, a
    /// "cannot-fail" goal is checked by exhaustive exploration and a "reach" goal is shown.
    trace: Option<PathBuf>,
    /// Also print the hints.
    #[arg(long)]
    hints: bool,
}

pub fn run(args: ChallengeArgs) -> Result<ExitCode, String> {
    let c = Challenge::load(&args.challenge).map_err(|e| e.to_string())?;
    println!("Level {}: {}", c.level, c.title);
    println!("{}\n", c.story.trim());
    println!("goal: {} (scenario {})", c.goal_text(), c.scenario.name);
    if args.hints {
        for (i, h) in c.hints.iter().enumerate() {
            println!("hint {}: {h}", i + 1);
        }
    }
    let verdict = match (&args.trace, &c.goal) {
        (Some(path), _) => {
            let trace = Trace::load(path).map_err(|e| e.to_string())?;
            c.check_trace(&trace)
        }
        (None, Goal::CannotFail { .. }) => c.prove().expect("a cannot-fail goal"),
        (None, Goal::Reach { .. }) => {
            println!(
                "\nplay it in the workbench (\"Be the scheduler\"), save your run, then: daxlab challenge {} RUN.daxtrace",
                args.challenge.display()
            );
            if !args.hints && !c.hints.is_empty() {
                println!("stuck? add --hints");
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    println!("\n{} {}", if verdict.passed { "PASSED:" } else { "NOT YET:" }, verdict.message);
    Ok(if verdict.passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
