//! Writing results: QR codes in the chosen format, files, and the current time.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use doorpass_format::qr::{ErrorCorrection, QrMatrix};

use crate::QrFormat;

/// Pixels per module in PNG output: large enough for phone cameras and `zbarimg`.
const PNG_PIXELS_PER_MODULE: u32 = 8;

/// Seconds since the Unix epoch, or `at` when given.
pub fn now_or(at: Option<u64>) -> u64 {
    at.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}

/// Writes `text` as a QR code in `format` to `out` (or standard output), and returns the matrix.
pub fn write_qr(text: &str, format: QrFormat, out: Option<&Path>) -> Result<QrMatrix> {
    let matrix = QrMatrix::encode(text, ErrorCorrection::Medium)?;
    let bytes = match format {
        QrFormat::Text => format!("{text}\n").into_bytes(),
        QrFormat::Terminal => matrix.to_terminal().into_bytes(),
        QrFormat::Svg => matrix.to_svg().into_bytes(),
        QrFormat::Png => {
            if out.is_none() {
                bail!("--format png needs --out FILE");
            }
            crate::picture::to_png(&matrix, PNG_PIXELS_PER_MODULE)
        }
    };
    match out {
        Some(path) => write_file(path, &bytes)?,
        None => std::io::stdout()
            .write_all(&bytes)
            .context("writing to standard output")?,
    }
    Ok(matrix)
}

/// Writes a whole file, with a message naming it on failure.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Reads a whole file, with a message naming it on failure.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}
