//! The workbench's one app state, the actions panels ask for, and the frame layout.
//!
//! Panels read the state and push [`Action`]s; the app applies them after the panels have
//! drawn, so no panel needs to borrow another's state.

use crate::cache::Cached;
use crate::model::nav::Target;
use crate::model::{Loaded, Origin, seed};
use crate::panels;
use crate::panels::challenge::ChallengeState;
use crate::panels::compare::Compare;
use crate::panels::events::EventsState;
use crate::panels::explore::ExploreState;
use crate::panels::matrix::MatrixState;
use crate::panels::scheduler::SchedulerState;
use crate::panels::timeline::TimelineView;
use daxlab::Kernel;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Trace,
    Compare,
    Scheduler,
    Explore,
    Matrix,
}

impl Mode {
    pub const ALL: [Mode; 5] = [Mode::Trace, Mode::Compare, Mode::Scheduler, Mode::Explore, Mode::Matrix];
    pub fn label(self) -> &'static str {
        match self {
            Mode::Trace => "Trace",
            Mode::Compare => "Compare kernels",
            Mode::Scheduler => "Be the scheduler",
            Mode::Explore => "Explore",
            Mode::Matrix => "Matrix",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

pub enum Action {
    Goto(usize),
    Next(Target),
    Prev(Target),
    TogglePlay,
    SwitchKernel(Kernel),
    SetMode(Mode),
    Open(PathBuf),
    Save(PathBuf),
    /// Show a trace the workbench made (an explored witness, a scheduler branch).
    Load(Box<Loaded>, usize),
    LoadScenario(String),
    /// Play a challenge as the scheduler, from step 0.
    StartChallenge(Box<daxlab::challenge::Challenge>),
    Say(Message),
}

pub struct Play {
    pub playing: bool,
    /// Events per second.
    pub speed: f32,
    pub carry: f64,
}

pub struct Workbench {
    pub doc: Loaded,
    /// Bumped whenever `doc` is replaced, so caches know.
    pub generation: u64,
    pub pos: usize,
    pub show_calls: bool,
    pub play: Play,
    pub mode: Mode,
    pub view: TimelineView,
    pub message: Option<Message>,
    pub open_path: String,
    pub save_path: String,
    pub kind_target: &'static str,
    pub compare: Option<Compare>,
    /// The kernel Compare replays the interleaving on besides its own (None: its
    /// counterpart).
    pub compare_with: Option<Kernel>,
    pub sched: Option<SchedulerState>,
    pub challenge: Option<ChallengeState>,
    pub explore: ExploreState,
    pub matrix: MatrixState,
    pub events: EventsState,
    pub cache: Option<Cached>,
    pub actions: Vec<Action>,
    pub frame_log: FrameLog,
    #[cfg(target_arch = "wasm32")]
    dropped: crate::web::Dropped,
}

impl Default for Workbench {
    fn default() -> Self {
        Workbench::with_doc(seed::seed_race())
    }
}

impl Workbench {
    pub fn with_doc(doc: Loaded) -> Self {
        let pos = doc.header.annotations.initial_step.min(doc.header.steps) as usize;
        let pos = if pos == 0 { 0 } else { doc.pos_of_step(pos as u32) };
        let view = TimelineView::fit(&doc, pos);
        Workbench {
            doc,
            generation: 0,
            pos,
            show_calls: false,
            play: Play { playing: false, speed: 4.0, carry: 0.0 },
            mode: Mode::Trace,
            view,
            message: None,
            open_path: String::new(),
            save_path: String::new(),
            kind_target: "insert",
            compare: None,
            compare_with: None,
            sched: None,
            challenge: None,
            explore: ExploreState::default(),
            matrix: MatrixState::default(),
            events: EventsState::default(),
            cache: None,
            actions: Vec::new(),
            frame_log: FrameLog::default(),
            #[cfg(target_arch = "wasm32")]
            dropped: crate::web::Dropped::default(),
        }
    }

    /// Opens the file given on the command line (a trace, or a challenge to play), or the
    /// seed race; a bad file leaves the seed race open and says why.
    pub fn from_args(path: Option<PathBuf>) -> Self {
        match path {
            None => Workbench::default(),
            Some(p) if p.extension().is_some_and(|e| e == "toml") => {
                let mut w = Workbench::default();
                w.open(p);
                w
            }
            Some(p) => match Loaded::open(&p) {
                Ok(doc) => Workbench::with_doc(doc),
                Err(e) => Workbench { message: Some(Message { text: e, error: true }), ..Workbench::default() },
            },
        }
    }

    pub fn say(&mut self, text: impl Into<String>, error: bool) {
        self.message = Some(Message { text: text.into(), error });
    }

    /// Replaces the trace on screen and puts the cursor at `pos`.
    pub fn replace_doc(&mut self, doc: Loaded, pos: usize) {
        self.pos = pos.min(doc.len());
        self.view = TimelineView::fit(&doc, self.pos);
        self.doc = doc;
        self.generation += 1;
        self.cache = None;
        self.compare = None;
        self.play.playing = false;
    }

    pub fn goto(&mut self, pos: usize) {
        self.pos = pos.min(self.doc.len());
        self.view.follow(self.pos);
    }

    /// The state panels' view of the machine at the cursor, recomputed when it moved.
    pub fn cached(&mut self) -> &Cached {
        let stale = self.cache.as_ref().is_none_or(|c| c.pos != self.pos || c.generation != self.generation);
        if stale {
            self.cache = Some(Cached::compute(&self.doc, self.pos, self.generation));
        }
        self.cache.as_ref().expect("just filled")
    }

    /// Draws one frame: the panels, then the actions they asked for.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        self.keyboard(ui.ctx());
        self.dropped_files(ui.ctx());
        self.tick_play(ui.ctx());
        self.cached();
        panels::layout(ui, self);
        let actions = std::mem::take(&mut self.actions);
        for a in actions {
            self.apply(a);
        }
        if self.explore.poll(ui.ctx()) | self.matrix.poll() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
        }
    }

