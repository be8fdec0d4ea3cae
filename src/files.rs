//! Files on a shared machine. What imagefactory keeps (run journals and logs, the audit log,
//! the console's log, the inventory cache: the whole estate, subscriptions, labs, images and
//! VM owners) is private to the user who runs it: its folders are made `0700` and its files
//! `0600`. A fixed name is never followed through a symlink (another user could point
//! `audit.jsonl` at a file of yours), temporaries get names no one can guess ahead, and a
//! folder owned by someone else is refused rather than written into.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Makes `dir` (and its missing parents, `0700` too) if needed, and makes sure it is this
/// user's and closed to others: a folder this user owns is narrowed to `0700`; one owned by
/// someone else, or inside a folder of someone else's (`runs/` in a shared state folder), is
/// refused.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        // The folder it is in: this user's, or the system's (`/tmp`, `/home`).
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            let owner = std::fs::metadata(parent)?.uid();
            if owner != this_user() && owner != 0 {
                return Err(refused(
                    parent,
                    &format!(
                        "belongs to another user (uid {owner}): choose a folder of your own (IMAGEFACTORY_STATE_DIR, XDG_STATE_HOME)"
                    ),
                ));
            }
        }
        // Followed: a symlink of the user's own to a folder elsewhere is fine; whoever
        // owns the folder it reaches is what counts.
        let meta = std::fs::metadata(dir)?;
        if !meta.is_dir() {
            return Err(refused(dir, "is not a folder"));
        }
        if meta.uid() != this_user() {
            return Err(refused(
                dir,
                &format!(
                    "belongs to another user (uid {}): choose a folder of your own (IMAGEFACTORY_STATE_DIR, XDG_STATE_HOME)",
                    meta.uid()
                ),
            ));
        }
        if meta.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Opens `path` to append to, creating it `0600`; never through a symlink, and never a file
/// of another user's.
pub fn append_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true).read(true);
    open_private(path, &mut options)
}

/// Writes `bytes` to `path` whole: into a temporary of an unguessable name beside it
/// (`0600`, made new, so never through a symlink), then renamed over it (a symlink at `path`
/// is replaced, not followed). A crash leaves the old file or the new one.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_whole(path, bytes, 0o600)
}

/// As `write_private`, with the mode the user's umask gives (`0666` less the umask): for
/// files meant to be shared, such as a `factory.toml` that is committed.
pub fn write_shared(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_whole(path, bytes, 0o666)
}

fn write_whole(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let temporary = temporary_beside(path);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

/// A name beside `path` that no other process picks: the process id, the time in
/// nanoseconds and a counter.
fn temporary_beside(path: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{}-{nanos}-{}.partial",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn open_private(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        let file = options.open(path).map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                refused(
                    path,
                    "is a symlink; imagefactory does not write through one",
                )
            } else {
                e
            }
        })?;
        let meta = file.metadata()?;
        if meta.uid() != this_user() {
            return Err(refused(
                path,
                &format!("belongs to another user (uid {})", meta.uid()),
            ));
        }
        if !meta.is_file() {
            return Err(refused(path, "is not a plain file"));
        }
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

#[cfg(unix)]
fn this_user() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{} {why}", path.display()),
    )
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_are_made_0700_and_an_open_one_of_ours_is_closed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state/imagefactory");
        private_dir(&dir.join("runs")).unwrap();
        assert_eq!(mode(&dir), 0o700, "a parent it made");
        assert_eq!(mode(&dir.join("runs")), 0o700);
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn files_are_made_0600_whatever_the_umask() {
        let root = tempfile::tempdir().unwrap();
        let appended = root.path().join("audit.jsonl");
        append_private(&appended).unwrap();
        assert_eq!(mode(&appended), 0o600);
        let written = root.path().join("inventory.json");
        write_private(&written, b"{}").unwrap();
        assert_eq!(mode(&written), 0o600);
        assert_eq!(std::fs::read(&written).unwrap(), b"{}");
    }

    #[test]
    fn a_symlink_at_a_fixed_name_is_refused_and_its_target_untouched() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("yours.txt");
        std::fs::write(&target, "yours\n").unwrap();
        let link = root.path().join("audit.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = append_private(&link).unwrap_err();
        assert!(error.to_string().contains("symlink"), "{error}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "yours\n");
    }

    #[test]
    fn a_whole_write_replaces_a_symlink_instead_of_writing_through_it() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("yours.txt");
        std::fs::write(&target, "yours\n").unwrap();
        let link = root.path().join("inventory.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_private(&link, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "yours\n");
        assert!(!std::fs::symlink_metadata(&link).unwrap().is_symlink());
        // No temporary is left beside it.
        let names: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn a_folder_or_file_of_another_user_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state");
        std::fs::create_dir(&dir).unwrap();
        let file = dir.join("audit.jsonl");
        std::fs::write(&file, "").unwrap();
        // Only root can give a file away; elsewhere this part cannot be shown.
        let other = this_user() + 4242;
        if std::os::unix::fs::chown(&file, Some(other), None).is_err() {
            return;
        }
        let error = append_private(&file).unwrap_err();
        assert!(error.to_string().contains("another user"), "{error}");
        std::os::unix::fs::chown(&dir, Some(other), None).unwrap();
        let error = private_dir(&dir).unwrap_err();
        assert!(error.to_string().contains("another user"), "{error}");
        // Nor a folder of ours inside it (`runs/` in a shared state folder).
        let error = private_dir(&dir.join("runs")).unwrap_err();
        assert!(error.to_string().contains("another user"), "{error}");
    }
}
