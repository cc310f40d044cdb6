//! `--on-warn`: what a WARN does to the runs a command makes.

use daxlab::Scenario;
use daxlab::check::OnWarn;

#[derive(clap::Args, Clone, Debug, Default)]
pub struct WarnArgs {
    /// What a WARN does: `stop` ends the run there (as with panic_on_warn); `continue`
    /// records it and lets the kernel carry on, so the outcome shows what the WARN led to.
    /// Default: the scenario's `on_warn`, else stop. BUGs always stop.
    #[arg(long, value_name = "stop|continue")]
    pub on_warn: Option<OnWarn>,
}

impl WarnArgs {
    /// `sc` with `--on-warn` applied (its `[expect]` classes dropped if that changes it).
    pub fn apply(&self, sc: Scenario) -> Result<Scenario, String> {
        match self.on_warn {
            Some(w) => sc.with_on_warn(w).map_err(|e| format!("--on-warn: {e}")),
            None => Ok(sc),
        }
    }
}
