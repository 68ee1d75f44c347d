//! A small DER reader for the attestation extensions (Android's KeyDescription, Apple's nonce):
//! one tag-length-value at a time, over borrowed bytes. It never panics and never recurses: every
//! length is checked against what is left, and callers descend one level per call they make.

/// The class of a DER tag (X.690 §8.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagClass {
    Universal,
    Application,
    ContextSpecific,
    Private,
}

/// One DER element: its tag and its content bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Element<'a> {
    pub class: TagClass,
    pub constructed: bool,
    pub number: u32,
    pub content: &'a [u8],
}

/// Universal tag numbers used here.
pub(crate) const INTEGER: u32 = 2;
pub(crate) const BIT_STRING: u32 = 3;
pub(crate) const OCTET_STRING: u32 = 4;
pub(crate) const ENUMERATED: u32 = 10;
pub(crate) const SEQUENCE: u32 = 16;
pub(crate) const SET: u32 = 17;

/// Why DER bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DerError(pub &'static str);

/// Reads DER elements one after another from a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct DerReader<'a> {
    rest: &'a [u8],
}

impl<'a> DerReader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        DerReader { rest: bytes }
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element.
    pub fn next_element(&mut self) -> Result<Element<'a>, DerError> {
        let (&first, mut rest) = self.rest.split_first().ok_or(DerError("truncated tag"))?;
        let class = match first >> 6 {
            0 => TagClass::Universal,
            1 => TagClass::Application,
            2 => TagClass::ContextSpecific,
            _ => TagClass::Private,
        };
        let constructed = first & 0x20 != 0;
        let mut number = u32::from(first & 0x1f);
        if number == 0x1f {
            // High tag number form: base-128 digits, the last without its top bit.
            number = 0;
            let mut digits = 0;
            loop {
                let (&byte, after) = rest.split_first().ok_or(DerError("truncated tag"))?;
                rest = after;
                digits += 1;
                if digits > 4 {
                    return Err(DerError("tag number too large"));
                }
                number = (number << 7) | u32::from(byte & 0x7f);
                if byte & 0x80 == 0 {
                    break;
                }
            }
        }
        let (&length_byte, after) = rest.split_first().ok_or(DerError("truncated length"))?;
        rest = after;
        let length = if length_byte < 0x80 {
            usize::from(length_byte)
        } else {
            let count = usize::from(length_byte & 0x7f);
            if count == 0 {
                return Err(DerError("indefinite length is not DER"));
            }
            if count > 4 || count > rest.len() {
                return Err(DerError("bad length"));
            }
            let (digits, after) = rest.split_at(count);
            rest = after;
            digits
                .iter()
                .fold(0usize, |sum, &digit| (sum << 8) | usize::from(digit))
        };
        if length > rest.len() {
            return Err(DerError("length beyond the end"));
        }
        let (content, after) = rest.split_at(length);
        self.rest = after;
        Ok(Element {
            class,
            constructed,
            number,
            content,
        })
    }

    /// The next element, which must be the universal `number` (e.g. [`SEQUENCE`]).
    pub fn expect_universal(&mut self, number: u32) -> Result<&'a [u8], DerError> {
        let element = self.next_element()?;
        if element.class != TagClass::Universal || element.number != number {
            return Err(DerError("unexpected element"));
        }
        Ok(element.content)
    }
}

/// A DER INTEGER or ENUMERATED content as an `i64`; refuses empty or longer-than-8-byte values.
pub(crate) fn integer_value(content: &[u8]) -> Result<i64, DerError> {
    if content.is_empty() || content.len() > 8 {
        return Err(DerError("integer of unsupported size"));
    }
    let negative = content[0] & 0x80 != 0;
    let start: i64 = if negative { -1 } else { 0 };
    Ok(content
        .iter()
        .fold(start, |value, &byte| (value << 8) | i64::from(byte)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_high_tag_numbers_and_long_lengths() {
        // [702] constructed, long-form length 1, content: INTEGER 0.
        let bytes = [0xbf, 0x85, 0x3e, 0x81, 0x03, 0x02, 0x01, 0x00];
        let element = DerReader::new(&bytes).next_element().unwrap();
        assert_eq!(element.class, TagClass::ContextSpecific);
        assert!(element.constructed);
        assert_eq!(element.number, 702);
        assert_eq!(element.content, &[0x02, 0x01, 0x00]);
    }

    #[test]
    fn refuses_lengths_beyond_the_end_and_indefinite_lengths() {
        assert!(DerReader::new(&[0x30, 0x05, 0x01]).next_element().is_err());
        assert!(
            DerReader::new(&[0x30, 0x80, 0x00, 0x00])
                .next_element()
                .is_err()
        );
        assert!(
            DerReader::new(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff])
                .next_element()
                .is_err()
        );
        assert!(
            DerReader::new(&[0xbf, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00])
                .next_element()
                .is_err()
        );
    }

    #[test]
    fn integers_keep_their_sign() {
        assert_eq!(integer_value(&[0x02]), Ok(2));
        assert_eq!(integer_value(&[0x00, 0xff]), Ok(255));
        assert_eq!(integer_value(&[0xff]), Ok(-1));
        assert!(integer_value(&[]).is_err());
        assert!(integer_value(&[1; 9]).is_err());
    }
}
