//! xfstests generic/340 as it ran in April 2017: `holetest -f FILE 1`, `16` and `256` in
//! turn; each holetest makes three fresh files (zero-filled, posix_fallocate, ftruncate),
//! maps each shared and has two threads store their ids at offsets 1024 and 3072 of every
//! page, then verifies through the mapping. One iteration passes only if the output matches
//! 340.out, no marker is lost, no fault raised SIGBUS or OOM, and no invariant fired
//! (the model's _check_dmesg).

use super::verify::{Verification, verify};
use super::{Mismatch, Perturb, RealConfig, run_real, to_trace};
use crate::check::{Note, Outcome};
use crate::pmem::PmemBackend;
use crate::release::Kernel;
use crate::scenario::{Holetest, HoletestFile, Scenario};
use crate::sim::SplitMix64;
use crate::trace::Trace;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::time::{Duration, Instant};

/// The workload and how to run it.
#[derive(Clone, Debug)]
pub struct Generic340 {
    pub kernel: Kernel,
    /// holetest's FILESIZEinMB, one invocation each (generic/340: 1, 16, 256).
    pub sizes_mib: Vec<u64>,
    /// holetest's THREADS (2).
    pub threads: u32,
    /// -F: processes with their own page tables (generic/345's shape).
    pub fork: bool,
    pub perturb: f64,
    pub seed: u64,
    /// Record events and step order, so that a failing race becomes a trace.
    pub record: bool,
}

/// One holetest race (one file kernel of one size).
#[derive(Debug)]
pub struct Race {
    pub size: u64,
    pub file: HoletestFile,
    pub outcome: Outcome,
    pub notes: BTreeSet<Note>,
    /// What holetest printed for this file, from "INFO: sz = ..." on.
    pub lines: Vec<String>,
    /// holetest died or hung in this race: the rest of its invocation did not run.
    pub killed: bool,
    pub verification: Option<Verification>,
    pub faults: u64,
    pub steps: u32,
    pub elapsed: Duration,
    pub scenario: Scenario,
    /// For a failed race of a recorded run: its trace, or why there is none.
    pub trace: Option<Result<Trace, Mismatch>>,
}

impl Race {
    pub fn failed(&self) -> bool {
        self.outcome.is_failure()
            || self.killed
            || self.verification.as_ref().is_none_or(|v| !v.error_lines.is_empty() || !v.problems.is_empty())
    }

    /// The outcome class with its notes, as exploration labels them.
    pub fn label(&self) -> String {
        if self.notes.is_empty() {
            return self.outcome.class();
        }
        let notes: Vec<String> = self.notes.iter().map(|n| n.to_string()).collect();
        format!("{} [{}]", self.outcome.class(), notes.join(", "))
    }

    /// Markers checked and lost (holetest's errors plus the other read-backs' mismatches).
    pub fn markers(&self) -> (u64, u64) {
        self.verification.as_ref().map_or((0, 0), |v| (v.checked, (v.error_lines.len() + v.problems.len()) as u64))
    }
}

/// One run of generic/340.
#[derive(Debug)]
pub struct Iteration {
    pub index: u32,
    pub races: Vec<Race>,
    /// Everything holetest printed, in 340.out's shape.
    pub output: String,
    pub passed: bool,
    pub elapsed: Duration,
}

impl Generic340 {
    /// The generic/340 defaults: sizes 1, 16 and 256 MiB, two threads.
    pub fn new(kernel: Kernel) -> Self {
        Generic340 {
            kernel,
            sizes_mib: vec![1, 16, 256],
            threads: 2,
            fork: false,
            perturb: 0.0,
            seed: 0,
            record: false,
        }
    }

    fn holetest(&self, size_mib: u64, file: HoletestFile) -> Holetest {
        Holetest { size: size_mib << 20, file, threads: self.threads, fork: self.fork }
    }

    /// Bytes of pmem the largest machine needs.
    pub fn pmem_need(&self) -> u64 {
        let largest = self.sizes_mib.iter().copied().max().unwrap_or(1);
        self.holetest(largest, HoletestFile::Ftruncate).scenario().map_or(0, |sc| sc.pmem_capacity())
    }

