//! Writing CPU cache lines back to persistent memory: what the kernel's wb_cache_pmem()
//! does with clwb (or clflushopt, or clflush) followed by a store fence.

use std::fmt;

/// Cache-line size on x86-64.
pub const CACHE_LINE: u64 = 64;

/// The write-back instruction this CPU offers, chosen once at run time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CacheFlush {
    /// Writes the line back and may keep it cached (the best for pmem).
    Clwb,
    /// Writes back and evicts; weakly ordered, so a batch needs one sfence.
    Clflushopt,
    /// Writes back and evicts; ordered against other clflushes (slow, but everywhere).
    Clflush,
    /// Not an x86-64 CPU: nothing to write back that a fence would not cover.
    Fence,
}

impl CacheFlush {
    /// The best instruction the running CPU supports.
    pub fn detect() -> CacheFlush {
        #[cfg(target_arch = "x86_64")]
        {
            // std's feature macro does not know clwb or clflushopt: ask CPUID leaf 7 (EBX
            // bit 24 = CLWB, bit 23 = CLFLUSHOPT).
            use std::arch::x86_64::{__cpuid_count, __get_cpuid_max};
            #[allow(unused_unsafe)]
            // SAFETY: CPUID exists on every x86-64 CPU; leaf 7 is read only if offered.
            let ebx = unsafe { if __get_cpuid_max(0).0 >= 7 { __cpuid_count(7, 0).ebx } else { 0 } };
            if ebx & (1 << 24) != 0 {
                return CacheFlush::Clwb;
            }
            if ebx & (1 << 23) != 0 {
                return CacheFlush::Clflushopt;
            }
            // clflush is part of SSE2, which every x86-64 CPU has.
            CacheFlush::Clflush
        }
        #[cfg(not(target_arch = "x86_64"))]
        CacheFlush::Fence
    }

    pub fn name(self) -> &'static str {
        match self {
            CacheFlush::Clwb => "clwb",
            CacheFlush::Clflushopt => "clflushopt",
            CacheFlush::Clflush => "clflush",
            CacheFlush::Fence => "fence",
        }
    }

    /// Writes back every cache line of `[ptr, ptr + len)` and fences, so that the lines are
    /// in the persistence domain (with MAP_SYNC on real pmem) when this returns.
    ///
    /// # Safety
    /// `ptr .. ptr + len` must lie inside one live mapping.
    pub unsafe fn write_back(self, ptr: *const u8, len: usize) {
        if len == 0 {
            return;
        }
        let start = ptr as usize & !(CACHE_LINE as usize - 1);
        let end = ptr as usize + len;
        let mut line = start;
        while line < end {
            // SAFETY: the caller guarantees the range is mapped; the line start may lie up
            // to 63 bytes before `ptr`, in the same page, hence mapped as well.
            unsafe { self.one_line(line as *const u8) };
            line += CACHE_LINE as usize;
        }
        fence();
    }

    #[cfg(target_arch = "x86_64")]
    unsafe fn one_line(self, p: *const u8) {
        // SAFETY (all three): `p` points into a live mapping, and the instruction was
        // detected on this CPU. clwb and clflushopt are emitted by mnemonic, as core::arch
        // has no stable intrinsics for them.
        unsafe {
            match self {
                CacheFlush::Clwb => std::arch::asm!("clwb [{0}]", in(reg) p, options(nostack, preserves_flags)),
                CacheFlush::Clflushopt => {
                    std::arch::asm!("clflushopt [{0}]", in(reg) p, options(nostack, preserves_flags))
                }
                CacheFlush::Clflush => std::arch::x86_64::_mm_clflush(p),
                CacheFlush::Fence => {}
            }
        }
    }

    #[cfg(not(target_arch = "x86_64"))]
    unsafe fn one_line(self, _p: *const u8) {}
}

/// sfence: orders the weakly ordered write-backs before anything that follows.
fn fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: sfence has no preconditions; SSE is part of the x86-64 baseline.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
    #[cfg(not(target_arch = "x86_64"))]
    std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
}

impl fmt::Display for CacheFlush {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
