//! QR codes: the module matrix shells draw, and SVG and terminal renderings of it. Pictures (PNG) are
//! made and read by the programs that need them, so this crate links no image code.

use qrcode::{EcLevel, QrCode, Version, bits::Bits};

/// Light modules around the code, in modules, as the QR standard asks for.
pub const QUIET_ZONE: u32 = 4;

/// How much of the code may be damaged and still read. DP1 uses M unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorCorrection {
    /// About 7 % recoverable.
    Low,
    /// About 15 % recoverable (the DP1 default).
    #[default]
    Medium,
    /// About 25 % recoverable.
    Quartile,
    /// About 30 % recoverable.
    High,
}

impl ErrorCorrection {
    fn level(self) -> EcLevel {
        match self {
            ErrorCorrection::Low => EcLevel::L,
            ErrorCorrection::Medium => EcLevel::M,
            ErrorCorrection::Quartile => EcLevel::Q,
            ErrorCorrection::High => EcLevel::H,
        }
    }
}

/// Why a QR code could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    /// The text does not fit in any QR code at this error-correction level.
    #[error("the text is too long for a QR code ({len} characters)")]
    TooMuchData {
        /// Length of the text.
        len: usize,
    },
}

/// Whether `byte` is in the QR alphanumeric set (which is also the Base45 alphabet).
fn is_qr_alphanumeric(byte: u8) -> bool {
    byte.is_ascii_digit() || byte.is_ascii_uppercase() || b" $%*+-./:".contains(&byte)
}

/// `text` as one alphanumeric segment at the smallest version it fits, or `None` when it holds a
/// character outside the alphanumeric set or fits no version.
fn alphanumeric_only(text: &str, level: EcLevel) -> Option<Bits> {
    if !text.bytes().all(is_qr_alphanumeric) {
        return None;
    }
    (1..=40).find_map(|v| {
        let mut bits = Bits::new(Version::Normal(v));
        bits.push_alphanumeric_data(text.as_bytes()).ok()?;
        bits.push_terminator(level).ok()?;
        Some(bits)
    })
}

fn version_number(version: Version) -> u8 {
    match version {
        Version::Normal(v) | Version::Micro(v) => u8::try_from(v).unwrap_or(0),
    }
}

