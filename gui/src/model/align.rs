//! Lining up two runs of one interleaving (unfixed and fixed) row by row: before the point
//! where they part, equal events share a row and a re-lookup that found nothing (which only
//! the fixed kernel does) gets a row of its own; after it, the two sides go on in parallel.

use daxlab::trace::{Event, EventKind};

pub struct Alignment {
    /// (event of side a, event of side b) per row.
    pub rows: Vec<(Option<u32>, Option<u32>)>,
    /// The row of each event of a, and of b (both ascending).
    pub xa: Vec<u32>,
    pub xb: Vec<u32>,
    /// The first row where the sides differ.
    pub part_row: Option<usize>,
}

fn only_fixed(e: &Event) -> bool {
    matches!(e.kind, EventKind::Relookup { found: None, .. })
}

/// `part` is where [`daxlab::trace::diff_kernels`] says the sides part (event indices).
pub fn align(a: &[Event], b: &[Event], part: Option<(usize, usize)>) -> Alignment {
    let (pa, pb) = part.unwrap_or((a.len(), b.len()));
    let mut rows = Vec::with_capacity(a.len().max(b.len()) + 8);
    let (mut i, mut j) = (0usize, 0usize);
    while i < pa || j < pb {
        let ea = (i < pa).then(|| &a[i]);
        let eb = (j < pb).then(|| &b[j]);
        match (ea, eb) {
            (Some(x), _) if only_fixed(x) => {
                rows.push((Some(i as u32), None));
                i += 1;
            }
            (_, Some(y)) if only_fixed(y) => {
                rows.push((None, Some(j as u32)));
                j += 1;
            }
            (Some(_), Some(_)) => {
                rows.push((Some(i as u32), Some(j as u32)));
                i += 1;
                j += 1;
            }
            (Some(_), None) => {
                rows.push((Some(i as u32), None));
                i += 1;
            }
            (None, Some(_)) => {
                rows.push((None, Some(j as u32)));
                j += 1;
            }
            (None, None) => break,
        }
    }
    let part_row = part.map(|_| rows.len());
    while i < a.len() || j < b.len() {
        rows.push(((i < a.len()).then_some(i as u32), (j < b.len()).then_some(j as u32)));
        i += 1;
        j += 1;
    }
    let mut xa = Vec::with_capacity(a.len());
    let mut xb = Vec::with_capacity(b.len());
    for (r, (x, y)) in rows.iter().enumerate() {
        if x.is_some() {
            xa.push(r as u32);
        }
        if y.is_some() {
            xb.push(r as u32);
        }
    }
    Alignment { rows, xa, xb, part_row }
}

impl Alignment {
    /// The position on side b that corresponds to position `pos` on side a (and the
    /// other way round with `from_b`): the events of the rows up to the one of the
    /// event just run.
    pub fn map_pos(&self, pos: usize, from_b: bool) -> usize {
        let (src, dst) = if from_b { (&self.xb, &self.xa) } else { (&self.xa, &self.xb) };
        let Some(row) = pos.checked_sub(1).and_then(|i| src.get(i)) else { return 0 };
        dst.partition_point(|&r| r <= *row)
    }

    pub fn total_rows(&self) -> u32 {
        self.rows.len() as u32
    }
}
