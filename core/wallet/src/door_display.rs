//! What a door in queue mode shows and plays for a verdict: the signal (valid, check ID, refused)
//! and the minimal display of a valid pass (initials and birth day), enough to match a photo ID
//! without reading the holder's name out to the queue.

use doorpass_format::RevocationCheck;
use doorpass_format::verifier::Verdict;

/// What a door plays and shows for a verdict (sound, haptic, colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DoorSignal {
    /// Valid: let the holder in.
    Valid,
    /// Valid, but staff must compare a photo ID closely: a static (printed) code, which anyone
    /// holding a copy can show, or a pass whose revocation was not checked.
    CheckId,
    /// Refused.
    Refused,
}

impl DoorSignal {
    /// The signal for `verdict`.
    pub fn of(verdict: &Verdict) -> Self {
        match verdict {
            Verdict::Refused(_) => DoorSignal::Refused,
            Verdict::Valid(pass)
                if pass.was_static
                    || matches!(pass.revocation, RevocationCheck::NotChecked { .. }) =>
            {
                DoorSignal::CheckId
            }
            Verdict::Valid(_) => DoorSignal::Valid,
        }
    }

    /// A stable name, as in the check log's CSV: `valid`, `check_id` or `refused`.
    pub fn code(self) -> &'static str {
        match self {
            DoorSignal::Valid => "valid",
            DoorSignal::CheckId => "check_id",
            DoorSignal::Refused => "refused",
        }
    }
}

/// The minimal display of a valid pass: enough to match an ID without showing the name to the
/// queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinimalDisplay {
    /// The holder's initials (see [`initials`]).
    pub initials: String,
    /// Birth month (1–12), `None` when the pass carries only a birth year (or a malformed date).
    pub birth_month: Option<u8>,
    /// Birth day (1–31), `None` with `birth_month`.
    pub birth_day: Option<u8>,
}

impl MinimalDisplay {
    /// The minimal display of a pass for `name` born on `birth_date` (`YYYY-MM-DD` or `YYYY`).
    pub fn of(name: &str, birth_date: &str) -> Self {
        let (birth_month, birth_day) = match birth_month_day(birth_date) {
            Some((month, day)) => (Some(month), Some(day)),
            None => (None, None),
        };
        MinimalDisplay {
            initials: initials(name),
            birth_month,
            birth_day,
        }
    }
}

