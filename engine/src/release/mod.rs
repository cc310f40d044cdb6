//! Kernel versions as an axis: the releases the model offers, the upstream fixes it models,
//! and a [`Kernel`] — a release plus the exact set of fixes it runs with.
//!
//! A release contains every fix that landed in it or before it; `--with` / `--without` add
//! or remove single fixes, so any race can be shown appearing (the commit that introduced
//! it is the start of the model) and disappearing (the fix). The model branches on
//! `cx.k.has(Fix::…)` exactly where a commit changes code, with the commit's id and title
//! in a comment beside the branch.
//!
//! The model asks only `has(fix)` (and, once there is more than one, the era); it never
//! branches on the release's name. Two kernels with the same fixes therefore run the same
//! code, which is what lets the matrix explore each distinct fix set once.
//!
//! Adding a release or a fix is an edit of the tables in `table.rs` (see there). This
//! module is a leaf: it depends on nothing else in the crate.

mod kernel;
mod table;

pub use kernel::{FixSet, Kernel, KernelError};
pub use table::{Fix, FixInfo, Release};

/// Which fs/dax.c a release has: the radix-tree one (v4.10 to v4.19, the `dax/` model over
/// `radix/`) or, from v4.20 ("dax: Convert page fault handlers to XArray", b15cd800682f),
/// the XArray rewrite (the `dax_xa/` model over `xarray/`). The kernel's own entry points
/// (the fs fault handlers, fsync, truncate, the mm callers) pick the model by
/// `cx.k.era()`; everything else — mm/, fs/, kernel/, pmem/ — is shared.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    /// `page_tree` is a radix tree under `tree_lock`; DAX entries are exceptional entries.
    RadixTree,
    /// `i_pages` is an XArray under its `xa_lock`; DAX entries are value entries.
    XArray,
}

impl Era {
    pub fn name(self) -> &'static str {
        match self {
            Era::RadixTree => "radix tree",
            Era::XArray => "XArray",
        }
    }
}

/// Declares the release table: one line per release, oldest first. The order of the lines
/// is the order of the releases.
macro_rules! releases {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $era:ident; )+) => {
        /// A kernel release the model offers, oldest first (the derived order is
        /// chronological).
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Release {
            $( $(#[$doc])* $variant, )+
        }

        impl Release {
            /// Every release, oldest first.
            pub const ALL: &'static [Release] = &[$(Release::$variant),+];

            /// The tag name, e.g. `v4.11-rc5`.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Release::$variant => $name, )+
                }
            }

            pub const fn era(self) -> $crate::release::Era {
                match self {
                    $( Release::$variant => $crate::release::Era::$era, )+
                }
            }
        }
    };
}

/// Declares the fix table: one block per modelled fix, in any order. The enum variant is
/// the name the model's branches use; `name` is the short name the command line accepts
/// besides the commit id.
macro_rules! fixes {
    ($(
        $(#[$doc:meta])*
        $variant:ident {
            id: $id:literal,
            name: $name:literal,
            title: $title:literal,
            release: $release:ident,
            functions: [$($func:literal),* $(,)?] $(,)?
        }
    )+) => {
        /// An upstream fix the model can run with or without.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fix {
            $( $(#[$doc])* $variant, )+
        }

        impl Fix {
            /// Every modelled fix, in table order.
            pub const ALL: &'static [Fix] = &[$(Fix::$variant),+];

            pub const fn info(self) -> &'static FixInfo {
                match self {
                    $( Fix::$variant => &FixInfo {
                        id: $id,
                        name: $name,
                        title: $title,
                        release: Release::$release,
                        functions: &[$($func),*],
                    }, )+
                }
            }
        }
    };
}

pub(crate) use {fixes, releases};
