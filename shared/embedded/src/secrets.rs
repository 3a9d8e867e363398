//! The local secret store: one JSON file readable by its owner only (0600), replaced atomically
//! (write a temporary file, fsync, rename) so a crash never leaves a half-written file.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zsync_core::ports::{SecretError, SecretResult, SecretStore};

use crate::OpenError;

const MODE: u32 = 0o600;
const MAX_NAME: usize = 512;

/// The file's layout.
#[derive(Default, Serialize, Deserialize)]
struct SecretFile {
    secrets: BTreeMap<String, String>,
}

/// The local `SecretStore`. Values stay in memory as `SecretString`; Debug shows only the path.
#[derive(Clone)]
pub struct FileSecretStore {
    path: Arc<PathBuf>,
    /// Held only to read or swap the map, never during file I/O, so readers never wait on disk.
    secrets: Arc<Mutex<BTreeMap<String, SecretString>>>,
    /// Serialises writers (read-modify-write of the file) of this process.
    writer: Arc<Mutex<()>>,
}

impl std::fmt::Debug for FileSecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSecretStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Secrets Manager's name alphabet, so names valid here are valid in the cloud.
fn check_name(name: &str) -> SecretResult<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c);
    if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(allowed) {
        return Err(SecretError::InvalidName(name.to_owned()));
    }
    Ok(())
}

fn unavailable(what: &str, path: &Path, e: impl std::fmt::Display) -> SecretError {
    SecretError::Unavailable(format!("{what} {}: {e}", path.display()))
}

/// Writes the whole map to a temporary file next to `path`, then renames it over `path`.
fn write_file(path: &Path, secrets: &BTreeMap<String, SecretString>) -> SecretResult<()> {
    let file = SecretFile {
        secrets: secrets
            .iter()
            .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
            .collect(),
    };
    let bytes =
        serde_json::to_vec_pretty(&file).map_err(|e| unavailable("cannot encode", path, e))?;
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    let written = (|| {
        let mut out = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(MODE)
            .open(&temp)?;
        // an older temp file may have been created with other permissions
        out.set_permissions(Permissions::from_mode(MODE))?;
        out.write_all(&bytes)?;
        out.sync_all()?;
        fs::rename(&temp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok::<_, std::io::Error>(())
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&temp);
        unavailable("cannot write", path, e)
    })
}

fn load(path: &Path) -> Result<BTreeMap<String, SecretString>, String> {
    if !path.exists() {
        write_file(path, &BTreeMap::new()).map_err(|e| e.to_string())?;
        return Ok(BTreeMap::new());
    }
    let mode = fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "secret file was readable by others; set to 0600");
        fs::set_permissions(path, Permissions::from_mode(MODE)).map_err(|e| e.to_string())?;
    }
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    let file: SecretFile =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a secret file: {e}"))?;
    Ok(file
        .secrets
        .into_iter()
        .map(|(k, v)| (k, SecretString::from(v)))
        .collect())
}

impl FileSecretStore {
    /// Opens the secret file at `path`, creating it (0600) if missing and tightening its
    /// permissions to 0600 if others could read it.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let opened =
            tokio::task::spawn_blocking(move || load(&path).map(|secrets| (path, secrets))).await;
        match opened {
            Ok(Ok((path, secrets))) => Ok(Self {
                path: Arc::new(path),
                secrets: Arc::new(Mutex::new(secrets)),
                writer: Arc::new(Mutex::new(())),
            }),
            Ok(Err(reason)) => Err(OpenError::SecretFile {
                path: shown,
                reason,
            }),
            Err(e) => Err(OpenError::SecretFile {
                path: shown,
                reason: e.to_string(),
            }),
        }
    }

    /// Applies `change` to a copy of the secrets, writes it, and only then makes it current:
    /// a failed write changes nothing.
    async fn change(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, SecretString>) + Send + 'static,
    ) -> SecretResult<()> {
        let (path, secrets, writer) = (
            Arc::clone(&self.path),
            Arc::clone(&self.secrets),
            Arc::clone(&self.writer),
        );
        tokio::task::spawn_blocking(move || {
            let _writing = writer.lock().map_err(|_| poisoned())?;
            let mut next = secrets.lock().map_err(|_| poisoned())?.clone();
            change(&mut next);
            write_file(&path, &next)?;
            *secrets.lock().map_err(|_| poisoned())? = next;
            Ok(())
        })
        .await
        .map_err(|e| SecretError::Unavailable(format!("secret file task failed: {e}")))?
    }
}

fn poisoned() -> SecretError {
    SecretError::Unavailable("secret store lock poisoned".into())
}

#[async_trait]
impl SecretStore for FileSecretStore {
    async fn put(&self, name: &str, value: &SecretString) -> SecretResult<()> {
        check_name(name)?;
        let (name, value) = (name.to_owned(), value.clone());
        self.change(move |secrets| {
            secrets.insert(name, value);
        })
        .await
    }

    async fn get(&self, name: &str) -> SecretResult<Option<SecretString>> {
        check_name(name)?;
        let secrets = self.secrets.lock().map_err(|_| poisoned())?;
        Ok(secrets.get(name).cloned())
    }

    async fn delete(&self, name: &str) -> SecretResult<()> {
        check_name(name)?;
        if self.get(name).await?.is_none() {
            return Ok(());
        }
        let name = name.to_owned();
        self.change(move |secrets| {
            secrets.remove(&name);
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_follow_the_secrets_manager_alphabet() {
        assert!(check_name("integrations/acme-1/api-token").is_ok());
        assert!(check_name("a+b=c.d@e_f").is_ok());
        for bad in ["", "a b", "a\u{0}b", "é", "a;b", &"x".repeat(513)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
