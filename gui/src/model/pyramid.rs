//! Per-thread summaries of blocks of events at several sizes (a mipmap), so that a view of
//! a million events draws one column per pixel in a few lookups instead of a scan.

/// What happened in a range of events, per thread (bit `tid`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Agg {
    /// Threads that ran an event.
    pub ran: u64,
    /// Threads that held tree_lock after some event.
    pub held: u64,
    pub sleeping: u64,
    pub spinning: u64,
}

impl Agg {
    pub fn merge(&mut self, o: Agg) {
        self.ran |= o.ran;
        self.held |= o.held;
        self.sleeping |= o.sleeping;
        self.spinning |= o.spinning;
    }
}

/// Block sizes 16, 32, 64, ... events.
const BASE_SHIFT: u32 = 4;

#[derive(Default)]
pub struct Pyramid {
    /// levels[k][b] summarises events [b << (k + BASE_SHIFT), (b + 1) << (k + BASE_SHIFT)).
    levels: Vec<Vec<Agg>>,
    raw: Vec<Agg>,
}

fn bit(t: u8) -> u64 {
    if t < 64 { 1 << t } else { 0 }
}

impl Pyramid {
    pub fn build(tid: &[u8], holder: &[u8], sleeping: &[u64], spinning: &[u64]) -> Pyramid {
        let raw: Vec<Agg> = (0..tid.len())
            .map(|i| Agg { ran: bit(tid[i]), held: bit(holder[i]), sleeping: sleeping[i], spinning: spinning[i] })
            .collect();
        let mut levels: Vec<Vec<Agg>> = Vec::new();
        let mut prev: &[Agg] = &raw;
        let mut group = 1usize << BASE_SHIFT;
        loop {
            let level: Vec<Agg> = prev
                .chunks(group)
                .map(|c| {
                    let mut a = Agg::default();
                    c.iter().for_each(|x| a.merge(*x));
                    a
                })
                .collect();
            let done = level.len() <= 1;
            levels.push(level);
            if done {
                break;
            }
            prev = levels.last().expect("just pushed");
            group = 2;
        }
        Pyramid { levels, raw }
    }

    /// The summary of events `[lo, hi)`.
    pub fn query(&self, lo: usize, hi: usize) -> Agg {
        let hi = hi.min(self.raw.len());
        let mut out = Agg::default();
        let mut pos = lo;
        while pos < hi {
            let mut used = false;
            for k in (0..self.levels.len()).rev() {
                let size = 1usize << (k as u32 + BASE_SHIFT);
                if pos.is_multiple_of(size) && pos + size <= hi {
                    out.merge(self.levels[k][pos / size]);
                    pos += size;
                    used = true;
                    break;
                }
            }
            if !used {
                out.merge(self.raw[pos]);
                pos += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_equals_the_plain_union() {
        let n = 1000;
        let tid: Vec<u8> = (0..n).map(|i| (i * 7 % 3) as u8).collect();
        let holder: Vec<u8> = (0..n).map(|i| if i % 50 < 10 { (i % 3) as u8 } else { u8::MAX }).collect();
        let sleeping: Vec<u64> = (0..n).map(|i| if i % 97 == 0 { 4 } else { 0 }).collect();
        let spinning = vec![0u64; n];
        let p = Pyramid::build(&tid, &holder, &sleeping, &spinning);
        for (lo, hi) in [(0, 1000), (3, 17), (16, 48), (5, 999), (500, 501), (31, 300)] {
            let mut want = Agg::default();
            for i in lo..hi {
                want.merge(Agg { ran: bit(tid[i]), held: bit(holder[i]), sleeping: sleeping[i], spinning: 0 });
            }
            assert_eq!(p.query(lo, hi), want, "{lo}..{hi}");
        }
    }
}
