//! The kernel functions the model runs, named as the kernel names them, for call stacks
//! (Enter/Exit events) in the workbench and in Perfetto exports.

use serde::{Deserialize, Serialize};

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Func {
    /// The user-space load or store that faulted (not a kernel function).
    UserAccess,
    HandleMmFault,
    CreateHugePmd,
    WpHugePmd,
    HandlePteFault,
    DoFault,
    DoWpPage,
    WpPageCopy,
    FinishFault,
    FinishMkwriteFault,
    VmInsertMixed,
    PteAlloc,
    VmfInsertPfnPmd,
    SplitHugePmd,
    UnmapMappingRange,
    DaxfsFault,
    DaxfsPfnMkwrite,
    DaxIomapFault,
    DaxIomapPteFault,
    DaxIomapPmdFault,
    DaxPmdInsertMapping,
    DaxPmdLoadHole,
    GrabMappingEntry,
    GetUnlockedMappingEntry,
    DaxUnlockMappingEntry,
    PutLockedMappingEntry,
    PutUnlockedMappingEntry,
    DaxInsertMappingEntry,
    DaxInsertMapping,
    DaxLoadHole,
    FindOrCreatePage,
    PageCacheTreeInsert,
    DaxPfnMkwrite,
    DaxInvalidateMappingEntryInner,
    DaxDeleteMappingEntry,
    DaxInvalidateMappingEntrySync,
    DaxInvalidateMappingEntry,
    DaxIomapRw,
    IomapApply,
    DaxIomapActor,
    DaxMappingEntryMkclean,
    DaxWritebackMappingRange,
    DaxWritebackOne,
    DropPagecacheSb,
    DaxfsReadIter,
    DaxfsWriteIter,
    DaxfsFsync,
    DaxfsTruncate,
    DaxfsPunchHole,
    DaxfsFallocate,
    DeleteFromPageCache,
    TagPagesForWriteback,
    TruncatePagecache,
    TruncatePagecacheRange,
    TruncateInodePagesRange,
    InvalidateInodePages2Range,
    InvalidateMappingPages,
}

impl Func {
    pub fn name(self) -> &'static str {
        use Func as F;
        match self {
            F::UserAccess => "user access",
            F::HandleMmFault => "handle_mm_fault",
            F::CreateHugePmd => "create_huge_pmd",
            F::WpHugePmd => "wp_huge_pmd",
            F::HandlePteFault => "handle_pte_fault",
            F::DoFault => "do_fault",
            F::DoWpPage => "do_wp_page",
            F::WpPageCopy => "wp_page_copy",
            F::FinishFault => "finish_fault",
            F::FinishMkwriteFault => "finish_mkwrite_fault",
            F::VmInsertMixed => "vm_insert_mixed",
            F::PteAlloc => "pte_alloc",
            F::VmfInsertPfnPmd => "vmf_insert_pfn_pmd",
            F::SplitHugePmd => "split_huge_pmd",
            F::UnmapMappingRange => "unmap_mapping_range",
            F::DaxfsFault => "daxfs_fault",
            F::DaxfsPfnMkwrite => "daxfs_pfn_mkwrite",
            F::DaxIomapFault => "dax_iomap_fault",
            F::DaxIomapPteFault => "dax_iomap_pte_fault",
            F::DaxIomapPmdFault => "dax_iomap_pmd_fault",
            F::DaxPmdInsertMapping => "dax_pmd_insert_mapping",
            F::DaxPmdLoadHole => "dax_pmd_load_hole",
            F::GrabMappingEntry => "grab_mapping_entry",
            F::GetUnlockedMappingEntry => "get_unlocked_mapping_entry",
            F::DaxUnlockMappingEntry => "dax_unlock_mapping_entry",
            F::PutLockedMappingEntry => "put_locked_mapping_entry",
            F::PutUnlockedMappingEntry => "put_unlocked_mapping_entry",
            F::DaxInsertMappingEntry => "dax_insert_mapping_entry",
            F::DaxInsertMapping => "dax_insert_mapping",
            F::DaxLoadHole => "dax_load_hole",
            F::FindOrCreatePage => "find_or_create_page",
            F::PageCacheTreeInsert => "page_cache_tree_insert",
            F::DaxPfnMkwrite => "dax_pfn_mkwrite",
            F::DaxInvalidateMappingEntryInner => "__dax_invalidate_mapping_entry",
            F::DaxDeleteMappingEntry => "dax_delete_mapping_entry",
            F::DaxInvalidateMappingEntrySync => "dax_invalidate_mapping_entry_sync",
            F::DaxInvalidateMappingEntry => "dax_invalidate_mapping_entry",
            F::DaxIomapRw => "dax_iomap_rw",
            F::IomapApply => "iomap_apply",
            F::DaxIomapActor => "dax_iomap_actor",
            F::DaxMappingEntryMkclean => "dax_mapping_entry_mkclean",
            F::DaxWritebackMappingRange => "dax_writeback_mapping_range",
            F::DaxWritebackOne => "dax_writeback_one",
            F::DropPagecacheSb => "drop_pagecache_sb",
            F::DaxfsReadIter => "daxfs_read_iter",
            F::DaxfsWriteIter => "daxfs_write_iter",
            F::DaxfsFsync => "daxfs_fsync",
            F::DaxfsTruncate => "daxfs_truncate",
            F::DaxfsPunchHole => "daxfs_punch_hole",
            F::DaxfsFallocate => "daxfs_fallocate",
            F::DeleteFromPageCache => "delete_from_page_cache",
            F::TagPagesForWriteback => "tag_pages_for_writeback",
            F::TruncatePagecache => "truncate_pagecache",
            F::TruncatePagecacheRange => "truncate_pagecache_range",
            F::TruncateInodePagesRange => "truncate_inode_pages_range",
            F::InvalidateInodePages2Range => "invalidate_inode_pages2_range",
            F::InvalidateMappingPages => "invalidate_mapping_pages",
        }
    }
}

/// Marks the span of a kernel function: Enter when created, Exit when dropped at the end
/// of the function body.
pub struct FnScope<'a, 'k> {
    cx: &'a crate::sim::Cx<'k>,
    func: Func,
    at: &'static std::panic::Location<'static>,
}

impl Drop for FnScope<'_, '_> {
    fn drop(&mut self) {
        let func = self.func;
        self.cx.emit(self.at, || super::EventKind::Exit { func });
    }
}

impl<'k> crate::sim::Cx<'k> {
    /// `let _f = cx.enter(Func::GrabMappingEntry);` at the top of a modelled function.
    #[track_caller]
    pub fn enter(&self, func: Func) -> FnScope<'_, 'k> {
        let at = std::panic::Location::caller();
        self.emit(at, || super::EventKind::Enter { func });
        FnScope { cx: self, func, at }
    }
}
