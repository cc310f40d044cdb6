//! The interactive side of `daxlab play`: one line per command on standard input, so a
//! person at a terminal and a test feeding stdin play the same way.

use super::play_cmd::{Game, Move, apply, judge, parse_move, save, state_text, tell};
use daxlab::challenge::{Goal, Verdict};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP: &str = "\
commands:
  T1            run T1 one step (a thread's name, or its number: 1)
  T1 5          run T1 five steps (also: T1*5)
  T1 until KIND run T1 until it has an event of that kind (also: T1:KIND), e.g.
                T1 until preload · T2 until replace · T1 until wait_begin · T1 until bug
  fail          make the allocation just offered fail (shown when one is offered)
  undo          take back your last pick      restart   back to step 0
  state         the machine now               finish    run to the end without preemptions
  save FILE     save the run as a trace       goal      what the level asks
  hint          the next hint                 answer N  answer the level's question
  prove N       explore every interleaving with at most N preemptions (\"cannot fail\" levels)
  help          this list                     quit      stop (also: end of input)";

/// Player-side state that is not the run itself.
struct Session {
    /// Events already told.
    told: usize,
    hints: usize,
    answer: Option<u32>,
    bound: Option<u32>,
}

pub fn interactive(game: &mut Game, output: &Option<PathBuf>) -> Result<ExitCode, String> {
    intro(game);
    let mut s = Session { told: 0, hints: 0, answer: None, bound: None };
    turn(game, &mut s);
    let stdin = std::io::stdin();
    // Commands read from a file or a pipe are echoed, so the transcript shows them.
    let echo = !stdin.is_terminal();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| format!("standard input: {e}"))?;
        if echo {
            println!("{line}");
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if matches!(words.as_slice(), ["quit" | "q" | "exit"]) {
            break;
        }
        if command(game, &mut s, &words) {
            turn(game, &mut s);
        } else {
            prompt();
        }
    }
    println!();
    let b = &mut game.branch;
    if b.ex.paused.is_some() {
        b.finish();
        println!("(the run is finished without further preemptions: {})", b.ex.outcome);
    }
    if let Some(path) = output {
        save(b, path)?;
    }
    Ok(judge(game, s.answer, s.bound))
}

fn prompt() {
    print!("> ");
    let _ = std::io::stdout().flush();
}

fn intro(game: &Game) {
    let b = &game.branch;
    match &game.challenge {
        Some(c) => {
            println!("Level {}: {}", c.level, c.title);
            println!("{}\n", c.story.trim());
            println!("goal: {}", c.goal_text());
            if let Some(q) = &c.question {
                println!("\nquestion: {}", q.text.trim());
                for (i, choice) in q.choices.iter().enumerate() {
                    println!("  {}. {choice}", i + 1);
                }
            }
        }
        None => println!("{} — {}", b.scenario.name, b.scenario.description),
    }
    println!(
        "\n{} on the {}; {}.\nYou are the scheduler; `help` lists the commands.\n",
        b.scenario.name,
        b.kernel.describe(),
        b.scenario.machine_text()
    );
}

/// Tells what happened since the last turn, the machine, and who can run next.
fn turn(game: &Game, s: &mut Session) {
    let b = &game.branch;
    s.told = s.told.min(b.ex.events.len());
    tell(b, s.told);
    s.told = b.ex.events.len();
    let Some(p) = &b.ex.paused else {
        let on = b.scenario.fewer_cpus().map(|c| format!(" on {c}")).unwrap_or_default();
        println!(
            "\nthe run is over after {} steps, {} preemption(s){on}: {}",
            b.ex.steps, b.ex.preemptions, b.ex.outcome
        );
        if let Some(c) = game.challenge.as_ref().filter(|c| matches!(c.goal, Goal::Reach { .. })) {
            verdict("run: ", &c.check_execution(b.kernel, &b.ex));
        }
        println!("(`undo` to go back, `save FILE` to keep it, `quit` to stop)");
        prompt();
        return;
    };
    println!();
    for line in state_text(b).lines() {
        println!("  │ {line}");
    }
    println!("step {}: who runs next? ({} preemption(s) so far)", p.step, b.ex.preemptions);
    let names = b.scenario.thread_names();
    for peek in b.peek() {
        let note = peek.cost(&names).map(|c| format!("   ({c})")).unwrap_or_default();
        println!("  {:<4} would: {}{note}", b.name(peek.tid), peek.what);
    }
    if let Some(what) = b.injectable() {
        println!("  fail  {what}");
    }
    prompt();
}

fn verdict(what: &str, v: &Verdict) {
    println!("{what}{} {}", if v.passed { "PASSED:" } else { "NOT YET:" }, v.message);
}

/// Runs one command; true when the run changed (a new turn is told).
fn command(game: &mut Game, s: &mut Session, words: &[&str]) -> bool {
    let b = &mut game.branch;
    let mv = match words {
        [] => return false,
        ["help" | "?"] => return say(HELP),
        ["state"] => return say(&state_text(b)),
        ["undo"] => {
            b.undo();
            s.told = usize::MAX;
            return true;
        }
        ["restart"] => {
            b.restart();
            s.told = 0;
            return true;
        }
        ["finish"] => {
            b.finish();
            return true;
        }
        ["save", path] => return report(save(b, Path::new(path))),
        ["goal" | "hint" | "answer" | "prove", ..] => return level(game, s, words),
        [t, "until", kind] => parse_move(b, &format!("{t}:{kind}")),
        [t, n] if n.parse::<u32>().is_ok() => parse_move(b, &format!("{t}*{n}")),
        [w] => parse_move(b, w),
        _ => Err(format!("`{}`: not a command (`help` lists them)", words.join(" "))),
    };
    match mv.and_then(|m| apply(b, &m).map(|said| (m, said))) {
        Ok((Move::Fail, Some(what))) => {
            println!("injected: {what}");
            true
        }
        Ok(_) => true,
        Err(e) => say(&e),
    }
}

fn say(text: &str) -> bool {
    println!("{text}");
    false
}

fn report(r: Result<(), String>) -> bool {
    if let Err(e) = r {
        println!("{e}");
    }
    false
}

/// `goal`, `hint`, `answer N`, `prove N`: the level's side of the game.
fn level(game: &Game, s: &mut Session, words: &[&str]) -> bool {
    let Some(c) = &game.challenge else { return say("this is free play: no level, no goal") };
    match words {
        ["goal"] => say(&format!("goal: {}", c.goal_text())),
        ["hint"] => match c.hints.get(s.hints) {
            Some(h) => {
                s.hints += 1;
                say(&format!("hint {}: {h}", s.hints))
            }
            None => say("no more hints"),
        },
        ["answer", n] => match n.parse::<u32>() {
            Ok(n) if c.question.is_some() => {
                s.answer = Some(n);
                verdict("answer: ", &c.check_answer(n));
                false
            }
            Ok(_) => say("this level asks no question"),
            Err(_) => say("answer N: N is the number of a choice"),
        },
        ["prove", n] => match (n.parse::<u32>(), &c.goal) {
            (Ok(n), Goal::CannotFail { .. }) => {
                s.bound = Some(n);
                println!("exploring every interleaving with at most {n} preemption(s)…");
                verdict("proof: ", &c.prove(n));
                false
            }
            (Ok(_), _) => say("this level wants a run of yours, not a proof"),
            (Err(_), _) => say("prove N: N is a preemption bound"),
        },
        _ => say("goal · hint · answer N · prove N"),
    }
}
