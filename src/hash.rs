//! SHA-256, the one fingerprint lofte uses: of the configuration, of the input rows, of every archived file, and of
//! the parts of a Message-ID.

use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Lower-case hex of bytes.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// SHA-256 of bytes, hex.
#[must_use]
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of a file, read in pieces (an archived `rejected.csv` can be hundreds of megabytes).
pub fn file_sha256(path: &Path) -> io::Result<String> {
    let mut hashing = Hashing::new(io::sink());
    io::copy(&mut std::fs::File::open(path)?, &mut hashing)?;
    Ok(hashing.finish().1)
}

/// A writer that hashes what passes through it to `inner`.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Hashing<W> {
    /// Hashes what is written to `inner`.
    pub fn new(inner: W) -> Self {
        Hashing { inner, hasher: Sha256::new() }
    }

    /// The inner writer and the hex SHA-256 of everything written.
    pub fn finish(self) -> (W, String) {
        (self.inner, hex(&self.hasher.finalize()))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
