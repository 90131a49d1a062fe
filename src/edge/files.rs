//! Files of the manifest's `files` mount (read-only), read through
//! `wasi:filesystem` itself. Not through `std::fs`: wasi-libc frees each
//! list of bytes the host returns with its own `free`, while the list was
//! allocated by the component's allocator — in a served instance the arena
//! (`preinit`) — and that `free` corrupts memory (seen under Spin 4.1: a
//! 1.7 MB read trapped in `dlfree`). These bindings free what they get with
//! the allocator that gave it.

use wasi::filesystem::preopens::get_directories;
use wasi::filesystem::types::{DescriptorFlags, OpenFlags, PathFlags};

/// The whole file at `path` (absolute, inside a mount), or None.
pub fn read(path: &str) -> Option<Vec<u8>> {
    const PIECE: u64 = 64 * 1024;
    let (directory, relative) = get_directories().into_iter().find_map(|(dir, mount)| {
        let rest = path
            .strip_prefix(mount.trim_end_matches('/'))?
            .strip_prefix('/')?;
        Some((dir, rest.to_string()))
    })?;
    let file = directory
        .open_at(
            PathFlags::empty(),
            &relative,
            OpenFlags::empty(),
            DescriptorFlags::READ,
        )
        .ok()?;
    let mut body = Vec::with_capacity(file.stat().ok()?.size as usize);
    loop {
        let (piece, at_end) = file.read(PIECE, body.len() as u64).ok()?;
        body.extend_from_slice(&piece);
        if at_end || piece.is_empty() {
            return Some(body);
        }
    }
}
