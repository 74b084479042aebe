//! Postgres refuses to run as root. When we are root, the server runs as an unprivileged
//! account (`postgres` if it exists, else `nobody`) that owns the data directory.

use std::ffi::CString;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerUser {
    pub uid: u32,
    pub gid: u32,
}

/// `None` when we are not root: the server runs as ourselves.
pub fn server_user() -> Option<ServerUser> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    ["postgres", "nobody"].into_iter().find_map(lookup)
}

fn lookup(name: &str) -> Option<ServerUser> {
    let cname = CString::new(name).ok()?;
    // SAFETY: getpwnam returns NULL or a pointer to a static passwd record; we copy out of it
    // immediately. Lookups happen before any threads we start call getpwnam.
    let pw = unsafe { libc::getpwnam(cname.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: checked non-null above.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    (uid != 0).then_some(ServerUser { uid, gid })
}

/// Give `path` and everything below it to `user`.
pub fn chown_tree(path: &Path, user: ServerUser) -> std::io::Result<()> {
    std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid))?;
    if path.is_dir() && !path.is_symlink() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), user)?;
        }
    }
    Ok(())
}
