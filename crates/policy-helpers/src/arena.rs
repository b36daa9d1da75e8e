//! The modules' allocator: a per-call arena in the module's own static memory.
//!
//! A module's allocations all die with the call that made them: the operation and payload
//! buffers, the views decoded from them, the findings and the answer (the host copies the
//! answer during the call), and policy-server runs every evaluation on a fresh instance. A
//! general-purpose allocator (wasi-libc's dlmalloc, which std linked before the modules were
//! built without it) does work no call needs: free lists, chunk headers, and on its first use a footer written at the end of
//! the initial memory, one more page a fresh instance has to fault in.
//!
//! [`Arena`] hands out memory by moving an offset up through a zeroed static block (it lies
//! in the module's `.bss`, next to its data, so a small call touches few new pages), gives
//! back in place the most recent allocation (a `Vec` growing at the top grows where it is),
//! and counts the live allocations in the block: when the count falls to zero (the end of
//! every call) the whole block is free again, so an instance serving many calls (`kwctl
//! bench`) reuses the same pages. What does not fit in the block (a very large object) goes to
//! [`Pages`], a bump allocator over pages added with `memory.grow` above everything else
//! (the modules link no other allocator: they are built without std), which also starts over
//! when its last allocation is freed and keeps its pages for the next call; so does everything
//! after the block is full until the call ends. Natively (tests) that second level is the
//! system allocator.
//!
//! An allocation that outlived its call (a lazily filled `static`) would keep the count above
//! zero: the block would then fill up once and every later allocation go to [`Pages`],
//! still correct. The unit tests below check the bookkeeping; `host-test`'s
//! `arena_is_reused_across_calls` test serves many calls from one instance of a real module
//! and checks its memory does not grow.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::{Cell, UnsafeCell};

/// Bytes of the static block the modules allocate from (the typical request needs about 20
/// KiB; pages of the block a call does not touch cost nothing).
pub const BLOCK_BYTES: usize = 256 * 1024;

/// An arena of `N` bytes in front of a second level ([`Pages`] in the modules, the system
/// allocator natively).
#[repr(C, align(16))]
pub struct Arena<const N: usize> {
    /// Offset of the first free byte of the block (first, so that the bookkeeping shares a
    /// page with the block's start, not its end).
    top: Cell<usize>,
    /// Allocations in the block not yet freed.
    live: Cell<usize>,
    block: UnsafeCell<[u8; N]>,
}

// SAFETY: the modules run single-threaded (`wasm32-wasip1` without threads); the arena is
// never shared across threads there, and native code only uses arenas it owns.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
unsafe impl<const N: usize> Sync for Arena<N> {}

impl<const N: usize> Arena<N> {
    /// An empty arena.
    pub const fn new() -> Arena<N> {
        Arena {
            top: Cell::new(0),
            live: Cell::new(0),
            block: UnsafeCell::new([0; N]),
        }
    }

    fn start(&self) -> usize {
        self.block.get() as usize
    }

    /// Whether `ptr` was handed out from the block.
    fn owns(&self, ptr: *mut u8) -> bool {
        let at = ptr as usize;
        at >= self.start() && at < self.start() + N
    }

    /// Allocations in the block not yet freed (tests).
    pub fn live(&self) -> usize {
        self.live.get()
    }

    /// Bytes of the block in use, padding included (tests).
    pub fn used(&self) -> usize {
        self.top.get()
    }

    /// The offset `layout` would start at and the offset after it, when it fits.
    fn fit(&self, layout: Layout) -> Option<(usize, usize)> {
        let base = self.start();
        let at = (base + self.top.get()).checked_add(layout.align() - 1)? & !(layout.align() - 1);
        let end = (at - base).checked_add(layout.size())?;
        (end <= N).then_some((at - base, end))
    }
}

impl<const N: usize> Default for Arena<N> {
    fn default() -> Self {
        Arena::new()
    }
}

