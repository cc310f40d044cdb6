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
