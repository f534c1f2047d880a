//! Which code is mapped into this process, so a pool knows whether its
//! forked workers can call a function.
//!
//! Invariant: a forked worker can call exactly the code that was mapped in
//! its parent at the moment of the fork. In a notebook every cell is a new
//! library, so a function from a later cell is missing in older workers; the
//! pool compares a task's addresses with the snapshot it forked from.

use std::ffi::c_void;

/// Address ranges of every loadable segment of every object mapped at one instant.
#[derive(Debug, Default, Clone)]
pub(crate) struct Loaded {
    ranges: Vec<(usize, usize)>,
}

impl Loaded {
    /// What is mapped right now.
    pub fn now() -> Loaded {
        unsafe extern "C" fn each(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> libc::c_int {
            // SAFETY: dl_iterate_phdr passes a valid info and our `data` pointer.
            let (info, ranges) = unsafe { (&*info, &mut *(data as *mut Vec<(usize, usize)>)) };
            for i in 0..info.dlpi_phnum as usize {
                // SAFETY: `dlpi_phdr` has `dlpi_phnum` entries.
                let ph = unsafe { &*info.dlpi_phdr.add(i) };
                if ph.p_type == libc::PT_LOAD {
                    let start = (info.dlpi_addr as usize).wrapping_add(ph.p_vaddr as usize);
                    ranges.push((start, start + ph.p_memsz as usize));
                }
            }
            0
        }
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        // SAFETY: the callback only reads the info and pushes into `ranges`.
        unsafe { libc::dl_iterate_phdr(Some(each), &mut ranges as *mut _ as *mut c_void) };
        ranges.sort_unstable();
        Loaded { ranges }
    }

    /// True if `addr` lies in a segment of the snapshot.
    pub fn contains(&self, addr: usize) -> bool {
        let i = self.ranges.partition_point(|&(start, _)| start <= addr);
        i > 0 && addr < self.ranges[i - 1].1
    }
}

/// Base address of the object (executable or library) containing `addr`.
pub(crate) fn object_base(addr: usize) -> Option<usize> {
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads `addr` as a key and fills `info`.
    let found = unsafe { libc::dladdr(addr as *const c_void, &mut info) };
    (found != 0 && !info.dli_fbase.is_null()).then_some(info.dli_fbase as usize)
}

/// Base address of the object this crate's code is linked into: the
/// executable, for a program that can use the `Spawn` start method.
pub(crate) fn own_base() -> Option<usize> {
    object_base(crate::init as fn() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_contains_our_own_code() {
        let loaded = Loaded::now();
        assert!(loaded.contains(own_base as fn() -> Option<usize> as usize));
        assert!(!loaded.contains(0));
        assert_eq!(object_base(Loaded::now as fn() -> Loaded as usize), own_base());
    }
}
