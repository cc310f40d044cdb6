//! A scenario's `[expect]`: what exhaustive exploration must find on each kernel.
//!
//! ```toml
//! [expect]
//! preemptions = 2
//! unfixed = ["bug(pte-under-huge-pmd)"]   # v4.11-rc5 (the old keys keep working)
//! fixed = []                               # v4.11
//!
//! [expect.kernels]
//! "v4.10..v4.11-rc5" = ["bug(pte-under-huge-pmd)"]   # a range of releases, both ends included
//! "v4.12.." = []                                      # from v4.12 on
//! "v4.12 without 13e451fdc1af" = ["data-loss"]        # one kernel, fixes changed
//! ```
//!
//! A release or a range applies to the releases as they shipped; a kernel with fixes added
//! or removed has an expectation only if it is named exactly. No kernel may be covered by
//! two keys.

use crate::release::{Kernel, KernelError, Release};
use crate::scenario::MAX_PREEMPTIONS;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What exhaustive exploration with at most `preemptions` preemptions must find: exactly
/// these failure classes, per kernel.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(try_from = "ExpectSpec")]
pub struct Expect {
    pub preemptions: u32,
    /// In the order written: `unfixed`, `fixed`, then `[expect.kernels]`.
    pub kernels: Vec<KernelExpect>,
}

/// One key of `[expect]`: which kernels it covers and the failure classes they must show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelExpect {
    /// The key as written (`unfixed`, `v4.12`, `v4.10..v4.11-rc5`, ...).
    pub key: String,
    pub covers: Covers,
    pub classes: BTreeSet<String>,
}

/// The kernels one key of `[expect]` is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Covers {
    /// Exactly this kernel (a release with fixes added or removed, or a named one).
    Kernel(Kernel),
    /// Every release from the first to the last, as shipped; `None` leaves that end open.
    Releases { from: Option<Release>, to: Option<Release> },
}

impl Covers {
    pub fn contains(self, k: Kernel) -> bool {
        match self {
            Covers::Kernel(c) => c == k,
            Covers::Releases { from, to } => {
                k.is_stock() && from.is_none_or(|f| k.release >= f) && to.is_none_or(|t| k.release <= t)
            }
        }
    }

    /// Parses an `[expect.kernels]` key: `v4.12`, `v4.10..v4.11-rc5`, `v4.12..`, `..v4.11`,
    /// or a kernel with changes such as `v4.12 without 13e451fdc1af`.
    pub fn parse(key: &str) -> Result<Covers, KernelError> {
        if let Some((a, b)) = key.split_once("..") {
            let end = |s: &str| if s.trim().is_empty() { Ok(None) } else { Release::parse(s).map(Some) };
            return Ok(Covers::Releases { from: end(a)?, to: end(b)? });
        }
        let k = Kernel::parse(key)?;
        Ok(if k.is_stock() {
            Covers::Releases { from: Some(k.release), to: Some(k.release) }
        } else {
            Covers::Kernel(k)
        })
    }

    fn overlaps(self, other: Covers) -> bool {
        match (self, other) {
            (Covers::Kernel(a), b) | (b, Covers::Kernel(a)) => b.contains(a),
            (Covers::Releases { from: f1, to: t1 }, Covers::Releases { from: f2, to: t2 }) => {
                let starts_before_other_ends = |f: Option<Release>, t: Option<Release>| match (f, t) {
                    (Some(f), Some(t)) => f <= t,
                    _ => true,
                };
                starts_before_other_ends(f1, t2) && starts_before_other_ends(f2, t1)
            }
        }
    }
}

impl fmt::Display for Covers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Covers::Kernel(k) => write!(f, "{k}"),
            Covers::Releases { from, to } if from == to && from.is_some() => {
                write!(f, "{}", from.map_or("", Release::name))
            }
            Covers::Releases { from, to } => {
                write!(f, "{}..{}", from.map_or("", Release::name), to.map_or("", Release::name))
            }
        }
    }
}

impl Expect {
    /// The failure classes `kernel` must show, if the scenario says.
    pub fn for_kernel(&self, kernel: Kernel) -> Option<&BTreeSet<String>> {
        self.kernels.iter().find(|e| e.covers.contains(kernel)).map(|e| &e.classes)
    }
}

/// `[expect]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectSpec {
    #[serde(default = "two")]
    preemptions: u32,
    unfixed: Option<Vec<String>>,
    fixed: Option<Vec<String>>,
    #[serde(default)]
    kernels: BTreeMap<String, Vec<String>>,
}

fn two() -> u32 {
    2
}

impl TryFrom<ExpectSpec> for Expect {
    type Error = String;
    fn try_from(spec: ExpectSpec) -> Result<Self, String> {
        if spec.preemptions > MAX_PREEMPTIONS {
            return Err(format!(
                "`expect.preemptions` is {}, more than the largest bound, {MAX_PREEMPTIONS}",
                spec.preemptions
            ));
        }
        let mut kernels = Vec::new();
        let named = [("unfixed", Kernel::UNFIXED, spec.unfixed), ("fixed", Kernel::FIXED, spec.fixed)];
        for (key, kernel, classes) in named {
            if let Some(classes) = classes {
                let covers = Covers::Kernel(kernel);
                kernels.push(KernelExpect { key: key.into(), covers, classes: classes.into_iter().collect() });
            }
        }
        for (key, classes) in spec.kernels {
            let covers = Covers::parse(&key).map_err(|e| format!("[expect.kernels] key `{key}`: {e}"))?;
            kernels.push(KernelExpect { key, covers, classes: classes.into_iter().collect() });
        }
        for (i, a) in kernels.iter().enumerate() {
            if let Some(b) = kernels[..i].iter().find(|b| b.covers.overlaps(a.covers)) {
                return Err(format!(
                    "`{}` and `{}` both say what a kernel must show; give each kernel one key",
                    b.key, a.key
                ));
            }
        }
        Ok(Expect { preemptions: spec.preemptions, kernels })
    }
}
