//! Partial-order reduction against the unreduced search on small random programs.
//!
//! The programs run on the real executor but touch only a few cells, locks and flags of
//! their own, so that thousands of them explore in seconds: reads, writes, additions,
//! read-modify-writes, writes whose target depends on what the thread read, locks that
//! block, waits that can hang, assertions that halt, injected choices, a setup phase, steps
//! that declare no footprint (which must count as dependent with all). The
//! label of an execution is its whole final state, so "same labels" is as strong as it
//! gets; the test also demands the same set of Mazurkiewicz traces, each reached with the
//! same fewest preemptions.

use daxlab::explore::{DfsScheduler, DporScheduler, Traced};
use daxlab::footprint::{Mode, Obj, ObjKind, nothing, touch};
use daxlab::kernel::WaitOn;
use daxlab::sim::{Choice, Runtime, Scheduler, SimRuntime, SplitMix64, ThreadEnd, ThreadSpawn, Tid};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::Location;

const CELLS: u64 = 3;

#[derive(Copy, Clone, Debug)]
enum Op {
    Read(u64),
    Write(u64),
    /// mem[cell] += 1: a read-modify-write, declared as a write.
    Bump(u64),
    /// Writes the cell picked by what the thread has read so far.
    WriteAt,
    /// counter += tid + 1, which nobody reads during the run.
    Add,
    Lock(u64),
    Unlock(u64),
    /// Sleeps until the flag is set.
    Wait(u64),
    Signal(u64),
    /// Halts the run if the cell holds what the thread has read so far.
    Assert(u64),
    /// Reads every cell at once (one access spanning them all).
    Scan,
    /// Zeroes the cells from the given one on (one access spanning them).
    Clear(u64),
    Choose,
    /// Touches nothing shared, and says so.
    Local,
    /// mem[cell] += 1 without declaring anything, as model code no one taught to declare:
    /// the executor must treat the step as dependent with every other.
    Undeclared(u64),
}

#[derive(Default)]
struct Mem {
    cells: [i64; CELLS as usize],
    counter: i64,
    locks: [Option<u8>; 2],
    flags: [bool; 2],
}

/// Cells lie far apart in the object space, so that accesses to them fall in different
/// buckets of the executor's index and spans cross buckets.
const STRIDE: u64 = 700;

fn obj(kind: ObjKind, i: u64) -> Obj {
    match kind {
        ObjKind::Pmem => Obj::at(kind, 0, i * STRIDE),
        _ => Obj::at(kind, 0, i),
    }
}

fn access(kind: ObjKind, i: u64, mode: Mode) {
    touch(obj(kind, i), mode);
}

async fn sched(rt: &SimRuntime<'_>, tid: Tid) {
    rt.sched_point(tid, Location::caller(), false).await;
}

/// One step per operation, blocking ones one step per attempt (as the kernel's locks are).
async fn op(rt: &SimRuntime<'_>, mem: &RefCell<Mem>, tid: Tid, reg: &mut i64, op: Op) {
    sched(rt, tid).await;
    let me = i64::from(tid.0) + 1;
    match op {
        Op::Read(c) => {
            access(ObjKind::Pmem, c, Mode::Read);
            *reg = *reg * 3 + mem.borrow().cells[c as usize];
        }
        Op::Write(c) => {
            access(ObjKind::Pmem, c, Mode::Write);
            mem.borrow_mut().cells[c as usize] = *reg + me;
        }
        Op::Bump(c) => {
            access(ObjKind::Pmem, c, Mode::Write);
            mem.borrow_mut().cells[c as usize] += 1;
        }
        Op::WriteAt => {
            let c = reg.rem_euclid(CELLS as i64) as u64;
            access(ObjKind::Pmem, c, Mode::Write);
            mem.borrow_mut().cells[c as usize] = me * 10;
        }
        Op::Add => {
            access(ObjKind::MmCounter, 0, Mode::Add);
            mem.borrow_mut().counter += me;
        }
        Op::Lock(l) => loop {
            let free = mem.borrow().locks[l as usize].is_none();
            if free {
                access(ObjKind::Lock, l, Mode::Write);
                mem.borrow_mut().locks[l as usize] = Some(tid.0);
                break;
            }
            access(ObjKind::Lock, l, Mode::Read);
            rt.block(tid, WaitOn::Page { page: l as u32 });
            sched(rt, tid).await;
        },
        Op::Unlock(l) => {
            access(ObjKind::Lock, l, Mode::Write);
            mem.borrow_mut().locks[l as usize] = None;
            rt.unblock(WaitOn::Page { page: l as u32 });
        }
        Op::Wait(f) => loop {
            access(ObjKind::TaskState, f, Mode::Read);
            if mem.borrow().flags[f as usize] {
                break;
            }
            rt.block(tid, WaitOn::Page { page: 10 + f as u32 });
            sched(rt, tid).await;
        },
        Op::Signal(f) => {
            access(ObjKind::TaskState, f, Mode::Write);
            mem.borrow_mut().flags[f as usize] = true;
            rt.unblock(WaitOn::Page { page: 10 + f as u32 });
        }
        Op::Assert(c) => {
            access(ObjKind::Pmem, c, Mode::Read);
            if mem.borrow().cells[c as usize] == *reg % 4 + 1 {
                rt.halt();
            }
        }
        Op::Choose => *reg += i64::from(rt.choose(tid, Choice::PreloadEnomem, 2)),
        Op::Scan => {
            touch(Obj::all(ObjKind::Pmem, 0), Mode::Read);
            *reg += mem.borrow().cells.iter().sum::<i64>();
        }
        Op::Clear(c) => {
            touch(Obj { kind: ObjKind::Pmem, space: 0, lo: c * STRIDE, hi: (CELLS - 1) * STRIDE }, Mode::Write);
            mem.borrow_mut().cells[c as usize..].fill(0);
        }
        Op::Local => {
            nothing();
            *reg += 1;
        }
        Op::Undeclared(c) => mem.borrow_mut().cells[c as usize] += 1,
    }
}

