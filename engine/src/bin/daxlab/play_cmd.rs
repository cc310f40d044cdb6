//! `daxlab play`: be the scheduler from a terminal. Interactive by default (the state after
//! each step, the threads that can run and what each would do; type who runs next), or
//! non-interactive with `--schedule T1,T1,T2,…`. On a challenge file the engine's judge
//! gives the verdict. The run is the engine's [`Branch`], the same one the workbench's
//! "Be the scheduler" mode plays.

use super::kernel_args::KernelArgs;
use super::machine_args::MachineArgs;
use super::warn_args::WarnArgs;
use super::{play_repl, walkthrough};
use daxlab::analysis::{Timeline, describe_state};
use daxlab::challenge::{Branch, Challenge, Goal, MAX_PROOF_BOUND, Verdict, the_kernel};
use daxlab::trace::EventKind;
use daxlab::{Kernel, Scenario, Tid};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct PlayArgs {
    /// A built-in scenario (`daxlab scenarios`), a scenario .toml file, or a challenge file
    /// (challenges/*.toml).
    target: String,
    /// The kernel to play on (default for a scenario: unfixed, v4.11-rc5; a challenge names
    /// its own).
    #[command(flatten)]
    kernel: KernelArgs,
    /// The machine to play on (a challenge names its own).
    #[command(flatten)]
    machine: MachineArgs,
    /// (A challenge level says what its WARNs do; this is for scenarios.)
    #[command(flatten)]
    warn: WarnArgs,
    /// Play without asking: the picks, comma-separated. `T1` runs T1 one step, `T1*5` five
    /// steps, `T1:preload` until T1 has a `preload` event (any event kind name of the JSON
    /// trace format), `fail` makes the allocation just offered fail. A run left paused is
    /// finished without further preemptions.
    #[arg(long, value_name = "PICKS")]
    schedule: Option<String>,
    /// Save the run as a trace (.daxtrace, or .json for the JSON form).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// The answer to the level's question (the number of a choice).
    #[arg(long)]
    answer: Option<u32>,
    /// For a "cannot-fail" level: the preemption bound to explore every interleaving to
    /// (at most the proof limit; a larger one is bad usage, not a failed proof).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_PROOF_BOUND)))]
    bound: Option<u32>,
}

/// One move of the player.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// Run the thread this many steps.
    Run(Tid, u32),
    /// Run the thread until one of its steps has an event of this kind.
    Until(Tid, String),
    /// Make the choice just offered fail.
    Fail,
}

/// Reads a move: `T1`, `1`, `T1*5`, `T1:preload`, `fail`.
pub fn parse_move(b: &Branch, word: &str) -> Result<Move, String> {
    if word.eq_ignore_ascii_case("fail") {
        return Ok(Move::Fail);
    }
    let thread = |w: &str| {
        b.thread_named(w).ok_or_else(|| {
            format!(
                "`{w}` is not a thread of {} (its threads: {})",
                b.scenario.name,
                b.scenario.thread_names().join(", ")
            )
        })
    };
    if let Some((t, n)) = word.split_once('*') {
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| format!("`{word}`: the count after `*` must be a number from 1 to 10000"))?;
        return Ok(Move::Run(thread(t)?, n));
    }
    if let Some((t, kind)) = word.split_once(':') {
        if !EventKind::NAMES.contains(&kind) {
            return Err(format!(
                "`{word}`: `{kind}` is not an event kind (e.g. lock_acquire, lookup, preload, insert, replace, wait_begin, fallback, pmd_install, bug)"
            ));
        }
        return Ok(Move::Until(thread(t)?, kind.to_string()));
    }
    Ok(Move::Run(thread(word)?, 1))
}

/// Makes a move; returns what to tell the player about an injected failure, if any.
pub fn apply(b: &mut Branch, m: &Move) -> Result<Option<String>, String> {
    match m {
        Move::Run(t, n) => {
            for i in 0..*n {
                if let Err(e) = b.pick(*t) {
                    return if i == 0 { Err(e.to_string()) } else { Ok(None) };
                }
            }
            Ok(None)
        }
        Move::Until(t, kind) => b.run_until(*t, kind).map(|_| None).map_err(|e| e.to_string()),
        Move::Fail => b.inject().map(Some).map_err(|e| e.to_string()),
    }
}

/// What `play` was asked to play.
pub struct Game {
    pub branch: Branch,
    pub challenge: Option<Challenge>,
}

fn is_challenge(path: &Path) -> Result<bool, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.to_string().trim()))?;
    Ok(table.contains_key("challenge"))
}

