//! Who touched which objects in one execution, indexed for the overlap queries the
//! happens-before order makes at every step. Most accesses name one object or a few (a
//! lock, a PTE, a cache line, a PMD entry's 512 slots), so touches are kept per run of 512
//! indices; the rare ones that span more (a whole tree's shape, a walk to the end of the
//! file) are kept apart and looked at by every query. A step that declared nothing touches
//! everything ([`ObjKind::Everything`]): such touches are kept apart too, every query looks
//! at them, and a query of one looks at every touch.

use crate::footprint::{Access, Mode, Obj, ObjKind};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const BUCKET_SHIFT: u32 = 9;
/// A touch spanning more buckets than this is kept with the wide ones.
const MAX_BUCKETS: u64 = 4;

#[derive(Copy, Clone)]
pub(super) struct Touch {
    pub lo: u64,
    pub hi: u64,
    pub mode: Mode,
    pub step: u32,
}

impl Touch {
    /// The access this touch was, on `like`'s kind and space.
    pub fn access(&self, like: &Obj) -> Access {
        Access { obj: Obj { lo: self.lo, hi: self.hi, ..*like }, mode: self.mode }
    }
}

#[derive(Default)]
struct Space {
    wide: Vec<Touch>,
    buckets: HashMap<u64, Vec<Touch>, Fast>,
}

#[derive(Default)]
pub(super) struct Touches {
    spaces: HashMap<(ObjKind, u32), Space, Fast>,
    everything: Vec<Touch>,
}

fn buckets(o: &Obj) -> Option<std::ops::RangeInclusive<u64>> {
    let (b0, b1) = (o.lo >> BUCKET_SHIFT, o.hi >> BUCKET_SHIFT);
    (b1 - b0 < MAX_BUCKETS).then_some(b0..=b1)
}

impl Touches {
    /// Forgets the touches, keeping the memory for the next execution.
    pub fn clear(&mut self) {
        for s in self.spaces.values_mut() {
            s.wide.clear();
            s.buckets.values_mut().for_each(Vec::clear);
        }
        self.everything.clear();
    }

    pub fn add(&mut self, a: &Access, step: u32) {
        let t = Touch { lo: a.obj.lo, hi: a.obj.hi, mode: a.mode, step };
        if a.obj.kind == ObjKind::Everything {
            self.everything.push(t);
            return;
        }
        let s = self.spaces.entry((a.obj.kind, a.obj.space)).or_default();
        match buckets(&a.obj) {
            Some(bs) => bs.for_each(|b| s.buckets.entry(b).or_default().push(t)),
            None => s.wide.push(t),
        }
    }

    /// Calls `f` on every touch that may overlap `a`, each list newest first; `f` returns
    /// false to stop walking that list (a touch may be seen more than once).
    pub fn visit(&self, a: &Access, mut f: impl FnMut(&Touch) -> bool) {
        let everything = a.obj.kind == ObjKind::Everything;
        let mut walk = |list: &Vec<Touch>, ranged: bool| {
            for t in list.iter().rev() {
                if (!ranged || t.lo <= a.obj.hi && a.obj.lo <= t.hi) && !f(t) {
                    break;
                }
            }
        };
        walk(&self.everything, false);
        if everything {
            for s in self.spaces.values() {
                walk(&s.wide, false);
                s.buckets.values().for_each(|l| walk(l, false));
            }
            return;
        }
        let Some(s) = self.spaces.get(&(a.obj.kind, a.obj.space)) else { return };
        let mut walk = |list: &Vec<Touch>| walk(list, true);
        walk(&s.wide);
        match buckets(&a.obj) {
            Some(bs) => bs.filter_map(|b| s.buckets.get(&b)).for_each(&mut walk),
            None => s.buckets.values().for_each(walk),
        }
    }
}

/// A multiply-rotate hash: the keys are small numbers, and the maps are asked on every
/// step of every execution.
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|b| self.write_u64(u64::from(*b)));
    }
    fn write_u8(&mut self, v: u8) {
        self.write_u64(u64::from(v));
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517C_C1B7_2722_0A95);
    }
}

type Fast = BuildHasherDefault<FastHasher>;
