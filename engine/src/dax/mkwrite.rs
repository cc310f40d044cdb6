//! dax_pfn_mkwrite(): the first write through a read-only DAX PTE.

use super::locking::{get_unlocked_mapping_entry, lock_slot, put_locked_mapping_entry, put_unlocked_mapping_entry};
use crate::mm::{Pte, VmFault, Vmf};
use crate::radix::{Item, PAGECACHE_TAG_DIRTY};
use crate::sim::Cx;
use crate::trace::Func;

/// Tag the entry dirty (so fsync will write it back), then make the PTE writable. A missing
/// entry means it was invalidated meanwhile: return NOPAGE and let the access retry.
pub async fn dax_pfn_mkwrite(cx: &Cx<'_>, vmf: &Vmf<'_>, orig: Pte) -> VmFault {
    let _f = cx.enter(Func::DaxPfnMkwrite);
    let mapping = &cx.k.mapping;
    let index = vmf.pgoff;
    cx.spin_lock_irq(&mapping.tree_lock).await;
    let entry = get_unlocked_mapping_entry(cx, mapping, index).await;
    let Some(Item::Exceptional(_)) = entry else {
        if let Some(e) = entry {
            put_unlocked_mapping_entry(cx, mapping, index, e).await;
        }
        cx.spin_unlock_irq(&mapping.tree_lock).await;
        return VmFault::NOPAGE;
    };
    cx.radix_tree_tag_set(&mapping.page_tree, index, PAGECACHE_TAG_DIRTY).await;
    let locked = lock_slot(cx, mapping, index).await;
    cx.spin_unlock_irq(&mapping.tree_lock).await;
    // If we race with somebody updating the PTE and finish_mkwrite_fault() fails, we do not
    // care: NOPAGE retries the access either way.
    crate::mm::finish_mkwrite_fault(cx, vmf, orig).await;
    put_locked_mapping_entry(cx, mapping, index, Item::Exceptional(locked)).await;
    VmFault::NOPAGE
}
