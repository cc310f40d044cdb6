//! The happens-before order of one execution, built step by step from footprints.
//!
//! A step happens before another when they are of one thread in program order, when they
//! conflict (touch one object, a write among them; see [`Access::conflicts`]) in that
//! order, when an earlier phase ended before a later one began, or through a chain of
//! these. An invariant firing ends the execution and so stops every other thread: it is
//! ordered after everything before it. Each step gets a vector clock (how many steps of
//! each thread happen before or at it), from which two things follow:
//!
//! - races: an earlier step of another thread that conflicts with a step and is not
//!   ordered before the step's own thread's previous one (Flanagan and Godefroid's
//!   condition, which holds for every pair of conflicting steps with nothing of their own
//!   between them);
//! - a hash of the Mazurkiewicz trace: the same for every execution that only reorders
//!   independent steps, different (up to 128-bit collisions) otherwise.

use super::touches::Touches;
use crate::sim::{Access, Mode, StepInfo, Tid};

#[derive(Copy, Clone)]
struct StepRec {
    tid: u8,
    /// Index of the step among its thread's steps.
    nth: u32,
}

#[derive(Default)]
pub struct Hb {
    threads: usize,
    phases: Vec<u8>,
    steps: Vec<StepRec>,
    /// Vector clocks, `threads` entries per step.
    clocks: Vec<u32>,
    last: Vec<Option<u32>>,
    count: Vec<u32>,
    /// Per thread: a hash of its steps so far, each with its vector clock.
    prefix: Vec<Hash128>,
    hashing: bool,
    touches: Touches,
    scratch: Vec<u32>,
    before: Vec<u32>,
    seen: Vec<u32>,
}

impl Hb {
    /// Whether to keep the trace hash (it costs a few multiplications per step).
    pub fn hashing(mut self, on: bool) -> Self {
        self.hashing = on;
        self
    }

    /// Starts a new execution of threads in the given phases.
    pub fn begin(&mut self, phases: &[u8]) {
        let n = phases.len();
        self.threads = n;
        self.phases.clear();
        self.phases.extend_from_slice(phases);
        self.steps.clear();
        self.clocks.clear();
        self.last.clear();
        self.last.resize(n, None);
        self.count.clear();
        self.count.resize(n, 0);
        self.prefix.clear();
        self.prefix.resize(n, Hash128::default());

        self.touches.clear();
    }

    /// Steps so far: the number the next one gets.
    pub fn steps(&self) -> u32 {
        self.steps.len() as u32
    }

    /// Adds the next step and calls `race(s)` for every earlier step `s` that races with
    /// it (see the module doc).
    pub fn push(&mut self, s: &StepInfo<'_>, mut race: impl FnMut(u32)) {
        let (tid, accesses, choices, halted) = (s.tid, s.accesses, s.choices, s.halted);
        let t = tid.index();
        let step = self.steps.len() as u32;
        self.start_clock(t);
        // `before` is the clock of the thread's previous step (with the phase order): a
        // conflicting step not in it races with this one.
        self.before.clone_from(&self.scratch);
        for a in accesses {
            self.order_after_touches(t, a, &mut race);
        }
        if halted {
            for u in 0..self.threads {
                if let Some(l) = self.last[u].filter(|_| u != t) {
                    if !self.in_before(l) {
                        race(l);
                    }
                    self.join(l);
                }
            }
        }
        let nth = self.count[t];
        self.scratch[t] = nth + 1;
        self.clocks.extend_from_slice(&self.scratch);
        self.steps.push(StepRec { tid: tid.0, nth });

        self.last[t] = Some(step);
        self.count[t] += 1;
        if self.hashing {
            self.hash_step(t, accesses, choices, halted);
        }
        for a in accesses {
            self.touches.add(a, step);
        }
    }

    /// Whether any access in `accesses` conflicts with a step of a thread other than `tid`
    /// numbered `from..to`.
    pub fn conflicts_with_steps(&self, tid: Tid, accesses: &[Access], from: u32, to: u32) -> bool {
        accesses.iter().any(|a| {
            let mut hit = false;
            self.touches.visit(a, |x| {
                hit |= (from..to).contains(&x.step)
                    && self.steps[x.step as usize].tid != tid.0
                    && a.conflicts(&x.access(&a.obj));
                !hit
            });
            hit
        })
    }