// SAFETY: a block handed out is `layout.size()` bytes at `layout.align()` inside the arena's
// own static array, and the offset only moves down over the block being freed or resized when
// it is the last one handed out, or to zero when no block is live; so live blocks never
// overlap. Everything else is the second level's.
unsafe impl<const N: usize> GlobalAlloc for Arena<N> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.fit(layout) {
            Some((at, end)) => {
                self.top.set(end);
                self.live.set(self.live.get() + 1);
                // SAFETY: `at` is inside the block.
                unsafe { self.block.get().cast::<u8>().add(at) }
            }
            // SAFETY: forwarded unchanged.
            None => unsafe { BEYOND.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.owns(ptr) {
            // SAFETY: it came from the second level with this layout.
            return unsafe { BEYOND.dealloc(ptr, layout) };
        }
        let live = self.live.get() - 1;
        self.live.set(live);
        if live == 0 {
            self.top.set(0);
        } else if ptr as usize - self.start() + layout.size() == self.top.get() {
            self.top.set(ptr as usize - self.start());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.owns(ptr) {
            // SAFETY: it came from the second level with this layout.
            return unsafe { BEYOND.realloc(ptr, layout, new_size) };
        }
        let at = ptr as usize - self.start();
        if at + layout.size() == self.top.get()
            && let Some(end) = at.checked_add(new_size).filter(|&end| end <= N)
        {
            // The last block: resized where it is.
            self.top.set(end);
            return ptr;
        }
        // SAFETY: forwarded unchanged.
        unsafe { grow_elsewhere(self, ptr, layout, new_size) }
    }
}

/// `realloc` of a block that cannot be resized where it is: a smaller size keeps it, a larger
/// one moves it to a new block of `a` (its bytes copied, the old block freed).
///
/// # Safety
/// As `GlobalAlloc::realloc`: `ptr` is a live block of `a` with `layout`, `new_size` non-zero
/// and valid for `layout.align()`; `a` never hands out a block overlapping a live one.
unsafe fn grow_elsewhere(
    a: &impl GlobalAlloc,
    ptr: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    if new_size <= layout.size() {
        return ptr;
    }
    // SAFETY: same alignment as a valid layout, non-zero size.
    let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
    // SAFETY: a valid layout.
    let new = unsafe { a.alloc(new_layout) };
    if !new.is_null() {
        // SAFETY: both blocks are live, the old one `layout.size()` long, the new one longer;
        // they do not overlap (the allocator's promise).
        unsafe {
            core::ptr::copy_nonoverlapping(ptr, new, layout.size());
            a.dealloc(ptr, layout);
        }
    }
    new
}

/// The second level: pages from `memory.grow` in the modules, the system allocator natively.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
static BEYOND: Pages = Pages::new(grow_memory);
#[cfg(not(all(target_arch = "wasm32", target_os = "wasi")))]
static BEYOND: std::alloc::System = std::alloc::System;

/// `memory.grow` by `pages` pages of 64 KiB: the address of the first new byte.
#[cfg(all(target_arch = "wasm32", target_os = "wasi"))]
fn grow_memory(pages: usize) -> Option<usize> {
    let old = core::arch::wasm32::memory_grow(0, pages);
    (old != usize::MAX).then(|| old * PAGE)
}

/// Bytes of a WebAssembly page.
pub const PAGE: usize = 65536;

/// A bump allocator over memory it adds itself (`grow(pages)` returns the address of the new
/// pages), for what the block cannot hold. Nothing else grows the memory in a module, so the
/// pages it adds are contiguous. The most recent allocation grows or shrinks in place; when
/// the live allocations fall to zero the whole region is free again and its pages are reused.
pub struct Pages {
    grow: fn(usize) -> Option<usize>,
    /// Start of the region (0 until the first growth).
    start: Cell<usize>,
    /// First free byte.
    top: Cell<usize>,
    /// End of the pages added so far.
    end: Cell<usize>,
    /// Allocations in the region not yet freed.
    live: Cell<usize>,
}

// SAFETY: as for `Arena`: single-threaded modules; natively only in tests that own it.
unsafe impl Sync for Pages {}

impl Pages {
    /// An empty region that will take its pages from `grow`.
    pub const fn new(grow: fn(usize) -> Option<usize>) -> Pages {
        Pages {
            grow,
            start: Cell::new(0),
            top: Cell::new(0),
            end: Cell::new(0),
            live: Cell::new(0),
        }
    }

