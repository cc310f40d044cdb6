//! What a WARN does to the run: the model's `panic_on_warn`.

use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

/// What happens when the kernel WARNs. A BUG always ends the run; a WARN_ON in the kernel
/// prints a backtrace and the code after it runs on (unless the sysctl kernel.panic_on_warn
/// is set), so a WARN can be where the damage starts rather than where it ends.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnWarn {
    /// The first WARN ends the run, as with panic_on_warn = 1: its outcome is the WARN.
    #[default]
    Stop,
    /// Every WARN is recorded and the kernel carries on past it, as with panic_on_warn = 0:
    /// the outcome lists the WARNs and then says how the run ended.
    Continue,
}

impl OnWarn {
    pub fn name(self) -> &'static str {
        match self {
            OnWarn::Stop => "stop",
            OnWarn::Continue => "continue",
        }
    }

    /// The line `explore` and `replay` print above their results when WARNs do not stop
    /// the run (stop, the default, goes without saying).
    pub fn notice(self) -> Option<&'static str> {
        match self {
            OnWarn::Stop => None,
            OnWarn::Continue => Some(
                "on a WARN the kernel carries on (on_warn = continue): an outcome lists the WARNs, then how the run ended",
            ),
        }
    }
}

impl fmt::Display for OnWarn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OnWarn {
    type Err = String;

    fn from_str(s: &str) -> Result<OnWarn, String> {
        match s {
            "stop" => Ok(OnWarn::Stop),
            "continue" => Ok(OnWarn::Continue),
            _ => Err(format!("`{s}` is not what a WARN does: say stop or continue")),
        }
    }
}
