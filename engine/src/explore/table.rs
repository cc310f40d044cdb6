//! The outcome table: one row per outcome label, with a witness each.

use super::{OutcomeRow, Witness, label};
use crate::scenario::Execution;
use std::collections::BTreeMap;

pub(super) struct Table {
    rows: BTreeMap<String, OutcomeRow>,
    width: usize,
}

impl Table {
    pub(super) fn new(width: usize) -> Self {
        Table { rows: BTreeMap::new(), width }
    }

    pub(super) fn add(&mut self, ex: &Execution, seed: Option<u64>) {
        let label = label(&ex.outcome, &ex.notes);
        let witness = || Witness {
            preemptions: ex.preemptions,
            steps: ex.steps,
            schedule: ex.schedule.clone(),
            seed,
            outcome: ex.outcome.clone(),
        };
        let row = self.rows.entry(label.clone()).or_insert_with(|| OutcomeRow {
            label,
            class: ex.outcome.class(),
            notes: if ex.outcome.is_failure() { Vec::new() } else { ex.notes.iter().map(|n| n.to_string()).collect() },
            failure: ex.outcome.is_failure(),
            executions: 0,
            by_preemptions: vec![0; self.width],
            witness: witness(),
        });
        row.executions += 1;
        let p = ex.preemptions as usize;
        if row.by_preemptions.len() <= p {
            row.by_preemptions.resize(p + 1, 0);
        }
        row.by_preemptions[p] += 1;
        // The fewest preemptions, then the fewest steps; among equals the first found.
        if (ex.preemptions, ex.steps) < (row.witness.preemptions, row.witness.steps) {
            row.witness = witness();
        }
    }

    /// Adds what `later` found, as if its executions had come after this table's: counts
    /// add up, and a witness is replaced only by a strictly better one.
    pub(super) fn merge(&mut self, later: Table) {
        for (label, row) in later.rows {
            let Some(mine) = self.rows.get_mut(&label) else {
                self.rows.insert(label, row);
                continue;
            };
            mine.executions += row.executions;
            if mine.by_preemptions.len() < row.by_preemptions.len() {
                mine.by_preemptions.resize(row.by_preemptions.len(), 0);
            }
            for (m, n) in mine.by_preemptions.iter_mut().zip(&row.by_preemptions) {
                *m += n;
            }
            let (w, v) = (&row.witness, &mine.witness);
            if (w.preemptions, w.steps) < (v.preemptions, v.steps) {
                mine.witness = row.witness;
            }
        }
    }

    pub(super) fn into_rows(self) -> Vec<OutcomeRow> {
        let mut rows: Vec<OutcomeRow> = self.rows.into_values().collect();
        rows.sort_by(|a, b| {
            b.failure.cmp(&a.failure).then(b.executions.cmp(&a.executions)).then(a.label.cmp(&b.label))
        });
        rows
    }
}
