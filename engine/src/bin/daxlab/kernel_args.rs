//! `--kernel`, `--variant`, `--with`, `--without`: which kernel a command runs, and
//! `daxlab kernels`, which lists what they accept.

use daxlab::{Fix, Kernel, Release};

/// The seed race's two kernels, v4.11-rc5 and v4.11: what `explore` runs by default and
/// `--variant both` names.
pub const SEED_KERNELS: [Kernel; 2] = [Kernel::UNFIXED, Kernel::FIXED];

/// `--variant`: the seed race's two kernels by their old names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum VariantArg {
    /// v4.11-rc5.
    Unfixed,
    /// v4.11, with e11f8b7b6c4e "dax: fix radix tree insertion race".
    Fixed,
    /// Both of them (where a command runs more than one kernel).
    Both,
}

#[derive(clap::Args, Clone, Debug, Default)]
pub struct KernelArgs {
    /// The kernel to run: a release (`daxlab kernels` lists them), e.g. v4.12 or 4.11-rc5,
    /// optionally with changes: "v4.12 without 13e451fdc1af".
    #[arg(long, value_name = "RELEASE")]
    pub kernel: Option<String>,
    /// Shorthand for the seed race's kernels: unfixed = v4.11-rc5, fixed = v4.11.
    #[arg(long, value_enum, conflicts_with = "kernel")]
    pub variant: Option<VariantArg>,
    /// Add a fix to the kernel: its commit id, a unique prefix of one (4 digits or more), or
    /// its name (repeatable).
    #[arg(long = "with", value_name = "FIX")]
    pub with: Vec<String>,
    /// Take a fix out of the kernel (repeatable).
    #[arg(long = "without", value_name = "FIX")]
    pub without: Vec<String>,
}

impl KernelArgs {
    /// The kernels asked for: `--kernel`, or `--variant`, or else `default`; each with the
    /// `--with` / `--without` changes applied.
    pub fn kernels(&self, default: &[Kernel]) -> Result<Vec<Kernel>, String> {
        let base: Vec<Kernel> = match (&self.kernel, self.variant) {
            (Some(k), _) => vec![Kernel::parse(k).map_err(|e| format!("--kernel: {e}"))?],
            (None, Some(VariantArg::Unfixed)) => vec![Kernel::UNFIXED],
            (None, Some(VariantArg::Fixed)) => vec![Kernel::FIXED],
            (None, Some(VariantArg::Both)) => SEED_KERNELS.to_vec(),
            (None, None) => default.to_vec(),
        };
        let changes = !self.with.is_empty() || !self.without.is_empty();
        if changes && base.len() > 1 {
            return Err("--with/--without change one kernel: say which with --kernel RELEASE".into());
        }
        base.into_iter().map(|k| self.apply(k)).collect()
    }

    /// Exactly one kernel: as [`KernelArgs::kernels`], with `default` when none is named.
    pub fn kernel(&self, default: Kernel) -> Result<Kernel, String> {
        match self.kernels(&[default])?.as_slice() {
            [k] => Ok(*k),
            _ => Err("this command runs one kernel: give --kernel RELEASE or --variant unfixed|fixed".into()),
        }
    }

    /// Exactly one kernel, which must be named (`--kernel` or `--variant`).
    pub fn required(&self) -> Result<Kernel, String> {
        if self.kernel.is_none() && self.variant.is_none() {
            return Err(
                "say which kernel: --kernel RELEASE (`daxlab kernels` lists them) or --variant unfixed|fixed".into()
            );
        }
        self.kernel(Kernel::UNFIXED)
    }

    fn apply(&self, mut k: Kernel) -> Result<Kernel, String> {
        for w in &self.with {
            let fix = Fix::parse(w).map_err(|e| format!("--with: {e}"))?;
            k = k.with(fix).map_err(|e| format!("--with: {e}"))?;
        }
        for w in &self.without {
            let fix = Fix::parse(w).map_err(|e| format!("--without: {e}"))?;
            k = k.without(fix).map_err(|e| format!("--without: {e}"))?;
        }
        Ok(k)
    }
}

/// `daxlab kernels`: the releases, the fixes each adds, and what each fix changes.
pub fn list_kernels() {
    println!("Releases (each has the fixes of the ones before it):\n");
    for &r in Release::ALL {
        let alias = Kernel::stock(r).alias().map(|a| format!(" = {a}")).unwrap_or_default();
        println!("{}{alias}  ({} era)", r.name(), r.era().name());
        let own: Vec<Fix> = r.own_fixes().collect();
        if own.is_empty() {
            println!("    no modelled fix lands here");
        }
        for fix in own {
            println!("    + {fix}");
        }
    }
    println!("\nFixes (--with / --without take the id, a unique prefix of it, or the name):\n");
    for &fix in Fix::ALL {
        let i = fix.info();
        println!("{}  {}  [{}]  first in {}", i.id, i.title, i.name, i.release.name());
        for f in i.functions {
            println!("    changes {f}");
        }
    }
}
