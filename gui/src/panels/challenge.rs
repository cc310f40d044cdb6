//! Challenges in the scheduler mode: pick a level of the pack (challenges/, built into the
//! app) or open a challenge file, read its story and goal, play it as the scheduler, and
//! see the engine's verdict on the run after every pick. A "cannot-fail" goal is shown by
//! exhaustive exploration to a bound the player picks, run in the background; a level's
//! question is answered by picking a choice. Every verdict is the engine's.

use super::explore::in_background;
use crate::app::{Action, Workbench};
use crate::model::CHALLENGE_PACK;
use crate::theme as t;
use crossbeam_channel::Receiver;
use daxlab::challenge::{Challenge, Goal, MAX_PROOF_BOUND, Verdict};
use egui::{RichText, Ui};
use std::path::Path;
use std::sync::OnceLock;

/// The built-in pack, parsed once: (file name, the challenge or why it does not parse).
pub fn pack() -> &'static [(String, Result<Challenge, String>)] {
    static PACK: OnceLock<Vec<(String, Result<Challenge, String>)>> = OnceLock::new();
    PACK.get_or_init(|| {
        CHALLENGE_PACK
            .iter()
            .map(|(name, text)| {
                let origin = format!("challenges/{name}");
                let parsed = Challenge::from_toml(text, &origin, Path::new("challenges")).map_err(|e| e.to_string());
                (name.to_string(), parsed)
            })
            .collect()
    })
}

/// The challenge being played.
pub struct ChallengeState {
    pub challenge: Challenge,
    /// How many hints the player has asked to see.
    pub hints_shown: usize,
    proving: Option<Receiver<Verdict>>,
    pub proof: Option<Verdict>,
    /// The preemption bound the player has picked for a proof.
    pub bound: u32,
    /// The player's answer to the level's question (counted from 1), and its verdict.
    pub answer: Option<(u32, Verdict)>,
}

impl ChallengeState {
    pub fn new(challenge: Challenge) -> Self {
        ChallengeState { challenge, hints_shown: 0, proving: None, proof: None, bound: 0, answer: None }
    }

    /// Starts the exhaustive exploration a "cannot-fail" goal asks for, to the bound picked.
    pub fn start_proof(&mut self) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let ch = self.challenge.clone();
        let bound = self.bound;
        in_background(move || {
            let _ = tx.send(ch.prove(bound));
        });
        self.proof = None;
        self.proving = Some(rx);
    }

    /// Takes the proof's verdict when it has arrived; true while it is still running.
    pub fn poll(&mut self) -> bool {
        let Some(rx) = &self.proving else { return false };
        match rx.try_recv() {
            Ok(v) => {
                self.proof = Some(v);
                self.proving = None;
                false
            }
            Err(crossbeam_channel::TryRecvError::Empty) => true,
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                self.proving = None;
                false
            }
        }
    }

    /// Blocks until a running proof has its verdict (for tests: no deadline, no polling).
    pub fn wait(&mut self) {
        if let Some(rx) = self.proving.take() {
            self.proof = rx.recv().ok();
        }
    }
}

/// The level picker, shown whether or not a challenge is being played.
pub fn picker(ui: &mut Ui, app: &mut Workbench) {
    let current = app.challenge.as_ref().map_or("free play (no challenge)".to_string(), |c| level_name(&c.challenge));
    let label = ui.label(RichText::new("Challenge").strong());
    egui::ComboBox::from_id_salt("challenge")
        .selected_text(current)
        .width(ui.available_width() - 8.0)
        .show_ui(ui, |ui| {
            for (name, parsed) in pack() {
                match parsed {
                    Ok(ch) => {
                        if ui.selectable_label(false, level_name(ch)).clicked() {
                            app.actions.push(Action::StartChallenge(Box::new(ch.clone())));
                        }
                    }
                    Err(e) => {
                        ui.label(RichText::new(format!("{name}: {e}")).color(t::EEXIST));
                    }
                }
            }
        })
        .response
        .labelled_by(label.id);
}

