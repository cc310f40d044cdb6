//! peers-report: runs daxlab, loom and shuttle on the seed race and prints one Markdown
//! table (docs/performance.md, "Peers"). Everything runs in this process, release build.
//!
//!     engine/peers/run.sh [--runs N] [--seeds N] [--random-cap N] [--dfs-cap N] [--bounds 2,3,4]

mod quiet;
mod runs;
mod shuttle_runs;

use crate::runs::Variant;
use runs::Row;
use std::process::ExitCode;

struct Args {
    /// Timed runs per deterministic search (the median is reported).
    runs: usize,
    /// Seeds for the randomised searches (PCT, uniform random).
    seeds: u64,
    /// Most runs from one seed before a randomised search gives up.
    random_cap: usize,
    /// Executions after which shuttle's unbounded DFS is stopped.
    dfs_cap: usize,
    /// Preemption bounds for the complete searches of the fixed kernel.
    bounds: Vec<u32>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { runs: 5, seeds: 100, random_cap: 10_000, dfs_cap: 100_000, bounds: vec![2, 3, 4] };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|_| format!("{flag}: not a number: {v}"));
        match flag.as_str() {
            "--runs" => args.runs = number(&value)? as usize,
            "--seeds" => args.seeds = number(&value)?,
            "--random-cap" => args.random_cap = number(&value)? as usize,
            "--dfs-cap" => args.dfs_cap = number(&value)? as usize,
            "--bounds" => {
                args.bounds = value.split(',').map(|b| number(b).map(|n| n as u32)).collect::<Result<_, _>>()?;
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(args)
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split(':').nth(1)))
        .map_or("unknown CPU".to_string(), |m| m.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn measure_all(args: &Args) -> Result<Vec<Row>, String> {
    let sc = daxlab::scenario::builtin("seed-race")
        .ok_or("the built-in seed-race is missing")?
        .map_err(|e| format!("seed-race: {e}"))?;
    let quiet = quiet::Quiet::new().map_err(|e| format!("cannot redirect stderr: {e}"))?;
    let mut rows = Vec::new();
    let mut row = |what: &str, measure: &mut dyn FnMut() -> Row| {
        quiet.say(&format!("peers-report: {what}"));
        rows.push(measure());
    };
    row("unfixed, daxlab", &mut || runs::daxlab_first_failure(&sc, 2, args.runs));
    row("unfixed, loom", &mut || runs::loom_search(Variant::Unfixed, 2, args.runs));
    row("unfixed, shuttle DFS", &mut || shuttle_runs::dfs(Variant::Unfixed, args.dfs_cap, args.runs));
    for depth in [2, 3] {
        row(&format!("unfixed, shuttle PCT depth {depth}"), &mut || {
            shuttle_runs::pct_first_failure(depth, args.seeds, args.random_cap)
        });
    }
    row("unfixed, shuttle random", &mut || shuttle_runs::random_first_failure(args.seeds, args.random_cap));
    for &bound in &args.bounds {
        row(&format!("fixed, daxlab bound {bound}"), &mut || runs::daxlab_exhaust(&sc, bound, args.runs));
        row(&format!("fixed, loom bound {bound}"), &mut || runs::loom_search(Variant::Fixed, bound, args.runs));
    }
    // loom counts T2 running first as a preemption (T1 is its main thread), daxlab does not:
    // loom's bound k+1 covers every schedule of daxlab's bound k.
    if let Some(&top) = args.bounds.iter().max() {
        row(&format!("fixed, loom bound {}", top + 1), &mut || runs::loom_search(Variant::Fixed, top + 1, args.runs));
    }
    row("fixed, loom without a bound", &mut runs::loom_unbounded);
    row("fixed, shuttle DFS", &mut || shuttle_runs::dfs(Variant::Fixed, args.dfs_cap, args.runs));
    for depth in [2, 3] {
        row(&format!("fixed, shuttle PCT depth {depth}"), &mut || shuttle_runs::pct_fixed(depth, args.random_cap));
    }
    Ok(rows)
}

fn print_table(rows: &[Row]) {
    println!(
        "| kernel | search | tool | executions | time | CPU time | CPU per execution | steps per execution | result |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.kernel,
            r.search,
            r.tool,
            r.executions,
            r.time,
            r.cpu,
            r.time_per_execution,
            r.ops_per_execution,
            r.result
        );
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("peers-report: {e}");
            return ExitCode::from(2);
        }
    };
    let load_before = load();
    let rows = match measure_all(&args) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("peers-report: {e}");
            return ExitCode::from(2);
        }
    };
    println!("machine: {}; load average (1, 5, 15 min) before: {load_before}, after: {}", machine(), load());
    println!(
        "deterministic searches: median of {} timed runs after one warm-up; randomised ones: \
         one search per seed, {} seeds, at most {} runs each; shuttle's DFS stops after {} \
         executions",
        args.runs, args.seeds, args.random_cap, args.dfs_cap
    );
    println!();
    print_table(&rows);
    ExitCode::SUCCESS
}
