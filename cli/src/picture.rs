//! QR codes as pictures, for the desktop: PNG out of a module matrix, and QR texts back out of a
//! picture (PNG or any format the `image` crate reads). Phones draw the matrix themselves, so this lives
//! here and not in the core.

use std::io::Cursor;

use doorpass_format::QrMatrix;

/// Largest picture accepted for decoding, in pixels per side.
pub const MAX_IMAGE_SIDE: u32 = 8192;

/// Why no QR text could be read from a picture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PictureError {
    /// The picture could not be read as an image.
    #[error("the picture could not be read: {0}")]
    Unreadable(String),
    /// The picture holds no QR code that could be found.
    #[error("no QR code was found in the picture")]
    NoCodeFound,
    /// A QR code was found but could not be decoded.
    #[error("a QR code was found but could not be decoded: {0}")]
    Undecodable(String),
}

/// A PNG picture of `matrix` with `pixels_per_module` pixels per module (at least 1), quiet zone
/// included.
pub fn to_png(matrix: &QrMatrix, pixels_per_module: u32) -> Vec<u8> {
    let scale = pixels_per_module.max(1);
    let side = matrix.size_with_quiet_zone() * scale;
    let img = image::GrayImage::from_fn(side, side, |px, py| {
        let dark = matrix.is_dark_with_margin(px / scale, py / scale);
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Cursor::new(Vec::new());
    // Encoding an in-memory grey image as PNG cannot fail.
    let _ = img.write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

/// Reads every QR code in a picture and returns their texts, in the order found.
pub fn decode(bytes: &[u8]) -> Result<Vec<String>, PictureError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PictureError::Unreadable(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(256 << 20);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| PictureError::Unreadable(e.to_string()))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(PictureError::NoCodeFound);
    }
    grids
        .iter()
        .map(|g| {
            g.decode()
                .map(|(_, text)| text)
                .map_err(|e| PictureError::Undecodable(e.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorpass_format::ErrorCorrection;

    #[test]
    fn png_round_trip_through_rqrr() {
        let text = "DP1:HELLO WORLD 1234";
        let m = QrMatrix::encode(text, ErrorCorrection::Medium).unwrap();
        assert_eq!(decode(&to_png(&m, 4)).unwrap(), vec![text.to_string()]);
    }

    #[test]
    fn a_code_in_alphanumeric_mode_alone_reads_back() {
        // QrMatrix::encode keeps alphanumeric mode alone for this text (version 9, where the
        // qrcode crate's own choice is 10).
        let text = include_str!("../../core/format/tests/data/qr-optimiser-miss.txt");
        let m = QrMatrix::encode(text, ErrorCorrection::Medium).unwrap();
        assert_eq!(m.version(), 9);
        assert_eq!(decode(&to_png(&m, 4)).unwrap(), vec![text.to_string()]);
    }

    #[test]
    fn bad_and_blank_pictures_are_errors() {
        assert!(matches!(
            decode(b"not a picture"),
            Err(PictureError::Unreadable(_))
        ));
        let blank = image::GrayImage::from_pixel(100, 100, image::Luma([255]));
        let mut png = Cursor::new(Vec::new());
        blank.write_to(&mut png, image::ImageFormat::Png).unwrap();
        assert_eq!(decode(&png.into_inner()), Err(PictureError::NoCodeFound));
    }
}
