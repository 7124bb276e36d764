//! The file-system side of `keyhaven device import PATH...` (and `escrow submit --file`):
//! files are read directly, folders walked recursively in sorted order, and each file's bytes
//! handed to [`keyhaven_client::device_files::read`], which tells the format (BitLocker
//! recovery key `.txt`, `manage-bde -protectors -get` output, CSV, JSON) and validates every
//! key. The parsing is in the client so that the web vault reads the same files the same way;
//! its module documentation explains what is checked, why no reason quotes a field's value,
//! and how buffers holding keys are zeroized.
//!
//! Files are read into zeroizing buffers. What cannot be read inside a folder (a dangling
//! link, a file too large to be a key file) is one [`Invalid`], like a file that is not a key
//! file.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use keyhaven_client::device_files::{self, MAX_FILE_BYTES, Read};
pub use keyhaven_client::device_files::{Candidate, Defaults, Invalid};
use zeroize::Zeroizing;

/// Reads every path: files directly, folders recursively (sorted by name; hidden entries,
/// images and already-visited folders skipped).
///
/// Errors only when a path given here does not exist or cannot be read; anything wrong
/// inside a folder is reported as [`Invalid`].
pub fn collect(
    paths: &[PathBuf],
    defaults: &Defaults,
) -> Result<(Vec<Candidate>, Vec<Invalid>), io::Error> {
    let mut found = Read::default();
    // Canonical folders already walked: stops symlink loops and double visits.
    let mut visited = HashSet::new();
    for path in paths {
        let metadata = fs::metadata(path).map_err(|e| with_path(path, e))?;
        if metadata.is_dir() {
            let entries = sorted_entries(path).map_err(|e| with_path(path, e))?;
            if let Ok(canonical) = fs::canonicalize(path)
                && !visited.insert(canonical)
            {
                continue;
            }
            walk(entries, defaults, &mut visited, &mut found);
        } else {
            let bytes = read_limited(path, &metadata).map_err(|e| with_path(path, e))?;
            read_file(&origin_of(path), path, &bytes, false, defaults, &mut found);
        }
    }
    Ok((found.candidates, found.invalid))
}

/// The origin prefix for a file.
fn origin_of(path: &Path) -> String {
    path.display().to_string()
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Parses one file's bytes (see [`device_files::read`]) into `found`.
fn read_file(
    origin: &str,
    path: &Path,
    bytes: &[u8],
    in_folder: bool,
    defaults: &Defaults,
    found: &mut Read,
) {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    found.append(device_files::read(
        origin, &file_name, bytes, in_folder, defaults,
    ));
}

// --- Walking folders ---------------------------------------------------------------------

fn sorted_entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

fn walk(
    entries: Vec<PathBuf>,
    defaults: &Defaults,
    visited: &mut HashSet<PathBuf>,
    found: &mut Read,
) {
    for path in entries {
        let hidden = path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        let origin = origin_of(&path);
        // Follows symbolic links; a dangling one is reported.
        let metadata = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                found.bad(origin, format!("cannot read: {e}"));
                continue;
            }
        };
        if metadata.is_dir() {
            match fs::canonicalize(&path) {
                Ok(canonical) => {
                    if !visited.insert(canonical) {
                        continue;
                    }
                }
                Err(e) => {
                    found.bad(origin, format!("cannot read the folder: {e}"));
                    continue;
                }
            }
            match sorted_entries(&path) {
                Ok(children) => walk(children, defaults, visited, found),
                Err(e) => found.bad(origin, format!("cannot read the folder: {e}")),
            }
        } else if metadata.is_file() {
            match read_limited(&path, &metadata) {
                Ok(bytes) => read_file(&origin, &path, &bytes, true, defaults, found),
                Err(e) => found.bad(origin, format!("cannot read: {e}")),
            }
        }
        // Sockets, pipes and devices are not files anyone exports keys to: skipped.
    }
}