    /// A step is hashed with its vector clock, which pins down what it comes after: a
    /// thread's running hash then describes its part of the partial order.
    fn hash_step(&mut self, t: usize, accesses: &[Access], choices: &[u32], halted: bool) {
        let mut h = Hash128::default();
        h.mix(t as u64);
        for a in accesses {
            h.mix_access(a);
        }
        for c in choices {
            h.mix(u64::from(*c) | 1 << 40);
        }
        h.mix(u64::from(halted) | 2 << 40);
        for c in &self.scratch {
            h.mix(u64::from(*c));
        }
        self.prefix[t].mix(h.0);
        self.prefix[t].mix(h.1);
    }

    /// The Mazurkiewicz trace of the execution so far (when hashing; see [`Hb::hashing`]).
    pub fn trace_hash(&self) -> u128 {
        let mut h = Hash128::default();
        for p in &self.prefix {
            h.mix(p.0);
            h.mix(p.1);
        }
        u128::from(h.0) << 64 | u128::from(h.1)
    }

    fn start_clock(&mut self, t: usize) {
        let n = self.threads;
        self.scratch.clear();
        match self.last[t] {
            Some(p) => self.scratch.extend_from_slice(&self.clocks[p as usize * n..(p as usize + 1) * n]),
            None => {
                self.scratch.resize(n, 0);
                // A thread's first step comes after every step of the phases before it.
                for u in 0..n {
                    if self.phases[u] < self.phases[t]
                        && let Some(l) = self.last[u]
                    {
                        self.join(l);
                    }
                }
            }
        }
    }

    fn join(&mut self, step: u32) {
        let n = self.threads;
        let other = &self.clocks[step as usize * n..(step as usize + 1) * n];
        for (mine, theirs) in self.scratch.iter_mut().zip(other) {
            *mine = (*mine).max(*theirs);
        }
    }

    fn in_before(&self, step: u32) -> bool {
        let s = self.steps[step as usize];
        self.before[s.tid as usize] > s.nth
    }

    /// Orders the step after every earlier conflicting touch of `a`'s objects. A write that
    /// covers `a` ends a walk: whatever conflicts with `a` before it is ordered before it.
    fn order_after_touches(&mut self, t: usize, a: &Access, race: &mut impl FnMut(u32)) {
        let mut seen = std::mem::take(&mut self.seen);
        seen.clear();
        self.touches.visit(a, |x| {
            if a.conflicts(&x.access(&a.obj)) {
                seen.push(x.step);
            }
            !(x.mode == Mode::Write && x.lo <= a.obj.lo && a.obj.hi <= x.hi)
        });
        for &step in &seen {
            if self.steps[step as usize].tid as usize != t {
                if !self.in_before(step) {
                    race(step);
                }
                self.join(step);
            }
        }
        self.seen = seen;
    }
}

/// Two 64-bit multiply-xorshift accumulators with different seeds: fixed forever, so a
/// count of distinct traces means the same with any build.
#[derive(Copy, Clone)]
struct Hash128(u64, u64);

impl Default for Hash128 {
    fn default() -> Self {
        Hash128(0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344)
    }
}

impl Hash128 {
    fn mix(&mut self, v: u64) {
        self.0 = fold(self.0 ^ v, 0x9E37_79B9_7F4A_7C15);
        self.1 = fold(self.1 ^ v.rotate_left(29), 0xC2B2_AE3D_27D4_EB4F);
    }

    fn mix_access(&mut self, a: &Access) {
        self.mix(u64::from(a.obj.kind as u8) << 40 | u64::from(a.mode as u8) << 32 | u64::from(a.obj.space));
        self.mix(a.obj.lo);
        self.mix(a.obj.hi);
    }
}

fn fold(x: u64, k: u64) -> u64 {
    let z = x.wrapping_mul(k);
    let z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^ (z >> 29)
}
