//! Human-readable tables.

use daxlab::explore::{ExploreReport, OutcomeRow};
use daxlab::scenario::{BUILTINS, builtin};

pub fn list_scenarios() {
    let width = BUILTINS.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, _) in BUILTINS {
        let description = match builtin(name) {
            Some(Ok(sc)) => sc.description,
            Some(Err(e)) => format!("(does not load: {e})"),
            None => String::new(),
        };
        println!("{name:width$}  {description}");
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn rate(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.2} M", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} k", n / 1e3)
    } else {
        format!("{n:.0} ")
    }
}

fn witness_cell(row: &OutcomeRow) -> String {
    let w = &row.witness;
    let p = if w.preemptions == 1 { "preemption" } else { "preemptions" };
    match w.seed {
        Some(seed) => format!("{} {p}, {} steps, seed {seed:#x}", w.preemptions, w.steps),
        None => format!("{} {p}, {} steps", w.preemptions, w.steps),
    }
}

pub fn print_report(r: &ExploreReport) {
    let bound_cols = r.bound.map_or(0, |b| b as usize + 1);
    let label_w = r.rows.iter().map(|row| row.label.chars().count()).max().unwrap_or(7).max(7);
    let mut header = format!("  {:label_w$}  {:>10}", "outcome", "executions");
    for p in 0..bound_cols {
        header.push_str(&format!("  {:>7}", format!("{p} pre.")));
    }
    header.push_str("  first witness");
    println!("{header}");
    for row in &r.rows {
        let mark = if row.failure { "✗" } else { " " };
        let mut line = format!("{mark} {:label_w$}  {:>10}", row.label, thousands(row.executions));
        for p in 0..bound_cols {
            let n = row.by_preemptions.get(p).copied().unwrap_or(0);
            let cell = if n == 0 { "-".to_string() } else { thousands(n) };
            line.push_str(&format!("  {cell:>7}"));
        }
        line.push_str(&format!("  {}", witness_cell(row)));
        println!("{line}");
    }
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    println!(
        "\n  {} executions · {} scheduling steps · {:.3} s · {}executions/s · {}steps/s{}",
        thousands(r.executions),
        thousands(r.steps),
        secs,
        rate(r.executions as f64 / secs),
        rate(r.steps as f64 / secs),
        if r.complete { " · search complete" } else { " · STOPPED EARLY (--max-executions)" }
    );
    if r.abandoned > 0 {
        println!(
            "  {} more executions ended early as covered by others (partial-order reduction)",
            thousands(r.abandoned)
        );
    }
    if let Some(t) = r.traces {
        let per = if t == 0 { 0.0 } else { r.executions as f64 / t as f64 };
        println!("  {} distinct Mazurkiewicz traces · {per:.2} executions per trace", thousands(t));
    }
}
