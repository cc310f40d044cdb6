//! A kernel: a release plus the exact set of fixes it runs with.

use super::{Fix, Release};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A set of modelled fixes, one bit per fix: `has()` is a single bit test.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FixSet(u64);

const _: () = assert!(Fix::ALL.len() <= 64, "FixSet holds one bit per fix in a u64: widen it to u128");

impl FixSet {
    pub const EMPTY: FixSet = FixSet(0);

    const fn bit(fix: Fix) -> u64 {
        1 << fix as u8
    }

    #[inline]
    pub const fn contains(self, fix: Fix) -> bool {
        self.0 & Self::bit(fix) != 0
    }

    pub const fn with(self, fix: Fix) -> FixSet {
        FixSet(self.0 | Self::bit(fix))
    }

    pub const fn without(self, fix: Fix) -> FixSet {
        FixSet(self.0 & !Self::bit(fix))
    }

    /// Every fix that landed in `release` or before it.
    pub const fn of_release(release: Release) -> FixSet {
        let mut set = FixSet::EMPTY;
        let mut i = 0;
        while i < Fix::ALL.len() {
            let fix = Fix::ALL[i];
            if fix.info().release as u8 <= release as u8 {
                set = set.with(fix);
            }
            i += 1;
        }
        set
    }

    /// The fixes in the set, in table order.
    pub fn iter(self) -> impl Iterator<Item = Fix> {
        Fix::ALL.iter().copied().filter(move |f| self.contains(*f))
    }
}

