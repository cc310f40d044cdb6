//! Page tables at the cursor: every PMD slot of each process's mapping (none, a PTE table
//! with its PTEs, a huge devmap PMD, the huge zero PMD).

use crate::cache::Cached;
use crate::model::Loaded;
use crate::theme as t;
use daxlab::mm::{PMD_SHIFT, PMD_SIZE, PmdSlot};
use egui::{RichText, Ui};

pub fn show(ui: &mut Ui, doc: &Loaded, cache: &Cached) {
    for (mm, pt) in cache.snap.mms.iter().enumerate() {
        let proc_name = doc.scenario.processes.get(mm).map_or("?", |p| p.name.get_ref().as_str());
        ui.label(
            RichText::new(format!(
                "process {mm} ({proc_name}): nr_ptes {}, rss file {} anon {}",
                pt.nr_ptes, pt.rss[0], pt.rss[1]
            ))
            .strong(),
        );
        let Some(p) = doc.scenario.processes.get(mm) else { continue };
        let base = doc.scenario.map_base(p);
        let len = doc.scenario.map_length(p);
        let first = base >> PMD_SHIFT;
        let last = (base + len.max(1) - 1) >> PMD_SHIFT;
        let mut shown = 0;
        for pmd in first..=last {
            let changed = cache.changed.pmds.contains(&(mm, pmd));
            slot(ui, doc, pmd, pt.pmds.get(&pmd), changed);
            shown += 1;
            if shown >= 64 {
                ui.label(RichText::new(format!("… {} more PMD slots", last - pmd)).color(t::MUTED));
                break;
            }
        }
    }
}

fn slot(ui: &mut Ui, doc: &Loaded, pmd: u64, s: Option<&PmdSlot>, changed: bool) {
    let addr = pmd << PMD_SHIFT;
    let range = format!("{addr:#x}–{:#x}", addr + PMD_SIZE - 1);
    let name = |t: &daxlab::Tid| doc.thread_name(t.index()).to_string();
    let (text, color) = match s {
        None => (format!("PMD {range}: none"), t::MUTED),
        Some(PmdSlot::HugeDevmap { pfn, write, dirty, by }) => (
            format!(
                "PMD {range}: HUGE devmap → pfn {pfn:#x} ({}{}), installed by {}",
                if *write { "rw" } else { "ro" },
                if *dirty { ", dirty" } else { "" },
                name(by)
            ),
            egui::Color32::from_rgb(190, 150, 255),
        ),
        Some(PmdSlot::HugeZero { by }) => (format!("PMD {range}: huge ZERO page, by {}", name(by)), t::MUTED),
        Some(PmdSlot::Table { serial, ptes }) => (
            format!("PMD {range}: PTE table #{serial} with {} PTE(s)", ptes.len()),
            egui::Color32::from_rgb(120, 200, 190),
        ),
    };
    let mark = if changed { "  ← changed" } else { "" };
    ui.label(RichText::new(format!("{text}{mark}")).color(if changed { t::CHANGED } else { color }));
    if let Some(PmdSlot::Table { ptes, .. }) = s {
        if ptes.len() > 8 && !changed {
            egui::CollapsingHeader::new(format!("{} PTEs", ptes.len()))
                .id_salt(("ptes", pmd))
                .show(ui, |ui| pte_lines(ui, addr, ptes));
        } else {
            pte_lines(ui, addr, ptes);
        }
    }
}

fn pte_lines(ui: &mut Ui, addr: u64, ptes: &std::collections::BTreeMap<u16, daxlab::mm::Pte>) {
    {
        for (idx, p) in ptes.iter().take(32) {
            let a = addr + (u64::from(*idx) << 12);
            ui.label(
                RichText::new(format!(
                    "    PTE {a:#x} → pfn {:#x} ({}{}) {:?}",
                    p.pfn,
                    if p.write { "rw" } else { "ro" },
                    if p.dirty { ", dirty" } else { "" },
                    p.kind
                ))
                .monospace()
                .small(),
            );
        }
        if ptes.len() > 32 {
            ui.label(RichText::new(format!("    … {} more", ptes.len() - 32)).small().color(t::MUTED));
        }
    }
}
