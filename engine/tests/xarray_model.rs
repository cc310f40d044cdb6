//! Long random sequences of stores, erases and marks against a plain model of what the
//! XArray promises its users: aligned ranges either nest or are disjoint; a store inside
//! an existing larger entry gives that whole entry the new value (order and marks kept);
//! a store over smaller entries replaces them with one entry carrying all their marks; an
//! erase removes every entry it touches. After each step the array must verify, load the
//! model's entry at every index, list the model's entries, and iterate (plainly and by
//! mark) as the model says.

use daxlab::sim::SplitMix64;
use daxlab::xarray::{Entry, EntryView, XArray, XaMark, XaState, xa_mk_value};
use std::collections::BTreeMap;

/// first index -> (order, value, marks)
type Model = BTreeMap<u64, (u32, u64, u8)>;

const ORDERS: [u32; 6] = [0, 1, 3, 6, 7, 9];

fn last(first: u64, order: u32) -> u64 {
    first + (1u64 << order) - 1
}

fn overlapping(model: &Model, first: u64, order: u32) -> Vec<u64> {
    let end = last(first, order);
    model.iter().filter(|(i, (o, _, _))| **i <= end && last(**i, *o) >= first).map(|(i, _)| *i).collect()
}

fn model_store(model: &mut Model, first: u64, order: u32, value: Option<u64>) {
    let hit = overlapping(model, first, order);
    let Some(value) = value else {
        for i in hit {
            model.remove(&i);
        }
        return;
    };
    if let [i] = hit[..]
        && model[&i].0 >= order
    {
        model.get_mut(&i).expect("present").1 = value;
        return;
    }
    let marks = hit.iter().fold(0u8, |acc, i| acc | model[i].2);
    for i in hit {
        model.remove(&i);
    }
    model.insert(first, (order, value, marks));
}

fn random_index(rng: &mut SplitMix64) -> u64 {
    match rng.below(8) {
        0 => 0,
        1 => (1 << 20) + rng.below(1024),
        _ => rng.below(2048),
    }
}

fn check(xa: &XArray, model: &Model, rng: &mut SplitMix64, step: usize) {
    xa.verify().unwrap_or_else(|e| panic!("step {step}: {e}"));
    let want: Vec<EntryView> = model
        .iter()
        .map(|(i, (o, v, m))| EntryView { index: *i, order: *o, entry: xa_mk_value(*v), marks: *m })
        .collect();
    assert_eq!(xa.entries(), want, "step {step}");
    for index in (0..2200).chain([1 << 20, (1 << 20) + 513]) {
        let want = model.range(..=index).next_back().filter(|(i, (o, _, _))| last(**i, *o) >= index);
        assert_eq!(xa.xa_load(index), want.map(|(_, (_, v, _))| xa_mk_value(*v)), "step {step}: index {index:#x}");
    }
    let start = random_index(rng);
    let covering = |i: &u64, o: &u32| last(*i, *o) >= start;
    let want: Vec<Entry> =
        model.iter().filter(|(i, (o, _, _))| covering(i, o)).map(|(_, (_, v, _))| xa_mk_value(*v)).collect();
    let mut again = XaState::new(start);
    let mut seen = Vec::new();
    let mut e = again.find(xa, u64::MAX);
    while let Some(x) = e {
        seen.push(x);
        e = again.next_entry(xa, u64::MAX);
    }
    assert_eq!(seen, want, "step {step}: xas_for_each from {start:#x}");
    for mark in XaMark::ALL {
        let want: Vec<Entry> = model
            .iter()
            .filter(|(i, (o, _, m))| covering(i, o) && m & (1 << mark.index()) != 0)
            .map(|(_, (_, v, _))| xa_mk_value(*v))
            .collect();
        let mut xas = XaState::new(start);
        let mut seen = Vec::new();
        let mut e = xas.find_marked(xa, u64::MAX, mark);
        while let Some(x) = e {
            seen.push(x);
            e = xas.next_marked(xa, u64::MAX, mark);
        }
        assert_eq!(seen, want, "step {step}: xas_for_each_marked({mark}) from {start:#x}");
        let any = model.values().any(|(_, _, m)| m & (1 << mark.index()) != 0);
        assert_eq!(xa.xa_marked(mark), any, "step {step}: xa_marked({mark})");
    }
}

fn step(xa: &mut XArray, model: &mut Model, rng: &mut SplitMix64, n: u64) {
    let index = random_index(rng);
    match rng.below(10) {
        0..=4 => {
            let order = ORDERS[rng.below(ORDERS.len() as u64) as usize];
            let mut xas = XaState::new_order(index, order);
            xas.store(xa, Some(xa_mk_value(n)));
            assert_eq!(xas.error(), None);
            model_store(model, xas.xa_index(), order, Some(n));
        }
        5..=6 => {
            let order = if rng.below(3) == 0 { ORDERS[rng.below(ORDERS.len() as u64) as usize] } else { 0 };
            let mut xas = XaState::new_order(index, order);
            xas.store(xa, None);
            model_store(model, xas.xa_index(), order, None);
        }
        _ => {
            let mark = XaMark::ALL[rng.below(3) as usize];
            let mut xas = XaState::new(index);
            if xas.load(xa).is_none() {
                return;
            }
            let first = *model.range(..=index).next_back().expect("the model has it too").0;
            let marks = &mut model.get_mut(&first).expect("present").2;
            if rng.below(2) == 0 {
                xas.set_mark(xa, mark);
                *marks |= 1 << mark.index();
            } else {
                xas.clear_mark(xa, mark);
                *marks &= !(1 << mark.index());
            }
        }
    }
}

#[test]
fn random_operations_agree_with_the_model() {
    for seed in 0..12 {
        let mut rng = SplitMix64::new(seed);
        let mut xa = XArray::new();
        let mut model = Model::new();
        for n in 0..150 {
            step(&mut xa, &mut model, &mut rng, n + 1);
            check(&xa, &model, &mut rng, n as usize);
        }
        // Erase everything: every node is freed.
        for first in model.keys().copied().collect::<Vec<_>>() {
            XaState::new(first).store(&mut xa, None);
        }
        xa.verify().unwrap();
        assert!(xa.xa_empty(), "seed {seed}");
        assert_eq!(xa.node_count(), 0, "seed {seed}");
    }
}