    /// 340.out for these sizes and threads: what a passing run prints.
    pub fn expected_output(&self) -> String {
        let mut out = String::from("QA output created by 340\n");
        for &size in &self.sizes_mib {
            for file in HoletestFile::ALL {
                let _ = writeln!(out, "\nINFO: {} test...", file.name());
                for line in self.prologue(size << 20) {
                    let _ = writeln!(out, "{line}");
                }
                let _ = writeln!(out, "INFO: 0 error(s) detected");
            }
        }
        out
    }

    /// "INFO: sz = ..." and the "created" lines, printed in thread order whatever the
    /// threads do (holetest prints each after its pthread_create).
    fn prologue(&self, size: u64) -> Vec<String> {
        let what = if self.fork { "process" } else { "thread" };
        let mut lines = vec![format!("INFO: sz = {size}")];
        lines.extend((0..self.threads).map(|i| format!("INFO: {what} {i} created")));
        lines
    }

    /// Runs iteration `index` (numbered from 1) over `pmem`.
    pub fn run_iteration(&self, index: u32, pmem: &PmemBackend) -> Iteration {
        let started = Instant::now();
        let mut out = String::from("QA output created by 340\n");
        let mut races = Vec::new();
        for (si, &size) in self.sizes_mib.iter().enumerate() {
            for (fi, file) in HoletestFile::ALL.into_iter().enumerate() {
                let _ = writeln!(out, "\nINFO: {} test...", file.name());
                let seed = race_seed(self.seed, index, (si * 3 + fi) as u64);
                let race = self.run_race(size, file, seed, pmem);
                for line in &race.lines {
                    let _ = writeln!(out, "{line}");
                }
                let killed = race.killed;
                races.push(race);
                if killed {
                    break;
                }
            }
        }
        let passed = out == self.expected_output() && races.iter().all(|r| !r.failed());
        Iteration { index, races, output: out, passed, elapsed: started.elapsed() }
    }

    fn run_race(&self, size_mib: u64, file: HoletestFile, seed: u64, pmem: &PmemBackend) -> Race {
        let ht = self.holetest(size_mib, file);
        let sc = ht.scenario().expect("holetest scenarios are valid for any size up to 1 GiB");
        let k = sc.build_on(self.kernel, pmem.region(sc.pmem_capacity()));
        let cfg = RealConfig { perturb: Perturb { probability: self.perturb, seed }, ..RealConfig::new(self.record) };
        let real = run_real(&sc, &k, &cfg);
        let faults = k.obs.with(|o| o.faults);
        let mut lines = self.prologue(ht.size);
        let clean = real.clean(&k);
        let verification = clean.then(|| {
            let worker_mm = sc.processes.iter().position(|p| !p.setup).expect("holetest has workers");
            verify(&k, &k.mms[worker_mm], &ht, pmem.file())
        });
        let outcome = real.classify(&k);
        let killed = !clean;
        if killed {
            lines.push(death(&outcome).to_string());
        }
        if let Some(v) = &verification {
            lines.extend(v.error_lines.iter().cloned());
            lines.push(format!("INFO: {} error(s) detected", v.error_lines.len()));
        }
        let mut race = Race {
            size: ht.size,
            file,
            outcome,
            notes: k.obs.with(|o| o.notes.clone()),
            lines,
            killed,
            verification,
            faults,
            steps: real.steps,
            elapsed: real.elapsed,
            scenario: sc,
            trace: None,
        };
        if self.record && race.failed() {
            race.trace = Some(to_trace(&race.scenario, self.kernel, &real, &pmem.describe()));
        }
        race
    }
}

/// How a race that did not finish cleanly ended holetest, as the shell would report it: a
/// fault returning SIGBUS kills it with "Bus error"; an oops in its fault (an invariant
/// firing during the race) kills it too; a hang never returns.
fn death(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Sigbus { .. } => "Bus error",
        Outcome::Oom { .. } => "Killed",
        Outcome::Hang { .. } | Outcome::Livelock { .. } => "(holetest never returned)",
        Outcome::Bug { .. } | Outcome::Ok | Outcome::DataLoss { .. } => "Segmentation fault",
        // A WARN only prints: what happened after it is what holetest saw.
        Outcome::Warned { then, .. } => death(then),
    }
}

/// A different, reproducible perturbation seed for every race of every iteration.
fn race_seed(seed: u64, iteration: u32, race: u64) -> u64 {
    SplitMix64::new(seed ^ (u64::from(iteration) << 20) ^ race).next_u64()
}