fn level_name(ch: &Challenge) -> String {
    format!("Level {}: {}", ch.level, ch.title)
}

/// The story, the goal, the verdict on the run so far and the hints. Returns true while a
/// proof is running (the frame should be redrawn soon).
pub fn show(ui: &mut Ui, app: &mut Workbench) -> bool {
    let Some(cs) = app.challenge.as_mut() else { return false };
    let waiting = cs.poll();
    let ch = &cs.challenge;
    ui.label(RichText::new(&ch.title).strong().size(15.0));
    ui.label(unwrap_lines(&ch.story));
    ui.label(RichText::new(format!("Goal: {}.", ch.goal_text())).strong());
    let on_its_scenario = app.sched.as_ref().is_some_and(|st| st.scenario.name == ch.scenario.name);
    if !on_its_scenario {
        ui.label(RichText::new(format!("This level plays on `{}`.", ch.scenario.name)).color(t::FALLBACK));
        if ui.button("back to the level").clicked() {
            app.actions.push(Action::StartChallenge(Box::new(ch.clone())));
        }
        return waiting;
    }
    match &ch.goal {
        Goal::Reach { .. } => {
            let st = app.sched.as_ref().expect("checked above");
            verdict_line(ui, &ch.check_execution(st.kernel, &st.ex));
        }
        Goal::CannotFail { .. } => {
            ui.label(
                RichText::new("One run cannot show this: every interleaving has to be tried. Play to see why, then:")
                    .small(),
            );
            ui.horizontal(|ui| {
                let pick = egui::DragValue::new(&mut cs.bound).range(0..=MAX_PROOF_BOUND).prefix("preemption bound ");
                ui.add_enabled(!waiting, pick);
                if ui.add_enabled(!waiting, egui::Button::new("explore every interleaving up to it")).clicked() {
                    cs.start_proof();
                }
            });
            if cs.proving.is_some() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("exploring…");
                });
            }
            if let Some(v) = &cs.proof {
                verdict_line(ui, v);
            }
        }
    }
    question(ui, cs);
    hints(ui, cs);
    cs.proving.is_some()
}

/// The level's question: one button per choice, and the engine's verdict on the pick.
fn question(ui: &mut Ui, cs: &mut ChallengeState) {
    let Some(q) = &cs.challenge.question else { return };
    ui.label(RichText::new(unwrap_lines(&q.text)).strong());
    let mut picked = None;
    for (i, choice) in q.choices.iter().enumerate() {
        let n = i as u32 + 1;
        let chosen = cs.answer.as_ref().is_some_and(|(a, _)| *a == n);
        if ui.selectable_label(chosen, format!("{n}. {choice}")).clicked() {
            picked = Some(n);
        }
    }
    if let Some(n) = picked {
        cs.answer = Some((n, cs.challenge.check_answer(n)));
    }
    if let Some((_, v)) = &cs.answer {
        verdict_line(ui, v);
    }
}

/// A story is hard-wrapped in its TOML file; the panel wraps it to its own width.
fn unwrap_lines(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|para| para.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn verdict_line(ui: &mut Ui, v: &Verdict) {
    let (mark, colour) = if v.passed { ("Passed: ", t::RESTART) } else { ("Not yet: ", t::WINDOW_EDGE) };
    ui.label(RichText::new(format!("{mark}{}", v.message)).color(colour).strong());
}

fn hints(ui: &mut Ui, cs: &mut ChallengeState) {
    let all = &cs.challenge.hints;
    for (i, h) in all.iter().take(cs.hints_shown).enumerate() {
        ui.label(RichText::new(format!("Hint {}: {h}", i + 1)).small().color(t::WAKE));
    }
    if cs.hints_shown < all.len()
        && ui.button(format!("show a hint ({} of {})", cs.hints_shown + 1, all.len())).clicked()
    {
        cs.hints_shown += 1;
    }
}
