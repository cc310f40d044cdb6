//! What the workbench knows about a trace, independent of how it is drawn.

pub mod align;
pub mod calls;
pub mod index;
pub mod loaded;
pub mod nav;
pub mod pyramid;
pub mod seed;
pub mod source;

pub use loaded::{Loaded, Origin, save_trace};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