    /// A trace file dropped on the window is opened.
    #[cfg(not(target_arch = "wasm32"))]
    fn dropped_files(&mut self, ctx: &egui::Context) {
        let first = ctx.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
        if let Some(p) = first.filter(|p| !p.as_os_str().is_empty()) {
            self.actions.push(Action::Open(p));
        }
    }

    /// A browser gives a dropped file's bytes, not its path, and only asynchronously: the
    /// file is read in the background and opened when its bytes arrive.
    #[cfg(target_arch = "wasm32")]
    fn dropped_files(&mut self, ctx: &egui::Context) {
        if let Some(f) = ctx.input(|i| i.raw.dropped_files.first().cloned()) {
            self.dropped.read(f, ctx.clone());
        }
        if let Some((name, bytes)) = self.dropped.poll() {
            let opened = bytes.and_then(|b| Loaded::open_bytes(&name, &b));
            self.show_opened(opened, &name);
        }
    }

    fn keyboard(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        use egui::Key;
        let (fwd, back, space, home, end) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, Key::ArrowRight),
                i.consume_key(egui::Modifiers::NONE, Key::ArrowLeft),
                i.consume_key(egui::Modifiers::NONE, Key::Space),
                i.consume_key(egui::Modifiers::NONE, Key::Home),
                i.consume_key(egui::Modifiers::NONE, Key::End),
            )
        });
        for (key, target) in [
            (Key::E, Target::Eexist),
            (Key::R, Target::Restart),
            (Key::F, Target::Fallback),
            (Key::W, Target::Wait),
            (Key::B, Target::Bug),
        ] {
            let (next, prev) = ctx
                .input_mut(|i| (i.consume_key(egui::Modifiers::NONE, key), i.consume_key(egui::Modifiers::SHIFT, key)));
            if next {
                self.actions.push(Action::Next(target));
            }
            if prev {
                self.actions.push(Action::Prev(target));
            }
        }
        if fwd {
            self.goto(self.doc.step_forward(self.pos, self.show_calls));
        }
        if back {
            self.goto(self.doc.step_back(self.pos, self.show_calls));
        }
        if space {
            self.actions.push(Action::TogglePlay);
        }
        if home {
            self.goto(0);
        }
        if end {
            self.goto(self.doc.len());
        }
    }

    fn tick_play(&mut self, ctx: &egui::Context) {
        if !self.play.playing {
            return;
        }
        let dt = ctx.input(|i| i.stable_dt).min(0.25) as f64;
        self.play.carry += dt * f64::from(self.play.speed);
        while self.play.carry >= 1.0 {
            self.play.carry -= 1.0;
            let next = self.doc.step_forward(self.pos, self.show_calls);
            self.goto(next);
            if next >= self.doc.len() {
                self.play.playing = false;
                break;
            }
        }
        ctx.request_repaint();
    }

    pub fn apply(&mut self, a: Action) {
        match a {
            Action::Goto(p) => self.goto(p),
            Action::Next(t) => match self.doc.find_next(self.pos, t) {
                Some(p) => self.goto(p),
                None => self.say(format!("no {} after this point", t.label()), false),
            },
            Action::Prev(t) => match self.doc.find_prev(self.pos, t) {
                Some(p) => self.goto(p),
                None => self.say(format!("no {} before this point", t.label()), false),
            },
            Action::TogglePlay => {
                if !self.play.playing && self.pos >= self.doc.len() {
                    self.pos = 0;
                }
                self.play.playing = !self.play.playing;
                self.play.carry = 0.0;
            }
            Action::SwitchKernel(v) => self.switch_kernel(v),
            Action::SetMode(m) => self.set_mode(m),
            Action::Open(p) => self.open(p),
            Action::Save(p) => self.save(p),
            Action::Load(doc, pos) => {
                if self.mode != Mode::Scheduler {
                    self.sched = None;
                }
                self.replace_doc(*doc, pos);
            }
            Action::LoadScenario(name) => self.load_scenario(&name),
            Action::StartChallenge(ch) => self.start_challenge(*ch),
            Action::Say(m) => self.message = Some(m),
        }
    }

    fn set_mode(&mut self, m: Mode) {
        self.mode = m;
        if m == Mode::Scheduler && self.sched.is_none() {
            self.start_scheduler();
        }
    }

    /// Enters "be the scheduler" at the cursor: the decisions that led here are kept and the
    /// next one is the user's.
    pub fn start_scheduler(&mut self) {
        let st = SchedulerState::branch(&self.doc, self.pos);
        let (doc, pos) = st.to_doc();
        self.sched = Some(st);
        self.replace_doc(doc, pos);
    }

    /// Starts a level: its scenario and kernel, from step 0, in the scheduler mode.
    pub fn start_challenge(&mut self, ch: daxlab::challenge::Challenge) {
        let st = SchedulerState::new(ch.scenario.clone(), ch.kernel, Vec::new());
        let (doc, pos) = st.to_doc();
        self.replace_doc(doc, pos);
        self.sched = Some(st);
        self.mode = Mode::Scheduler;
        self.say(format!("Level {}: {}", ch.level, ch.title), false);
        self.challenge = Some(ChallengeState::new(ch));
    }

    fn open(&mut self, path: PathBuf) {
        if path.extension().is_some_and(|e| e == "toml") {
            match daxlab::challenge::Challenge::load(&path) {
                Ok(ch) => self.start_challenge(ch),
                Err(e) => self.say(e.to_string(), true),
            }
            return;
        }
        let opened = Loaded::open(&path);
        self.show_opened(opened, &path.display().to_string());
    }

    fn show_opened(&mut self, opened: Result<Loaded, String>, name: &str) {
        match opened {
            Ok(doc) => {
                let pos = doc.header.annotations.initial_step;
                let pos = if pos == 0 { 0 } else { doc.pos_of_step(pos) };
                self.replace_doc(doc, pos);
                self.sched = None;
                self.say(format!("opened {name}"), false);
            }
            Err(e) => self.say(e, true),
        }
    }

    fn save(&mut self, path: PathBuf) {
        let mut trace = match (&self.sched, self.mode) {
            (Some(st), Mode::Scheduler) => st.finished_trace(),
            _ => self.doc.full_trace(),
        };
        trace.annotations.initial_step = self.doc.step_at(self.pos);
        match crate::model::save_trace(&trace, &path) {
            Ok(()) => {
                self.say(format!("saved {} ({} events)", path.display(), trace.events.len()), false);
            }
            Err(e) => self.say(e, true),
        }
    }

    fn load_scenario(&mut self, name: &str) {
        match daxlab::Scenario::load(name) {
            Ok(sc) => {
                let doc = seed::witness(&sc, self.doc.kernel());
                self.replace_doc(doc, 0);
                self.sched = None;
            }
            Err(e) => self.say(e.to_string(), true),
        }
    }

    /// Carries the interleaving on screen over to kernel `v` and keeps the cursor on the
    /// matching event.
    pub fn switch_kernel(&mut self, v: Kernel) {
        if v == self.doc.kernel() {
            return;
        }
        let c = Compare::build(&self.doc, v);
        let (doc, pos) = c.take_side(v, self.pos);
        let mode = self.mode;
        self.replace_doc(doc, pos);
        self.sched = None;
        if mode == Mode::Scheduler {
            self.start_scheduler();
        }
        self.mode = if mode == Mode::Scheduler { Mode::Scheduler } else { mode };
    }

    /// One line saying what is on screen: the browser build shows it as the page title, so a
    /// test (or a user with many tabs) can read where the replay stands.
    pub fn status_line(&self) -> String {
        let doc = &self.doc;
        format!(
            "daxlab · {}{} · {} · step {} of {} · outcome {}",
            if doc.banner.is_some() { "DOES NOT REPLAY · " } else { "" },
            doc.scenario.name,
            doc.kernel().label(),
            doc.step_at(self.pos),
            doc.header.steps,
            doc.outcome_line()
        )
    }

    pub fn origin_title(&self) -> String {
        match &self.doc.origin {
            Origin::File(p) => p.display().to_string(),
            Origin::Made(w) => w.clone(),
        }
    }
}

/// With `DAXLAB_GUI_FRAME_LOG=1`, every 60 frames the app prints the CPU time eframe
/// measured for them (mean and max, in ms) to stderr.
#[derive(Default)]
pub struct FrameLog {
    enabled: Option<bool>,
    times: Vec<f32>,
}

impl FrameLog {
    fn record(&mut self, cpu: Option<f32>) {
        let on = *self.enabled.get_or_insert_with(|| std::env::var_os("DAXLAB_GUI_FRAME_LOG").is_some());
        let Some(t) = cpu.filter(|_| on) else { return };
        self.times.push(t * 1e3);
        if self.times.len() >= 60 {
            let mean = self.times.iter().sum::<f32>() / self.times.len() as f32;
            let max = self.times.iter().copied().fold(0.0, f32::max);
            eprintln!("frames: {} · cpu mean {mean:.2} ms · max {max:.2} ms", self.times.len());
            self.times.clear();
        }
    }
}

impl eframe::App for Workbench {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.frame_log.record(frame.info().cpu_usage);
        self.draw(ui);
        #[cfg(target_arch = "wasm32")]
        crate::web::publish_title(&self.status_line());
    }
}