/// What a kernel run by the model is: a release, and the fixes it has (normally the
/// release's own; `--with` / `--without` change them one by one).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "KernelWire", into = "KernelWire")]
pub struct Kernel {
    pub release: Release,
    pub fixes: FixSet,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KernelError {
    #[error("unknown kernel release `{given}` (the model offers {known}; `daxlab kernels` lists them)")]
    UnknownRelease { given: String, known: String },
    #[error("unknown fix `{given}` (give a commit id, a unique prefix of one, or a name: {known})")]
    UnknownFix { given: String, known: String },
    #[error("`{given}` could be any of {matches}: give more of the commit id")]
    AmbiguousFix { given: String, matches: String },
    #[error("{kernel} already has {fix}")]
    AlreadyHas { kernel: String, fix: String },
    #[error("{kernel} does not have {fix} (it landed in {landed}), so there is nothing to remove")]
    DoesNotHave { kernel: String, fix: String, landed: &'static str },
    #[error("`{given}` is not a kernel: {why} (e.g. `v4.12`, `v4.12 without 13e451fdc1af`, `unfixed`)")]
    Syntax { given: String, why: String },
}

impl KernelError {
    fn unknown_release(given: &str) -> KernelError {
        KernelError::UnknownRelease {
            given: given.to_string(),
            known: Release::ALL.iter().map(|r| r.name()).collect::<Vec<_>>().join(", "),
        }
    }

    fn unknown_fix(given: &str) -> KernelError {
        KernelError::UnknownFix {
            given: given.to_string(),
            known: Fix::ALL
                .iter()
                .map(|f| format!("{} ({})", f.info().id, f.info().name))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

impl Release {
    /// `v4.12`, `4.12`, `V4.11-rc5`.
    pub fn parse(s: &str) -> Result<Release, KernelError> {
        let t = s.trim();
        let bare = t.strip_prefix(['v', 'V']).unwrap_or(t);
        Release::ALL
            .iter()
            .copied()
            .find(|r| r.name()[1..].eq_ignore_ascii_case(bare))
            .ok_or_else(|| KernelError::unknown_release(s))
    }

    /// The release before this one, if the model offers one.
    pub fn previous(self) -> Option<Release> {
        let i = Release::ALL.iter().position(|r| *r == self)?;
        i.checked_sub(1).map(|p| Release::ALL[p])
    }

    /// The fixes that landed in this release (not before).
    pub fn own_fixes(self) -> impl Iterator<Item = Fix> {
        Fix::ALL.iter().copied().filter(move |f| f.info().release == self)
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Fix {
    /// A commit id, a unique prefix of one (at least 4 digits), the short name, or the title.
    pub fn parse(s: &str) -> Result<Fix, KernelError> {
        let t = s.trim();
        let by_name = Fix::ALL
            .iter()
            .copied()
            .find(|f| f.info().name.eq_ignore_ascii_case(t) || f.info().title.eq_ignore_ascii_case(t));
        if let Some(fix) = by_name {
            return Ok(fix);
        }
        let is_hex = t.len() >= 4 && t.chars().all(|c| c.is_ascii_hexdigit());
        let matches: Vec<Fix> = if is_hex {
            Fix::ALL.iter().copied().filter(|f| f.info().id.starts_with(&t.to_ascii_lowercase())).collect()
        } else {
            Vec::new()
        };
        match matches.as_slice() {
            [fix] => Ok(*fix),
            [] => Err(KernelError::unknown_fix(s)),
            many => Err(KernelError::AmbiguousFix {
                given: s.to_string(),
                matches: many.iter().map(|f| f.info().id).collect::<Vec<_>>().join(", "),
            }),
        }
    }
}

impl fmt::Display for Fix {
    /// `e11f8b7b6c4e dax: fix radix tree insertion race`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.info().id, self.info().title)
    }
}

impl Kernel {
    /// v4.11-rc5, the seed race's kernel: `--variant unfixed`.
    pub const UNFIXED: Kernel = Kernel::stock(Release::V4_11Rc5);
    /// v4.11, with the seed fix: `--variant fixed`.
    pub const FIXED: Kernel = Kernel::stock(Release::V4_11);

    /// A release with exactly its own fixes.
    pub const fn stock(release: Release) -> Kernel {
        Kernel { release, fixes: FixSet::of_release(release) }
    }

    /// Every release as it shipped, oldest first.
    pub fn releases() -> impl Iterator<Item = Kernel> {
        Release::ALL.iter().map(|r| Kernel::stock(*r))
    }

    /// Whether this kernel runs the code of `fix`. A bit test: the model asks at every
    /// branch a fix made.
    #[inline]
    pub const fn has(self, fix: Fix) -> bool {
        self.fixes.contains(fix)
    }

    /// This kernel plus `fix`; an error if it has it already.
    pub fn with(self, fix: Fix) -> Result<Kernel, KernelError> {
        if self.has(fix) {
            return Err(KernelError::AlreadyHas { kernel: self.to_string(), fix: fix.to_string() });
        }
        Ok(Kernel { fixes: self.fixes.with(fix), ..self })
    }

    /// This kernel minus `fix`; an error if it does not have it.
    pub fn without(self, fix: Fix) -> Result<Kernel, KernelError> {
        if !self.has(fix) {
            return Err(KernelError::DoesNotHave {
                kernel: self.to_string(),
                fix: fix.to_string(),
                landed: fix.info().release.name(),
            });
        }
        Ok(Kernel { fixes: self.fixes.without(fix), ..self })
    }

    /// The release exactly as it shipped (no fix added or removed).
    pub fn is_stock(self) -> bool {
        self.fixes == FixSet::of_release(self.release)
    }

    /// Fixes this kernel has that its release does not.
    pub fn added(self) -> impl Iterator<Item = Fix> {
        let stock = FixSet::of_release(self.release);
        self.fixes.iter().filter(move |f| !stock.contains(*f))
    }

    /// Fixes its release has that this kernel does not.
    pub fn removed(self) -> impl Iterator<Item = Fix> {
        let fixes = self.fixes;
        FixSet::of_release(self.release).iter().filter(move |f| !fixes.contains(*f))
    }

    /// `unfixed` or `fixed` for the seed race's two kernels.
    pub fn alias(self) -> Option<&'static str> {
        if self == Kernel::UNFIXED {
            Some("unfixed")
        } else if self == Kernel::FIXED {
            Some("fixed")
        } else {
            None
        }
    }

    /// How messages name it: `unfixed` / `fixed` for the seed race's two kernels, else
    /// as [`Display`](fmt::Display) writes it (`v4.12`, `v4.12 without 13e451fdc1af`).
    pub fn label(self) -> String {
        self.alias().map_or_else(|| self.to_string(), str::to_string)
    }

    /// How a heading names it: `unfixed kernel (v4.11-rc5)`, `kernel v4.12 without
    /// 13e451fdc1af`.
    pub fn describe(self) -> String {
        match self.alias() {
            Some(a) => format!("{a} kernel ({self})"),
            None => format!("kernel {self}"),
        }
    }

    /// A name for file names: the alias, or e.g. `v4.12`, `v4.12-without-13e451fdc1af`.
    pub fn slug(self) -> String {
        match self.alias() {
            Some(a) => a.to_string(),
            None => self.to_string().replace(' ', "-"),
        }
    }

    /// The kernel to compare this one with when no other is named: the other seed kernel
    /// for `unfixed` / `fixed`; otherwise the release as it shipped, if fixes were changed;
    /// otherwise the release before (or after, for the oldest).
    pub fn counterpart(self) -> Kernel {
        if self == Kernel::UNFIXED {
            return Kernel::FIXED;
        }
        if self == Kernel::FIXED {
            return Kernel::UNFIXED;
        }
        if !self.is_stock() {
            return Kernel::stock(self.release);
        }
        match self.release.previous() {
            Some(p) => Kernel::stock(p),
            None => Kernel::releases().nth(1).unwrap_or(self),
        }
    }

    /// Parses `unfixed`, `fixed`, `v4.12`, `4.12`, and a release followed by changes:
    /// `v4.12 without 13e451fdc1af`, `v4.11-rc5 with insertion-race`, `v4.12 -13e451fdc1af`,
    /// `v4.10 +e11f8b7b6c4e`.
    pub fn parse(s: &str) -> Result<Kernel, KernelError> {
        let mut words = s.split_whitespace();
        let first = words.next().ok_or_else(|| KernelError::Syntax { given: s.into(), why: "it is empty".into() })?;
        let mut kernel = match first.to_ascii_lowercase().as_str() {
            "unfixed" => Kernel::UNFIXED,
            "fixed" => Kernel::FIXED,
            _ => Kernel::stock(Release::parse(first)?),
        };
        while let Some(w) = words.next() {
            let (add, fix) = match w {
                "with" | "without" => {
                    let name = words.next().ok_or_else(|| KernelError::Syntax {
                        given: s.into(),
                        why: format!("`{w}` needs a fix after it"),
                    })?;
                    (w == "with", name)
                }
                _ if w.starts_with('+') => (true, &w[1..]),
                _ if w.starts_with('-') => (false, &w[1..]),
                _ => {
                    return Err(KernelError::Syntax {
                        given: s.into(),
                        why: format!("`{w}` is neither `with <fix>`, `without <fix>`, `+<fix>` nor `-<fix>`"),
                    });
                }
            };
            let fix = Fix::parse(fix)?;
            kernel = if add { kernel.with(fix)? } else { kernel.without(fix)? };
        }
        Ok(kernel)
    }
}

impl fmt::Display for Kernel {
    /// The release, then what differs from it: `v4.12 without 13e451fdc1af`. Parses back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.release.name())?;
        for fix in self.removed() {
            write!(f, " without {}", fix.info().id)?;
        }
        for fix in self.added() {
            write!(f, " with {}", fix.info().id)?;
        }
        Ok(())
    }
}

/// How a trace stores its kernel: the release and every fix by commit id, so that a fix
/// added to the table later cannot change what an old trace ran.
#[derive(Serialize, Deserialize)]
#[serde(rename = "Kernel")]
struct KernelWire {
    release: String,
    fixes: Vec<String>,
}

impl From<Kernel> for KernelWire {
    fn from(k: Kernel) -> Self {
        KernelWire { release: k.release.name().into(), fixes: k.fixes.iter().map(|f| f.info().id.into()).collect() }
    }
}

impl TryFrom<KernelWire> for Kernel {
    type Error = KernelError;
    fn try_from(w: KernelWire) -> Result<Self, KernelError> {
        let release = Release::ALL
            .iter()
            .copied()
            .find(|r| r.name() == w.release)
            .ok_or_else(|| KernelError::unknown_release(&w.release))?;
        let mut fixes = FixSet::EMPTY;
        for id in &w.fixes {
            let fix =
                Fix::ALL.iter().copied().find(|f| f.info().id == id).ok_or_else(|| KernelError::unknown_fix(id))?;
            fixes = fixes.with(fix);
        }
        Ok(Kernel { release, fixes })
    }
}
