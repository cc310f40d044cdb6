//! The kernel picker: a release, then its fixes to switch one by one. A release has every
//! fix that landed in it or before; unticking one runs the release without it, ticking a
//! later one runs the release with it backported — what `--kernel`, `--without` and
//! `--with` say on the command line. The toolbar, Compare and the Matrix all pick kernels
//! with it.

use super::toolbar::release_label;
use crate::theme as t;
use daxlab::{Fix, Kernel, Release};
use egui::containers::menu::{MenuButton, MenuConfig};
use egui::{PopupCloseBehavior, RichText, Ui};

/// How one picker is labelled (two can be on screen at once, so each names itself).
pub struct Picker<'a> {
    pub id: &'a str,
    /// The release combo's label, e.g. `kernel`.
    pub label: &'a str,
    /// The fix menu's button, e.g. `fixes ▾`.
    pub fixes: &'a str,
    pub hover: &'a str,
}

impl Picker<'_> {
    /// Draws the picker for `current`; returns the kernel the user picked, if it changed.
    pub fn show(&self, ui: &mut Ui, current: Kernel) -> Option<Kernel> {
        let mut picked = None;
        egui::ComboBox::new(self.id, self.label)
            .selected_text(release_label(Kernel::stock(current.release)))
            .show_ui(ui, |ui| {
                for &r in Release::ALL {
                    let k = Kernel::stock(r);
                    if ui.selectable_label(k == current, release_label(k)).clicked() && k != current {
                        picked = Some(k);
                    }
                }
            })
            .response
            .on_hover_text(self.hover);
        let config = MenuConfig::new().close_behavior(PopupCloseBehavior::CloseOnClickOutside);
        MenuButton::new(self.fixes).config(config).ui(ui, |ui| {
            if let Some(k) = fix_list(ui, current) {
                picked = Some(k);
            }
        });
        ui.label(RichText::new(changes(current)).color(if current.is_stock() { t::MUTED } else { t::FALLBACK }));
        picked
    }
}

/// `as shipped`, or what differs from the release: `without e11f8b7b6c4e`.
pub fn changes(k: Kernel) -> String {
    let mut parts: Vec<String> = k.removed().map(|f| format!("without {}", f.info().id)).collect();
    parts.extend(k.added().map(|f| format!("with {}", f.info().id)));
    if parts.is_empty() { "as shipped".into() } else { parts.join(", ") }
}

/// The fixes of `current`'s release (ticked: it runs them) and the later ones it could
/// have backported; returns the kernel with the one the user switched.
fn fix_list(ui: &mut Ui, current: Kernel) -> Option<Kernel> {
    let release = current.release;
    let (own, later): (Vec<Fix>, Vec<Fix>) = Fix::ALL.iter().partition(|f| f.info().release <= release);
    let mut picked = None;
    for (title, fixes) in [(format!("In {release}:"), own), (format!("Later than {release} (backport):"), later)] {
        ui.label(RichText::new(title).strong());
        if fixes.is_empty() {
            ui.label(RichText::new("none modelled").color(t::MUTED));
        }
        for f in fixes {
            let mut on = current.has(f);
            let info = f.info();
            let text = format!("{} {} ({})", info.id, info.title, info.release);
            if ui.checkbox(&mut on, text).on_hover_text(info.functions.join("\n")).changed() {
                picked = if on { current.with(f).ok() } else { current.without(f).ok() };
            }
        }
    }
    picked
}