fn read_limited(path: &Path, metadata: &fs::Metadata) -> io::Result<Zeroizing<Vec<u8>>> {
    if metadata.len() > MAX_FILE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "larger than {} MiB, so not a key file",
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    fs::read(path).map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyhaven_client::device_export::{self, ExportFormat};
    use keyhaven_client::device_files::UNRECOGNIZED;
    use keyhaven_core::device::BitLockerRecoveryFile;
    use keyhaven_core::escrow::{DeviceKind, DeviceMeta, KeyId, VolumeType};

    // Valid passwords from docs/vectors/bitlocker-recovery-passwords.json.
    const KEY_A: &str = "132858-327525-689172-680790-354607-080454-642268-377564";
    const KEY_B: &str = "471207-278498-422125-177177-561902-537405-468006-693451";
    const KEY_C: &str = "599907-126192-034078-378543-435050-262383-683309-100661";
    const ID_A: &str = "AC9D5655-F7CA-4D1D-902F-1B6087118138";
    const ID_B: &str = "4B82A66E-A0C0-4EF4-AB39-0123456789AB";
    const ID_C: &str = "9E2A1F00-3C4D-4E5F-8A6B-7C8D9E0F1A2B";

    fn device(name: &str) -> Defaults {
        Defaults {
            device: Some(name.into()),
            ..Defaults::default()
        }
    }

    fn windows_file(id: &str, key: &str) -> Zeroizing<Vec<u8>> {
        BitLockerRecoveryFile {
            identifier: id.parse().unwrap(),
            password: key.parse().unwrap(),
        }
        .to_windows_bytes()
    }

    #[test]
    fn folders_are_walked_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/nested")).unwrap();
        fs::create_dir_all(root.join(".hidden")).unwrap();
        fs::write(root.join("a.TXT"), windows_file(ID_A, KEY_A)).unwrap();
        fs::write(
            root.join("b/nested/keys.csv"),
            format!("Device,Key ID,Recovery Key\npc-b,{ID_B},{KEY_B}\npc-c,{ID_C},123456\n"),
        )
        .unwrap();
        fs::write(root.join("b/readme.md"), "These are the keys.\n").unwrap();
        fs::write(root.join("b/screenshot.png"), b"\x89PNG\r\n").unwrap();
        fs::write(root.join("desktop.ini"), "[.ShellClassInfo]\n").unwrap();
        fs::write(root.join(".hidden/c.txt"), windows_file(ID_C, KEY_C)).unwrap();
        fs::write(root.join(".DS_Store"), b"\0\0\0\x01Bud1").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("b/loop")).unwrap();

        let (candidates, invalid) = collect(&[root.to_path_buf()], &device("PC")).unwrap();
        let rel = |origin: &str| {
            origin
                .strip_prefix(&format!("{}/", root.display()))
                .unwrap()
                .to_owned()
        };
        let got: Vec<_> = candidates
            .iter()
            .map(|c| (rel(&c.origin), c.meta.key_id.as_str().to_owned()))
            .collect();
        assert_eq!(
            got,
            [
                ("a.TXT".to_owned(), ID_A.to_owned()),
                ("b/nested/keys.csv:line 2".to_owned(), ID_B.to_owned()),
            ]
        );
        let bad: Vec<_> = invalid
            .iter()
            .map(|i| (rel(&i.origin), i.reason.clone()))
            .collect();
        assert_eq!(
            bad,
            [
                (
                    "b/nested/keys.csv:line 3".to_owned(),
                    "recovery key: a recovery password has 48 digits, found 6".to_owned()
                ),
                ("b/readme.md".to_owned(), UNRECOGNIZED.to_owned()),
            ]
        );

        // A path on the command line that does not exist is an error, naming it.
        let missing = root.join("nope.txt");
        let err = collect(std::slice::from_ref(&missing), &device("PC")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("nope.txt"));
        // A file named directly is reported even if a folder walk would skip it.
        let (_, invalid) = collect(&[root.join("b/screenshot.png")], &device("PC")).unwrap();
        assert_eq!(invalid.len(), 1);
    }

    /// What `device export` writes, saved under its default name, imports back from the file.
    #[test]
    fn exported_files_import_back() {
        const KEY: &str = "531058-303050-716078-383614-460922-106975-083446-139161";
        const ID: &str = "6F1C2D3E-4A5B-4C6D-8E7F-90A1B2C3D4E5";
        let meta = DeviceMeta {
            device: "FIN-LAPTOP-07".into(),
            serial: "5CG1234XYZ".into(),
            os: "Windows 11".into(),
            volume: "C:".into(),
            volume_type: Some(VolumeType::Os),
            kind: DeviceKind::BitLocker,
            key_id: KeyId::parse(ID, DeviceKind::BitLocker).unwrap(),
            source: "manage-bde".into(),
            added_at: 1_700_000_000,
        };
        let record: uuid::Uuid = "0191f0aa-1111-7222-8333-444455556666".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();

        let bytes = device_export::render(ExportFormat::BitLockerTxt, &meta, KEY, &record).unwrap();
        let path = dir.path().join(device_export::default_file_name(
            ExportFormat::BitLockerTxt,
            &meta,
        ));
        assert!(path.ends_with(format!("BitLocker Recovery Key {ID}.TXT")));
        fs::write(&path, &bytes).unwrap();
        let (candidates, invalid) = collect(&[path], &device("FIN-LAPTOP-07")).unwrap();
        assert!(invalid.is_empty(), "{invalid:?}");
        assert_eq!(candidates.len(), 1);
        assert_eq!(candidates[0].meta.key_id, meta.key_id);
        assert_eq!(candidates[0].secret.as_str(), KEY);

        let bytes = device_export::render(ExportFormat::Json, &meta, KEY, &record).unwrap();
        let path = dir
            .path()
            .join(device_export::default_file_name(ExportFormat::Json, &meta));
        assert!(path.ends_with("FIN-LAPTOP-07 6F1C2D3E.json"));
        fs::write(&path, &bytes).unwrap();
        let (candidates, invalid) = collect(&[path], &Defaults::default()).unwrap();
        assert!(invalid.is_empty(), "{invalid:?}");
        let expected = DeviceMeta {
            source: "json".into(),
            added_at: 0,
            ..meta
        };
        assert_eq!(candidates[0].meta, expected);
        assert_eq!(candidates[0].secret.as_str(), KEY);
    }
}