    /// Makes the region end at `end` or later; whether it could.
    fn reach(&self, end: usize) -> bool {
        if end <= self.end.get() {
            return true;
        }
        let missing = end - self.end.get();
        let Some(pages) = missing.checked_add(PAGE - 1).map(|b| b / PAGE) else {
            return false;
        };
        match (self.grow)(pages) {
            Some(at) => {
                if self.start.get() == 0 {
                    self.start.set(at);
                    self.top.set(at);
                } else if at != self.end.get() {
                    // Not contiguous (something else grew the memory): start over above it.
                    // What is live below stays where it is.
                    self.top.set(at);
                }
                self.end.set(at + pages * PAGE);
                end <= self.end.get() || self.reach(end)
            }
            None => false,
        }
    }

    /// Allocations in the region not yet freed (tests).
    pub fn live(&self) -> usize {
        self.live.get()
    }
}

// SAFETY: a block handed out is `layout.size()` bytes at `layout.align()` between `top` and
// `end`, memory the region added and no one else uses; `top` only moves down over the last
// block or to the start when nothing is live, so live blocks never overlap.
unsafe impl GlobalAlloc for Pages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.start.get() == 0 && !self.reach(layout.size().max(1)) {
            return core::ptr::null_mut();
        }
        let at = match self.top.get().checked_add(layout.align() - 1) {
            Some(a) => a & !(layout.align() - 1),
            None => return core::ptr::null_mut(),
        };
        let Some(end) = at.checked_add(layout.size()) else {
            return core::ptr::null_mut();
        };
        if !self.reach(end) {
            return core::ptr::null_mut();
        }
        // `reach` may have restarted the region above a gap: align again there.
        let at = if at < self.top.get() {
            let a = (self.top.get() + layout.align() - 1) & !(layout.align() - 1);
            if !self.reach(a + layout.size()) {
                return core::ptr::null_mut();
            }
            a
        } else {
            at
        };
        self.top.set(at + layout.size());
        self.live.set(self.live.get() + 1);
        at as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let live = self.live.get() - 1;
        self.live.set(live);
        if live == 0 {
            self.top.set(self.start.get());
        } else if ptr as usize + layout.size() == self.top.get() {
            self.top.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let at = ptr as usize;
        if at + layout.size() == self.top.get()
            && let Some(end) = at.checked_add(new_size)
            && self.reach(end)
            && self.top.get() == at + layout.size()
        {
            // The last block: resized where it is.
            self.top.set(end);
            return ptr;
        }
        // SAFETY: forwarded unchanged.
        unsafe { grow_elsewhere(self, ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_freed_at_the_end_of_a_call() {
        let arena = Box::new(Arena::<1024>::new());
        unsafe {
            let a = arena.alloc(layout(3, 1));
            let b = arena.alloc(layout(8, 8));
            let c = arena.alloc(layout(16, 16));
            assert!(arena.owns(a) && arena.owns(b) && arena.owns(c));
            assert_eq!(b as usize % 8, 0);
            assert_eq!(c as usize % 16, 0);
            assert!(b as usize >= a as usize + 3 && c as usize >= b as usize + 8);
            assert_eq!(arena.live(), 3);
            // Freeing a block that is not the last one keeps the offset.
            let used = arena.used();
            arena.dealloc(a, layout(3, 1));
            assert_eq!(arena.used(), used);
            // The last block is given back in place.
            arena.dealloc(c, layout(16, 16));
            assert_eq!(arena.used(), b as usize + 8 - arena.start());
            // The last live block: the whole block is free again.
            arena.dealloc(b, layout(8, 8));
            assert_eq!((arena.live(), arena.used()), (0, 0));
        }
    }

    #[test]
    fn the_last_block_grows_in_place_and_others_move() {
        let arena = Box::new(Arena::<1024>::new());
        unsafe {
            let a = arena.alloc(layout(4, 4));
            a.copy_from([1, 2, 3, 4].as_ptr(), 4);
            let a2 = arena.realloc(a, layout(4, 4), 64);
            assert_eq!(a, a2);
            assert_eq!(arena.used(), a as usize - arena.start() + 64);
            let b = arena.alloc(layout(4, 4));
            // `a` is no longer the last block: it moves, its bytes with it.
            let a3 = arena.realloc(a2, layout(64, 4), 128);
            assert_ne!(a3, a2);
            assert!(a3 as usize > b as usize);
            assert_eq!(core::slice::from_raw_parts(a3, 4), &[1, 2, 3, 4]);
            // Shrinking never moves.
            assert_eq!(arena.realloc(b, layout(4, 4), 2), b);
            arena.dealloc(b, layout(2, 4));
            arena.dealloc(a3, layout(128, 4));
            assert_eq!((arena.live(), arena.used()), (0, 0));
        }
    }

    /// A fake `memory.grow` over a leaked buffer of 16 pages (one test uses it).
    fn fake_grow(pages: usize) -> Option<usize> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static BASE: AtomicUsize = AtomicUsize::new(0);
        static USED: AtomicUsize = AtomicUsize::new(0);
        if BASE.load(Ordering::SeqCst) == 0 {
            let buf = Box::leak(vec![0u8; 17 * PAGE].into_boxed_slice());
            let base = (buf.as_ptr() as usize + PAGE - 1) & !(PAGE - 1);
            BASE.store(base, Ordering::SeqCst);
        }
        let used = USED.load(Ordering::SeqCst);
        (used + pages <= 16).then(|| {
            USED.store(used + pages, Ordering::SeqCst);
            BASE.load(Ordering::SeqCst) + used * PAGE
        })
    }

    #[test]
    fn pages_grow_in_place_start_over_when_empty_and_refuse_what_cannot_grow() {
        let pages = Pages::new(fake_grow);
        unsafe {
            let a = pages.alloc(layout(100, 8));
            assert!(!a.is_null());
            assert_eq!(a as usize % 8, 0);
            let b = pages.alloc(layout(3 * PAGE, 16));
            assert_eq!(b as usize % 16, 0);
            assert!(b as usize >= a as usize + 100);
            b.write_bytes(1, 3 * PAGE);
            // The last block grows where it is, across new pages.
            let b2 = pages.realloc(b, layout(3 * PAGE, 16), 5 * PAGE);
            assert_eq!(b2, b);
            b2.add(5 * PAGE - 1).write(9);
            // Another one moves, its bytes with it.
            a.write_bytes(5, 100);
            let a2 = pages.realloc(a, layout(100, 8), 200);
            assert!(a2 as usize >= b2 as usize + 5 * PAGE);
            assert_eq!(*a2.add(99), 5);
            assert_eq!(pages.live(), 2);
            // Too much for the memory there is: null, nothing broken.
            assert!(pages.alloc(layout(64 * PAGE, 8)).is_null());
            pages.dealloc(b2, layout(5 * PAGE, 16));
            pages.dealloc(a2, layout(200, 8));
            assert_eq!(pages.live(), 0);
            // Empty: the next block starts at the region's start again.
            let c = pages.alloc(layout(8, 8));
            assert_eq!(c, a);
            pages.dealloc(c, layout(8, 8));
        }
    }

    #[test]
    fn what_does_not_fit_goes_to_the_system_allocator() {
        let arena = Box::new(Arena::<256>::new());
        unsafe {
            let small = arena.alloc(layout(200, 8));
            assert!(arena.owns(small));
            // Too big for what is left, and too big for the block at all.
            let rest = arena.alloc(layout(100, 8));
            let big = arena.alloc(layout(4096, 8));
            assert!(!arena.owns(rest) && !arena.owns(big));
            big.write_bytes(7, 4096);
            // A block of the arena growing past its end moves to the system allocator.
            let grown = arena.realloc(small, layout(200, 8), 1000);
            assert!(!arena.owns(grown));
            assert_eq!(arena.live(), 0);
            assert_eq!(arena.used(), 0);
            let big2 = arena.realloc(big, layout(4096, 8), 8192);
            assert_eq!(*big2.add(4095), 7);
            arena.dealloc(big2, layout(8192, 8));
            arena.dealloc(grown, layout(1000, 8));
            arena.dealloc(rest, layout(100, 8));
            // The block is whole again.
            let again = arena.alloc(layout(256, 8));
            assert!(arena.owns(again));
            arena.dealloc(again, layout(256, 8));
        }
    }
}
