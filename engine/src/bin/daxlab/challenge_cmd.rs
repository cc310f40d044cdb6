//! `daxlab challenge FILE [TRACE]`: show a challenge, or check a saved run against it.

use daxlab::challenge::{Challenge, Goal};
use daxlab::trace::Trace;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ChallengeArgs {
    /// A challenge file (challenges/*.toml).
    challenge: PathBuf,
    /// A saved run (.daxtrace or .json) to check against the goal. Without one, the level is
    /// shown with how to play it (`daxlab play`).
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
    if let Some(q) = &c.question {
        println!("\nquestion: {}", q.text.trim());
        for (i, choice) in q.choices.iter().enumerate() {
            println!("  {}. {choice}", i + 1);
        }
    }
    let play = format!("daxlab play {}", args.challenge.display());
    let Some(path) = &args.trace else {
        match &c.goal {
            Goal::CannotFail { .. } => println!("\nprove it: {play} --bound N  (N: the preemption bound you choose)"),
            Goal::Reach { .. } => println!(
                "\nplay it: {play} (interactive), or {play} --schedule T1,T2,… -o RUN.daxtrace; then check a saved run: daxlab challenge {} RUN.daxtrace",
                args.challenge.display()
            ),
        }
        if c.question.is_some() {
            println!("answer it: {play} --answer N");
        }
        if !args.hints && !c.hints.is_empty() {
            println!("stuck? add --hints");
        }
        return Ok(ExitCode::SUCCESS);
    };
    let trace = Trace::load(path).map_err(|e| e.to_string())?;
    let verdict = c.check_trace(&trace);
    println!("\n{} {}", if verdict.passed { "PASSED:" } else { "NOT YET:" }, verdict.message);
    Ok(if verdict.passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