/// A QR code as a square of modules, without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    version: u8,
    size: u32,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `text` at the smallest version that fits: the `qrcode` crate's mixed segments, or
    /// alphanumeric mode alone when that is smaller (the crate's segment optimiser now and then
    /// picks a version one larger than a DP1 text needs; docs/qr-size.md, "Encoding mode").
    pub fn encode(text: &str, ecc: ErrorCorrection) -> Result<Self, QrError> {
        let level = ecc.level();
        let mixed = qrcode::bits::encode_auto(text.as_bytes(), level).ok();
        let alphanumeric = alphanumeric_only(text, level);
        let bits = match (mixed, alphanumeric) {
            (Some(mixed), Some(alphanumeric))
                if version_number(alphanumeric.version()) < version_number(mixed.version()) =>
            {
                alphanumeric
            }
            (Some(mixed), _) => mixed,
            (None, Some(alphanumeric)) => alphanumeric,
            (None, None) => return Err(QrError::TooMuchData { len: text.len() }),
        };
        let code =
            QrCode::with_bits(bits, level).map_err(|_| QrError::TooMuchData { len: text.len() })?;
        let size = u32::try_from(code.width()).unwrap_or(0);
        Ok(QrMatrix {
            version: version_number(code.version()),
            size,
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// The QR version used (1 to 40); a larger version has more, smaller modules.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Modules per side, without the quiet zone.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Whether the module at column `x`, row `y` is dark (false outside the code).
    pub fn is_dark(&self, x: u32, y: u32) -> bool {
        x < self.size && y < self.size && self.dark[(y * self.size + x) as usize]
    }

    /// Row-major modules, `true` for dark, `size * size` of them.
    pub fn modules(&self) -> &[bool] {
        &self.dark
    }

    /// Whether the module at quiet-zone coordinates (`x`, `y` counted from the outer edge) is dark.
    pub fn is_dark_with_margin(&self, x: u32, y: u32) -> bool {
        x >= QUIET_ZONE && y >= QUIET_ZONE && self.is_dark(x - QUIET_ZONE, y - QUIET_ZONE)
    }

    /// Side of the code including the quiet zone, in modules.
    pub fn size_with_quiet_zone(&self) -> u32 {
        self.size + 2 * QUIET_ZONE
    }

    /// An SVG picture, one unit per module, quiet zone included; scales to any size crisply.
    pub fn to_svg(&self) -> String {
        let side = self.size_with_quiet_zone();
        let mut path = String::new();
        for y in 0..self.size {
            let mut x = 0;
            while x < self.size {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.size && self.is_dark(x, y) {
                        x += 1;
                    }
                    path.push_str(&format!(
                        "M{} {}h{}v1h-{}z",
                        start + QUIET_ZONE,
                        y + QUIET_ZONE,
                        x - start,
                        x - start
                    ));
                } else {
                    x += 1;
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>\n"
        )
    }

    /// A terminal rendering: two rows of modules per line with Unicode half blocks, drawn black on
    /// white with ANSI colours so it scans on dark and light terminals alike.
    pub fn to_terminal(&self) -> String {
        const ON: &str = "\x1b[38;5;16;48;5;231m";
        const OFF: &str = "\x1b[0m";
        let side = self.size_with_quiet_zone();
        let mut out = String::new();
        for y in (0..side).step_by(2) {
            out.push_str(ON);
            for x in 0..side {
                let top = self.is_dark_with_margin(x, y);
                let bottom = y + 1 < side && self.is_dark_with_margin(x, y + 1);
                out.push(match (top, bottom) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            out.push_str(OFF);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Base45 text (random, 261 characters) for which the `qrcode` crate's segment optimiser
    /// picks version 10-M although alphanumeric mode alone fits version 9-M. Found by encoding
    /// random texts; the CLI's picture tests read it back with rqrr.
    const OPTIMISER_MISS: &str = include_str!("../tests/data/qr-optimiser-miss.txt");

    #[test]
    fn a_text_the_segment_optimiser_misses_gets_the_alphanumeric_version() {
        let mixed = qrcode::bits::encode_auto(OPTIMISER_MISS.as_bytes(), EcLevel::M).unwrap();
        assert_eq!(mixed.version(), Version::Normal(10));
        let m = QrMatrix::encode(OPTIMISER_MISS, ErrorCorrection::Medium).unwrap();
        assert_eq!(m.version(), 9);
        assert_eq!(m.size(), 53);
    }

    #[test]
    fn text_outside_the_alphanumeric_set_still_encodes() {
        let m = QrMatrix::encode("dp1:lower case, 한글", ErrorCorrection::Medium).unwrap();
        assert!(m.version() >= 1);
    }

    #[test]
    fn matrix_has_finder_patterns_and_a_light_margin() {
        let text = "DP1:HELLO WORLD 1234";
        let m = QrMatrix::encode(text, ErrorCorrection::Medium).unwrap();
        assert_eq!(m.version(), 1);
        assert_eq!(m.size(), 21);
        assert_eq!(m.modules().len(), 21 * 21);
        // Finder pattern corner is dark, the quiet zone is light.
        assert!(m.is_dark(0, 0));
        assert!(!m.is_dark_with_margin(0, 0));
        assert!(m.is_dark_with_margin(QUIET_ZONE, QUIET_ZONE));
    }

    #[test]
    fn renderings_have_the_right_size() {
        let m = QrMatrix::encode("DP1:ABC", ErrorCorrection::Medium).unwrap();
        let term = m.to_terminal();
        assert_eq!(
            term.lines().count() as u32,
            m.size_with_quiet_zone().div_ceil(2)
        );
        let svg = m.to_svg();
        assert!(svg.starts_with("<svg") && svg.contains("viewBox=\"0 0 29 29\""));
    }

    #[test]
    fn too_much_data_is_an_error() {
        let long = "A".repeat(5000);
        assert_eq!(
            QrMatrix::encode(&long, ErrorCorrection::Medium),
            Err(QrError::TooMuchData { len: 5000 })
        );
    }
}