/// Whether `c` is a Hangul syllable or jamo.
fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// The initials a door shows for `name`:
/// - a name written wholly in Hangul (spaces ignored) keeps its first and last syllables and masks
///   the others with `*`, as Korean services mask names: `홍길동` → `홍*동`, `남궁민수` → `남**수`,
///   `김수` → `김*`, `김` → `김`;
/// - any other name gives the first letter of each word, upper-cased, each followed by a full
///   stop and separated by a space: `Jane Doe` → `J. D.`, `madonna` → `M.`. Words that do not begin
///   with a letter or digit (an emoji, punctuation) are skipped;
/// - an empty name, or one with no such word, gives an empty string.
///
/// Extra or unusual spaces never matter, and no input panics.
pub fn initials(name: &str) -> String {
    let letters: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
    if !letters.is_empty() && letters.iter().all(|&c| is_hangul(c)) {
        return letters
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if i == 0 || (i + 1 == letters.len() && letters.len() > 2) {
                    c
                } else {
                    '*'
                }
            })
            .collect();
    }
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .filter(|c| c.is_alphanumeric())
        .map(|c| format!("{}.", c.to_uppercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Days in `month` of `year` (proleptic Gregorian).
fn days_in_month(year: u32, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Month and day of a `YYYY-MM-DD` birth date that names a real day; `None` for a year alone
/// (`YYYY`) or anything malformed.
pub fn birth_month_day(birth_date: &str) -> Option<(u8, u8)> {
    let bytes = birth_date.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = bytes.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0u32, |n, d| Some(n * 10 + u32::from(d - b'0')))
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = digits(0..4)?;
    let month = u8::try_from(digits(5..7)?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some((month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_code_or_an_unchecked_revocation_asks_for_an_id_check() {
        use doorpass_format::verifier::{Refusal, VerifiedPass};
        let pass = |was_static, revocation| {
            Verdict::Valid(VerifiedPass {
                display_name: "Jane Doe".into(),
                birth_date: "1990".into(),
                kind: doorpass_format::pass::PassKind::Vaccination,
                expires_at: 0,
                issuer_id: "KR-TEST".into(),
                pass_id: "00".into(),
                was_static,
                revocation,
                status_uri: None,
                key_assurance: doorpass_format::KeyAssurance::Unattested,
            })
        };
        let fresh = RevocationCheck::NotRevoked {
            list_age_seconds: 60,
        };
        let unchecked = RevocationCheck::NotChecked {
            list_age_seconds: None,
        };
        assert_eq!(DoorSignal::of(&pass(false, fresh)), DoorSignal::Valid);
        let none = RevocationCheck::NotRevocable;
        assert_eq!(DoorSignal::of(&pass(false, none)), DoorSignal::Valid);
        assert_eq!(DoorSignal::of(&pass(true, fresh)), DoorSignal::CheckId);
        assert_eq!(DoorSignal::of(&pass(false, unchecked)), DoorSignal::CheckId);
        let refused = Verdict::Refused(Refusal::BadSignature);
        assert_eq!(DoorSignal::of(&refused), DoorSignal::Refused);
    }

    #[test]
    fn latin_names_give_one_initial_per_word() {
        assert_eq!(initials("Jane Doe"), "J. D.");
        assert_eq!(initials("jane mary doe"), "J. M. D.");
        assert_eq!(initials("  Jane \t  Doe  "), "J. D.");
        assert_eq!(initials("Madonna"), "M.");
        assert_eq!(initials("Élodie Ünal"), "É. Ü.");
    }

    #[test]
    fn hangul_names_are_masked_between_the_first_and_last_syllables() {
        assert_eq!(initials("홍길동"), "홍*동");
        assert_eq!(initials("남궁민수"), "남**수");
        assert_eq!(initials("김수"), "김*");
        assert_eq!(initials("김"), "김");
        assert_eq!(initials(" 홍 길동 "), "홍*동");
    }

    #[test]
    fn empty_emoji_and_odd_names_never_panic() {
        assert_eq!(initials(""), "");
        assert_eq!(initials("   "), "");
        assert_eq!(initials("😀"), "");
        assert_eq!(initials("Jane 👩‍👩‍👧 Doe"), "J. D.");
        assert_eq!(initials("👩‍👩‍👧Jane"), "");
        assert_eq!(initials("ß"), "SS.");
        assert_eq!(initials("Kim 민수"), "K. 민.");
        assert_eq!(initials("- Doe"), "D.");
    }

    #[test]
    fn birth_month_and_day_come_only_from_a_full_real_date() {
        assert_eq!(birth_month_day("1990-07-04"), Some((7, 4)));
        assert_eq!(birth_month_day("2000-02-29"), Some((2, 29)));
        for bad in [
            "1990",
            "",
            "1990-7-4",
            "1990-13-01",
            "1990-00-10",
            "1990-02-30",
            "1900-02-29",
            "1990-04-31",
            "1990-07-00",
            "1990/07/04",
            "1990-07-04 ",
            "１９９０-07-04",
            "+990-07-04",
            "1990-0７-04",
        ] {
            assert_eq!(birth_month_day(bad), None, "{bad:?}");
        }
        let full = MinimalDisplay::of("Jane Doe", "1990-07-04");
        assert_eq!(
            (full.initials.as_str(), full.birth_month, full.birth_day),
            ("J. D.", Some(7), Some(4))
        );
        let year_only = MinimalDisplay::of("홍길동", "1990");
        assert_eq!((year_only.birth_month, year_only.birth_day), (None, None));
    }
}
