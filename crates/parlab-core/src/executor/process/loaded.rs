//! Which code is mapped into this process, so a pool knows whether its
//! forked workers can call a function.
//!
//! Invariant: a forked worker can call exactly the code that was mapped in
//! its parent at the moment of the fork. In a notebook every cell is a new
//! library, so a function from a later cell is missing in older workers; the
//! pool compares a task's addresses with the snapshot it forked from.

use findshlibs::{IterationControl, Segment, SharedLibrary, TargetSharedLibrary};

/// Address ranges of every loadable segment of every object mapped at one instant.
#[derive(Debug, Default, Clone)]
pub(crate) struct Loaded {
    ranges: Vec<(usize, usize)>,
}

impl Loaded {
    /// What is mapped right now.
    pub fn now() -> Loaded {
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        TargetSharedLibrary::each(|lib| {
            for seg in lib.segments().filter(|s| s.is_load()) {
                let start = seg.actual_virtual_memory_address(lib).0;
                ranges.push((start, start.wrapping_add(seg.len())));
            }
        });
        ranges.sort_unstable();
        Loaded { ranges }
    }

    /// True if `addr` lies in a segment of the snapshot.
    pub fn contains(&self, addr: usize) -> bool {
        let i = self.ranges.partition_point(|&(start, _)| start <= addr);
        i > 0 && addr < self.ranges[i - 1].1
    }
}

/// Base address of the object (executable or library) containing `addr`:
/// where its first loadable segment is mapped.
pub(crate) fn object_base(addr: usize) -> Option<usize> {
    let mut base = None;
    TargetSharedLibrary::each(|lib| {
        let inside = lib.segments().filter(|s| s.is_load()).any(|s| {
            let start = s.actual_virtual_memory_address(lib).0;
            (start..start.wrapping_add(s.len())).contains(&addr)
        });
        if inside {
            base = Some(lib.actual_load_addr().0);
            return IterationControl::Break;
        }
        IterationControl::Continue
    });
    base
}

/// Base address of the object this crate's code is linked into: the
/// executable, for a program that can use the `Spawn` start method.
pub(crate) fn own_base() -> Option<usize> {
    object_base(own_base as fn() -> Option<usize> as usize)
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
