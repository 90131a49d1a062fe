//! The allocator of a served instance (see `preinit`): blocks from one region
//! of fresh pages, given once to an instance that serves one request. Every
//! page a request touches costs a page fault, and its unmapping when the
//! instance ends, so a freed block is used again: blocks are powers of two
//! (16 bytes at least), and a freed one waits on the list of its size for the
//! next request of that size. Without this, every temporary buffer took new
//! pages (a phone parse about 25 of them).

use std::alloc::Layout;
use std::cell::Cell;

/// The smallest block, and the alignment of every block.
const MIN_BLOCK: usize = 16;
/// Size classes 16 B, 32 B, … 2^(4 + CLASSES - 1) B.
const CLASSES: usize = 28;

pub struct Arena {
    start: Cell<usize>,
    next: Cell<usize>,
    end: Cell<usize>,
    /// The first free block of each size (0: none); each free block holds
    /// the address of the next one.
    free: [Cell<usize>; CLASSES],
}

// A component instance runs one thread.
unsafe impl Sync for Arena {}

/// The size class of a request: its index and block size, or None when no
/// class is that large.
fn class_of(size: usize, align: usize) -> Option<(usize, usize)> {
    let block = size.max(align).max(MIN_BLOCK).checked_next_power_of_two()?;
    let class = (block.trailing_zeros() - MIN_BLOCK.trailing_zeros()) as usize;
    (class < CLASSES).then_some((class, block))
}

impl Arena {
    pub const fn new() -> Arena {
        Arena {
            start: Cell::new(0),
            next: Cell::new(0),
            end: Cell::new(0),
            free: [const { Cell::new(0) }; CLASSES],
        }
    }

    /// Whether the arena has its region yet.
    pub fn is_placed(&self) -> bool {
        self.end.get() != 0
    }

    /// Gives the arena the bytes `start..end`, which it owns from now on.
    pub fn place(&self, start: usize, end: usize) {
        let start = start.next_multiple_of(MIN_BLOCK);
        self.start.set(start);
        self.next.set(start);
        self.end.set(end);
    }

    pub fn contains(&self, ptr: *mut u8) -> bool {
        (self.start.get()..self.end.get()).contains(&(ptr as usize))
    }

    /// A block for `layout`, or None when the arena cannot give one.
    pub fn take(&self, layout: Layout) -> Option<*mut u8> {
        let (class, block) = class_of(layout.size(), layout.align())?;
        let head = self.free[class].get();
        if head != 0 && head.is_multiple_of(layout.align()) {
            // SAFETY: a free block of this class holds the next one's address.
            self.free[class].set(unsafe { (head as *const usize).read() });
            return Some(head as *mut u8);
        }
        let at = self.next.get().checked_next_multiple_of(layout.align())?;
        let after = at.checked_add(block)?;
        if after > self.end.get() {
            return None;
        }
        self.next.set(after);
        Some(at as *mut u8)
    }

    /// Takes back a block of the arena (false: not one of its blocks).
    ///
    /// # Safety
    /// `ptr` was given by `take` or `resize` for this `layout` and is not in use.
    pub unsafe fn give_back(&self, ptr: *mut u8, layout: Layout) -> bool {
        if !self.contains(ptr) {
            return false;
        }
        let Some((class, block)) = class_of(layout.size(), layout.align()) else {
            return true;
        };
        if ptr as usize + block == self.next.get() {
            self.next.set(ptr as usize);
        } else {
            (ptr as *mut usize).write(self.free[class].get());
            self.free[class].set(ptr as usize);
        }
        true
    }

    /// Resizes a block of the arena where it is, when its block has room or
    /// it is the last one and the arena has room after it.
    pub fn resize(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> bool {
        if !self.contains(ptr) {
            return false;
        }
        let (Some((_, old)), Some((_, new))) = (
            class_of(layout.size(), layout.align()),
            class_of(new_size, layout.align()),
        ) else {
            return false;
        };
        if ptr as usize + old == self.next.get() {
            match (ptr as usize).checked_add(new) {
                Some(after) if after <= self.end.get() => {
                    self.next.set(after);
                    true
                }
                _ => false,
            }
        } else {
            // A smaller class wastes the rest of the block, never reused.
            new <= old
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An arena over a buffer of `bytes` that lives as long as the test.
    fn arena(bytes: usize) -> (Arena, Vec<u128>) {
        let buffer = vec![0u128; bytes / 16];
        let arena = Arena::new();
        let start = buffer.as_ptr() as usize;
        arena.place(start, start + bytes);
        (arena, buffer)
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn a_freed_block_serves_the_next_request_of_its_size() {
        let (arena, _buffer) = arena(4096);
        let a = arena.take(layout(100, 8)).unwrap();
        let b = arena.take(layout(10, 1)).unwrap();
        unsafe { assert!(arena.give_back(a, layout(100, 8))) };
        // 100 and 120 bytes share the 128-byte class.
        assert_eq!(arena.take(layout(120, 4)), Some(a));
        assert_ne!(arena.take(layout(10, 1)), Some(b));
    }

    #[test]
    fn the_last_block_goes_back_to_the_free_space_and_grows_in_place() {
        let (arena, _buffer) = arena(4096);
        let a = arena.take(layout(16, 8)).unwrap();
        let b = arena.take(layout(64, 8)).unwrap();
        assert!(arena.resize(b, layout(64, 8), 1000));
        unsafe { assert!(arena.give_back(b, layout(1000, 8))) };
        assert_eq!(arena.take(layout(2000, 8)), Some(b));
        assert!(!arena.resize(a, layout(16, 8), 17), "not the last block");
        assert!(arena.resize(a, layout(16, 8), 3), "fits its block");
    }

    #[test]
    fn blocks_are_aligned_and_a_full_arena_says_so() {
        let (arena, _buffer) = arena(1024);
        let a = arena.take(layout(1, 1)).unwrap();
        let b = arena.take(layout(8, 64)).unwrap();
        assert_eq!(a as usize % MIN_BLOCK, 0);
        assert_eq!(b as usize % 64, 0);
        assert_eq!(arena.take(layout(2048, 8)), None);
        assert!(!arena.contains(std::ptr::null_mut()));
    }

    /// Many blocks taken, written, resized and given back in a fixed
    /// pseudo-random order: no two live blocks ever share a byte.
    #[test]
    fn live_blocks_never_overlap() {
        let (arena, _buffer) = arena(1 << 20);
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut random = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..20_000 {
            match random(3) {
                0 | 1 => {
                    let l = layout(1 + random(3000), 1 << random(5));
                    if let Some(p) = arena.take(l) {
                        let tag = (round % 251) as u8;
                        unsafe { p.write_bytes(tag, l.size()) };
                        live.push((p, l, tag));
                    }
                }
                _ if !live.is_empty() => {
                    let (p, l, tag) = live.swap_remove(random(live.len()));
                    let bytes = unsafe { std::slice::from_raw_parts(p, l.size()) };
                    assert!(bytes.iter().all(|&b| b == tag), "a block was overwritten");
                    let bigger = l.size() * 2;
                    if random(2) == 0 && arena.resize(p, l, bigger) {
                        let l = layout(bigger, l.align());
                        unsafe { p.write_bytes(tag, bigger) };
                        live.push((p, l, tag));
                    } else {
                        unsafe { assert!(arena.give_back(p, l)) };
                    }
                }
                _ => {}
            }
        }
        assert!(live.len() > 10);
    }
}
