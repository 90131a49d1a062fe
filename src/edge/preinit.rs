//! The component's build-time initializer: `auth-preinit` (tests/host) calls
//! this export once, snapshots the memory it leaves behind into the served
//! `.wasm`, and every request's fresh instance starts with the phone metadata
//! already loaded (≈ 1.8 ms of CPU per request otherwise, measured by
//! `auth-preinit --time` on the component before the snapshot). It calls no host
//! import but `insecure-seed` (see auth-preinit): nothing from the host,
//! nothing random or secret, ends up in the snapshot.
//!
//! And the allocator that goes with it. The snapshot's heap is megabytes of
//! metadata with free chunks scattered through it; left to the standard
//! allocator, a request's allocations would land in those chunks and every
//! page they touch would be copied from the image (copy-on-write) in every
//! instance. So once warmed up, the component allocates from an arena of
//! fresh pages grown at its first allocation: contiguous, never copied, and
//! freed all at once when the instance ends (each serves one request; only
//! the last block given out is taken back earlier). A request needing more
//! than `ARENA_BYTES` gets the rest from the standard allocator, and keeps it
//! too. Measured under Spin 4.1: `/health` 3,400 → 4,800 req/s, `/me`
//! 1,220 → 1,380 (the component without the snapshot: 6,600 for `/health`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

wit_bindgen::generate!({
    inline: r#"
        package auth:preinit;
        world preinit {
            export wizer-initialize: func();
        }
    "#,
});

struct Preinit;

impl Guest for Preinit {
    fn wizer_initialize() {
        crate::core::identity::Phone::warm_up();
        ARENA.warmed_up.set(true);
    }
}

export!(Preinit);

const WASM_PAGE: usize = 65_536;
/// Enough for any request's allocations (a request uses well under 1 MiB).
const ARENA_BYTES: usize = 16 * 1024 * 1024;

struct Arena {
    /// Set at build time, after the warm-up: the served instances use the arena.
    warmed_up: Cell<bool>,
    start: Cell<usize>,
    next: Cell<usize>,
    end: Cell<usize>,
}

// A component instance runs one thread.
unsafe impl Sync for Arena {}

static ARENA: Arena = Arena {
    warmed_up: Cell::new(false),
    start: Cell::new(0),
    next: Cell::new(0),
    end: Cell::new(0),
};

impl Arena {
    fn contains(&self, ptr: *mut u8) -> bool {
        (self.start.get()..self.end.get()).contains(&(ptr as usize))
    }

    /// A block from the arena, growing it (once) at the first allocation.
    fn take(&self, layout: Layout) -> Option<*mut u8> {
        if !self.warmed_up.get() {
            return None;
        }
        if self.end.get() == 0 {
            let pages = ARENA_BYTES / WASM_PAGE;
            let first = core::arch::wasm32::memory_grow(0, pages);
            if first == usize::MAX {
                self.warmed_up.set(false);
                return None;
            }
            self.start.set(first * WASM_PAGE);
            self.next.set(first * WASM_PAGE);
            self.end.set((first + pages) * WASM_PAGE);
        }
        let at = self.next.get().checked_add(layout.align() - 1)? & !(layout.align() - 1);
        let after = at.checked_add(layout.size())?;
        if after > self.end.get() {
            return None;
        }
        self.next.set(after);
        Some(at as *mut u8)
    }
}

struct ArenaAfterWarmUp;

unsafe impl GlobalAlloc for ArenaAfterWarmUp {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match ARENA.take(layout) {
            Some(ptr) => ptr,
            None => System.alloc(layout),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARENA.contains(ptr) {
            // The last block given out can be taken back; the rest goes
            // with the instance.
            if ptr as usize + layout.size() == ARENA.next.get() {
                ARENA.next.set(ptr as usize);
            }
        } else if !ARENA.warmed_up.get() {
            System.dealloc(ptr, layout)
        }
        // A block of the snapshot's heap freed while serving stays where it
        // is: freeing it would write to (and so copy) its page.
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARENA.contains(ptr) && ptr as usize + layout.size() == ARENA.next.get() {
            // The last block grows or shrinks in place when it fits.
            if let Some(after) = (ptr as usize).checked_add(new_size) {
                if after <= ARENA.end.get() {
                    ARENA.next.set(after);
                    return ptr;
                }
            }
        }
        if !ARENA.warmed_up.get() && !ARENA.contains(ptr) {
            return System.realloc(ptr, layout, new_size);
        }
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let new = self.alloc(new_layout);
        if !new.is_null() {
            std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: ArenaAfterWarmUp = ArenaAfterWarmUp;
