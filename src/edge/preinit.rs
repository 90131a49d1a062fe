//! The component's build-time initializer: `auth-preinit` (tools/preinit)
//! calls this export once, snapshots the memory it leaves behind into the
//! served `.wasm`, and every fresh instance starts with the phone metadata
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
//! fresh pages grown at its first allocation (`edge::arena`): never copied,
//! its freed blocks used again, and all of it released when the instance
//! ends (a p2 instance serves one request; a p3 instance up to Spin's
//! reuse count, one at a time with the settings ./run.sh gives: the free
//! lists keep its memory at the peak of one request). Requests needing
//! more than `ARENA_BYTES` at once get the rest from the standard
//! allocator, and keep it until the instance ends. Measured under Spin 4.1: `/health` 3,400 → 4,800 req/s, `/me`
//! 1,220 → 1,380 (the component without the snapshot: 6,600 for `/health`).

use super::arena::Arena;
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
        WARMED_UP.0.set(true);
    }
}

export!(Preinit);

const WASM_PAGE: usize = 65_536;
/// Enough for any request's allocations (a request uses well under 1 MiB).
const ARENA_BYTES: usize = 16 * 1024 * 1024;

/// Set at build time, after the warm-up: the served instances use the arena.
struct WarmedUp(Cell<bool>);

// A component instance runs one thread.
unsafe impl Sync for WarmedUp {}

static WARMED_UP: WarmedUp = WarmedUp(Cell::new(false));
static ARENA: Arena = Arena::new();

/// A block from the arena, growing its region (once) at the first allocation.
fn from_arena(layout: Layout) -> Option<*mut u8> {
    if !WARMED_UP.0.get() {
        return None;
    }
    if !ARENA.is_placed() {
        let pages = ARENA_BYTES / WASM_PAGE;
        let first = core::arch::wasm32::memory_grow(0, pages);
        if first == usize::MAX {
            WARMED_UP.0.set(false);
            return None;
        }
        ARENA.place(first * WASM_PAGE, (first + pages) * WASM_PAGE);
    }
    ARENA.take(layout)
}

struct ArenaAfterWarmUp;

unsafe impl GlobalAlloc for ArenaAfterWarmUp {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match from_arena(layout) {
            Some(ptr) => ptr,
            None => System.alloc(layout),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !ARENA.give_back(ptr, layout) && !WARMED_UP.0.get() {
            System.dealloc(ptr, layout)
        }
        // A block of the snapshot's heap freed while serving stays where it
        // is: freeing it would write to (and so copy) its page.
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARENA.resize(ptr, layout, new_size) {
            return ptr;
        }
        if !WARMED_UP.0.get() && !ARENA.contains(ptr) {
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