struct Program {
    /// (phase, operations) per thread.
    threads: Vec<(u8, Vec<Op>)>,
}

/// Locks are taken and released in nested order, so a thread never ends holding one.
fn random_thread(rng: &mut SplitMix64) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut held: Vec<u64> = Vec::new();
    for _ in 0..2 + rng.below(4) {
        let o = match rng.below(15) {
            0 | 1 => Op::Read(rng.below(CELLS)),
            2 | 3 => Op::Write(rng.below(CELLS)),
            4 => Op::Bump(rng.below(CELLS)),
            5 => Op::WriteAt,
            6 => Op::Add,
            7 if held.len() < 2 => {
                let l = rng.below(2);
                if held.contains(&l) {
                    Op::Local
                } else {
                    held.push(l);
                    Op::Lock(l)
                }
            }
            8 => match rng.below(3) {
                0 => Op::Wait(rng.below(2)),
                _ => Op::Signal(rng.below(2)),
            },
            9 => Op::Assert(rng.below(CELLS)),
            10 => Op::Choose,
            11 => Op::Scan,
            12 => Op::Clear(rng.below(CELLS)),
            13 => Op::Undeclared(rng.below(CELLS)),
            _ => Op::Local,
        };
        ops.push(o);
        if !held.is_empty() && rng.below(3) == 0 {
            ops.push(Op::Unlock(held.pop().expect("held")));
        }
    }
    ops.extend(held.iter().rev().map(|&l| Op::Unlock(l)));
    ops
}

fn random_program(seed: u64) -> Program {
    let mut rng = SplitMix64::new(seed);
    let mut threads = Vec::new();
    if rng.below(4) == 0 {
        threads.push((0, vec![Op::Write(rng.below(CELLS)), Op::Signal(rng.below(2))]));
    }
    let racing = 2 + rng.below(2) as usize;
    for _ in 0..racing {
        threads.push((1, random_thread(&mut rng)));
    }
    Program { threads }
}

/// Runs the program once; None when the scheduler abandoned the run.
fn run(p: &Program, s: &mut dyn Scheduler) -> Option<(String, u32, u32)> {
    let mem = RefCell::new(Mem::default());
    let rt = SimRuntime::new(s, false);
    let spawns = p
        .threads
        .iter()
        .enumerate()
        .map(|(i, (phase, ops))| {
            let (rt, mem) = (&rt, &mem);
            ThreadSpawn {
                phase: *phase,
                future: Box::pin(async move {
                    let (tid, mut reg) = (Tid(i as u8), 0i64);
                    for &o in ops {
                        op(rt, mem, tid, &mut reg, o).await;
                    }
                    ThreadEnd::Exited
                }),
            }
        })
        .collect();
    let r = rt.run(spawns, 10_000);
    if r.abandoned {
        return None;
    }
    let m = mem.borrow();
    let label = format!(
        "cells {:?} counter {} flags {:?} done {:?} hung {:?} halted {}",
        m.cells,
        m.counter,
        m.flags,
        r.ends.iter().map(|e| e.is_some()).collect::<Vec<_>>(),
        r.hung,
        r.halted
    );
    Some((label, r.preemptions, r.steps))
}

/// label -> (fewest preemptions, fewest steps among those); trace -> fewest preemptions.
type Found = (BTreeMap<String, (u32, u32)>, BTreeMap<u128, u32>);

fn record(found: &mut Found, (label, p, s): (String, u32, u32), trace: u128) {
    let best = found.0.entry(label).or_insert((p, s));
    *best = (*best).min((p, s));
    let t = found.1.entry(trace).or_insert(p);
    *t = (*t).min(p);
}

fn unreduced(p: &Program, bound: u32) -> (Found, u64) {
    let mut found = Found::default();
    let mut dfs = Traced::new(DfsScheduler::new(bound));
    let mut n = 0;
    loop {
        let r = run(p, &mut dfs).expect("the unreduced search abandons nothing");
        assert!(r.1 <= bound);
        record(&mut found, r, dfs.trace_hash());
        n += 1;
        if !dfs.inner.next_execution() {
            return (found, n);
        }
    }
}

fn reduced(p: &Program, bound: u32) -> (Found, u64) {
    let mut found = Found::default();
    let mut dpor = DporScheduler::new(bound).counting_traces(true);
    let mut n = 0;
    loop {
        if let Some(r) = run(p, &mut dpor) {
            assert!(r.1 <= bound);
            record(&mut found, r, dpor.trace_hash());
            n += 1;
        }
        if !dpor.next_execution() {
            return (found, n);
        }
    }
}

#[test]
fn reduction_keeps_every_outcome_and_trace_at_its_fewest_preemptions() {
    let (mut all, mut kept) = (0, 0);
    let seeds: u64 = std::env::var("DPOR_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(150);
    for seed in 0..seeds {
        let p = random_program(seed);
        for bound in 0..=3 {
            let (want, n) = unreduced(&p, bound);
            let (got, m) = reduced(&p, bound);
            assert_eq!(got.0, want.0, "outcomes differ: seed {seed}, bound {bound}, program {:?}", p.threads);
            assert_eq!(got.1, want.1, "traces differ: seed {seed}, bound {bound}, program {:?}", p.threads);
            all += n;
            kept += m;
        }
    }
    // Not a timing claim: the reduction must actually reduce on programs like these.
    eprintln!("{kept} of {all} executions kept");
    assert!(kept * 2 < all, "{kept} of {all} executions kept");
}
