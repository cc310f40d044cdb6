//! lib/radix-tree.c as of v4.11, with CONFIG_RADIX_TREE_MULTIORDER: 64-slot nodes,
//! multi-order entries stored as a canonical slot plus sibling slots, exceptional
//! entries, and the DIRTY/WRITEBACK/TOWRITE tags. The calls fs/dax.c makes
//! (`cx.radix_tree_lookup()`, `cx.radix_tree_preload()`, ...) are in `cx.rs`.

mod cx;
mod footprint;
mod iter;
mod tree;
mod view;

pub use tree::{Found, Item, RadixTree};
pub use view::{NodeView, SlotView};

/// `struct radix_tree_root` behind the lock that protects it (the mapping's tree_lock).
pub type TreeRoot = crate::kernel::Shared<RadixTree>;

/// RADIX_TREE_MAX_PATH * 2 - 1, with MAX_PATH = ceil(64 / RADIX_TREE_MAP_SHIFT) = 11: the
/// nodes radix_tree_preload() puts in the per-CPU pool.
pub const RADIX_TREE_PRELOAD_SIZE: u32 = 21;

pub const RADIX_TREE_MAP_SHIFT: u32 = 6;
pub const RADIX_TREE_MAP_SIZE: usize = 1 << RADIX_TREE_MAP_SHIFT;
pub const RADIX_TREE_MAP_MASK: u64 = RADIX_TREE_MAP_SIZE as u64 - 1;
pub const RADIX_TREE_MAX_TAGS: u32 = 3;

pub const PAGECACHE_TAG_DIRTY: u32 = 0;
pub const PAGECACHE_TAG_WRITEBACK: u32 = 1;
pub const PAGECACHE_TAG_TOWRITE: u32 = 2;

pub fn tag_name(tag: u32) -> &'static str {
    match tag {
        PAGECACHE_TAG_DIRTY => "DIRTY",
        PAGECACHE_TAG_WRITEBACK => "WRITEBACK",
        PAGECACHE_TAG_TOWRITE => "TOWRITE",
        _ => "?",
    }
}
