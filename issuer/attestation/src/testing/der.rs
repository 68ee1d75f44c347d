//! A tiny DER encoder for the test extensions (KeyDescription, Apple's nonce).

/// Tag, definite length, content.
pub(super) fn tlv(tag: &[u8], content: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let digits: Vec<u8> = length
            .to_be_bytes()
            .into_iter()
            .skip_while(|&byte| byte == 0)
            .collect();
        out.push(0x80 | digits.len() as u8);
        out.extend_from_slice(&digits);
    }
    out.extend_from_slice(content);
    out
}

/// The minimal two's complement bytes of `value`.
fn integer_content(value: i64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (this, next) = (bytes[start], bytes[start + 1]);
        let redundant = (this == 0x00 && next & 0x80 == 0) || (this == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes[start..].to_vec()
}

/// An INTEGER.
pub(super) fn integer(value: i64) -> Vec<u8> {
    tlv(&[0x02], &integer_content(value))
}

/// An ENUMERATED.
pub(super) fn enumerated(value: i64) -> Vec<u8> {
    tlv(&[0x0a], &integer_content(value))
}

/// An OCTET STRING.
pub(super) fn octet_string(content: &[u8]) -> Vec<u8> {
    tlv(&[0x04], content)
}

/// A SEQUENCE around encoded elements.
pub(super) fn sequence(content: &[u8]) -> Vec<u8> {
    tlv(&[0x30], content)
}

/// `[number] EXPLICIT` around an encoded element (context-specific, constructed).
pub(super) fn explicit(number: u32, inner: &[u8]) -> Vec<u8> {
    if number < 31 {
        return tlv(&[0xa0 | number as u8], inner);
    }
    let mut digits = vec![(number & 0x7f) as u8];
    let mut rest = number >> 7;
    while rest > 0 {
        digits.push(0x80 | (rest & 0x7f) as u8);
        rest >>= 7;
    }
    digits.push(0xbf);
    digits.reverse();
    tlv(&digits, inner)
}