fn load(args: &PlayArgs) -> Result<Game, String> {
    let path = Path::new(&args.target);
    let k = &args.kernel;
    let named = k.kernel.is_some() || k.variant.is_some() || !k.with.is_empty() || !k.without.is_empty();
    if args.target.ends_with(".toml") && path.is_file() && is_challenge(path)? {
        let c = Challenge::load(path).map_err(|e| e.to_string())?;
        if args.warn.on_warn.is_some_and(|w| w != c.scenario.on_warn) {
            return Err(format!(
                "{}: this level runs with on_warn = {}; --on-warn cannot change that",
                args.target, c.scenario.on_warn
            ));
        }
        let k = args.kernel.kernel(c.kernel)?;
        if named && k != c.kernel {
            return Err(format!(
                "{}: this level plays on {}, not on {}",
                args.target,
                the_kernel(c.kernel),
                the_kernel(k)
            ));
        }
        if args.machine.changes(&c.scenario) {
            return Err(format!("{}: this level plays on its own machine: {}", args.target, c.scenario.machine_text()));
        }
        let branch = Branch::new(c.scenario.clone(), c.kernel, Vec::new());
        return Ok(Game { branch, challenge: Some(c) });
    }
    let sc = args.machine.apply(Scenario::load(&args.target).map_err(|e| e.to_string())?)?;
    let sc = args.warn.apply(sc)?;
    let kernel = args.kernel.kernel(Kernel::UNFIXED)?;
    Ok(Game { branch: Branch::new(sc, kernel, Vec::new()), challenge: None })
}

pub fn run(args: PlayArgs) -> Result<ExitCode, String> {
    let mut game = load(&args)?;
    if let (Some(_), None) = (&args.answer, game.challenge.as_ref().and_then(|c| c.question.as_ref())) {
        return Err("--answer is for a level with a question".into());
    }
    let proof_only = game.challenge.as_ref().is_some_and(|c| matches!(c.goal, Goal::CannotFail { .. }));
    match &args.schedule {
        Some(s) => scripted(&mut game, s, &args),
        // A proof level played from the shell needs no run: the bound is the move.
        None if proof_only && args.bound.is_some() => {
            if let Some(c) = &game.challenge {
                println!("Level {}: {}\ngoal: {}", c.level, c.title, c.goal_text());
            }
            Ok(judge(&game, args.answer, args.bound))
        }
        None => play_repl::interactive(&mut game, &args.output),
    }
}

/// `--schedule`: every move in order, then the run finished, saved and judged.
fn scripted(game: &mut Game, schedule: &str, args: &PlayArgs) -> Result<ExitCode, String> {
    let b = &mut game.branch;
    for (i, word) in schedule.split(',').map(str::trim).filter(|w| !w.is_empty()).enumerate() {
        let m = parse_move(b, word).map_err(|e| format!("--schedule, pick {}: {e}", i + 1))?;
        apply(b, &m).map_err(|e| format!("--schedule, pick {} (`{word}`): {e}", i + 1))?;
    }
    if b.ex.paused.is_some() {
        println!("(the run was still going; it is finished without further preemptions)");
        b.finish();
    }
    let p = b.ex.preemptions;
    println!(
        "{} on {}: {} steps, {p} preemption{}{}, outcome: {}",
        b.scenario.name,
        the_kernel(b.kernel),
        b.ex.steps,
        if p == 1 { "" } else { "s" },
        b.scenario.fewer_cpus().map(|c| format!(" on {c}")).unwrap_or_default(),
        b.ex.outcome
    );
    if let Some(path) = &args.output {
        save(b, path)?;
    }
    Ok(judge(game, args.answer, args.bound))
}

pub fn save(b: &Branch, path: &Path) -> Result<(), String> {
    b.finished_trace().save(path).map_err(|e| e.to_string())?;
    println!("saved {} (replay it: daxlab explain {})", path.display(), path.display());
    Ok(())
}

/// Prints the events from event `from` on, narrated, with the switches between them.
pub fn tell(b: &Branch, from: usize) {
    walkthrough::print_from(&b.ex.events, &b.ex.switches, &b.scenario.thread_names(), "  ", from);
}

/// The machine as the run has left it: tree, locks, waiters, threads, page tables.
pub fn state_text(b: &Branch) -> String {
    let timeline = Timeline::new(&b.scenario, b.kernel, b.ex.events.clone());
    describe_state(&timeline.after_events(b.ex.events.len()), &b.scenario.thread_names())
}

fn print_verdict(what: &str, v: &Verdict) {
    println!("{what}{} {}", if v.passed { "PASSED:" } else { "NOT YET:" }, v.message);
}

/// The engine's verdicts on everything the level asks; exit 0 when all pass. Without a
/// challenge, exit 1 when the run failed (as `daxlab explore` does), else 0.
pub fn judge(game: &Game, answer: Option<u32>, bound: Option<u32>) -> ExitCode {
    let b = &game.branch;
    let Some(c) = &game.challenge else {
        return if b.ex.outcome.is_failure() { ExitCode::from(1) } else { ExitCode::SUCCESS };
    };
    let mut all = true;
    match &c.goal {
        Goal::Reach { .. } => {
            let v = c.check_execution(b.kernel, &b.ex);
            print_verdict("run: ", &v);
            all &= v.passed;
        }
        Goal::CannotFail { .. } => match bound {
            Some(n) => {
                let v = c.prove(n);
                print_verdict("proof: ", &v);
                all &= v.passed;
            }
            None => {
                println!("proof: NOT YET: choose the bound to explore to: --bound N (interactively: prove N)");
                all = false;
            }
        },
    }
    if c.question.is_some() {
        match answer {
            Some(n) => {
                let v = c.check_answer(n);
                print_verdict("answer: ", &v);
                all &= v.passed;
            }
            None => {
                println!("answer: NOT YET: the level asks a question: --answer N (interactively: answer N)");
                all = false;
            }
        }
    }
    if all { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
