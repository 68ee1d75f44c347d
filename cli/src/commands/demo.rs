//! `doorpass demo`: the whole offline story in one command, with a line of progress per step.

use std::process::ExitCode;

use anyhow::Result;
use doorpass_core::keys::generate_signing_key;
use doorpass_core::pass::{Pass, PassClaims, PassKind, draw_renew_after, new_pass_id};
use doorpass_core::presentation::seconds_until_rotation;
use doorpass_core::qr::{ErrorCorrection, QrMatrix};
use doorpass_core::{
    Presentation, TrustList, TrustListContent, TrustedIssuer, Verdict, Verifier, VerifierPolicy,
};

use crate::output::now_or;

const DAY: u64 = 86_400;

/// Runs the demo.
pub fn run() -> Result<ExitCode> {
    let now = now_or(None);
    step(
        1,
        "creating a trust anchor, an issuer key and a signed trust list",
    );
    let anchor = generate_signing_key();
    let issuer = generate_signing_key();
    let tl = TrustListContent {
        version: 1,
        issued_at: now,
        next_update: now + 7 * DAY,
        issuers: vec![TrustedIssuer::new(
            issuer.verifying_key(),
            "DOORPASS-DEMO",
            now - DAY,
            now + 365 * DAY,
        )],
    }
    .sign(&anchor);
    let trust_list = TrustList::verify(&tl, &anchor.verifying_key())?;

    step(
        2,
        "creating a holder key on this \"phone\" and issuing a 30-day pass bound to it",
    );
    let holder = generate_signing_key();
    let expires_at = now + 30 * DAY;
    let claims = PassClaims {
        issuer_id: "DOORPASS-DEMO".into(),
        issued_at: now,
        not_before: now,
        expires_at,
        pass_id: new_pass_id(),
        holder_key: holder.verifying_key(),
        display_name: "Kim Minji".into(),
        birth_date: "1990-04-01".into(),
        kind: PassKind::Vaccination,
        renew_after: draw_renew_after(now, expires_at, &mut rand::thread_rng()),
    };
    let pass = Pass::issue(&claims, &issuer)?;

    step(
        3,
        "showing the rotating QR code (no network needed from here on)",
    );
    let text = Presentation::rotating(pass.bytes(), &holder, now).to_qr_text();
    let qr = QrMatrix::encode(&text, ErrorCorrection::Medium)?;
    print!("{}", qr.to_terminal());
    println!(
        "      QR version {} at ECC M, {} characters; rotates in {} s",
        qr.version(),
        text.len(),
        seconds_until_rotation(now)
    );

    step(
        4,
        "the door checks the code offline against the cached trust list",
    );
    let verifier = Verifier::new(trust_list, VerifierPolicy::default());
    let verdict = verifier.verify_qr_text(&text, now);
    match &verdict {
        Verdict::Valid(p) => println!(
            "      VALID: {} (born {}), {}",
            p.display_name,
            p.birth_date,
            p.kind.label()
        ),
        Verdict::Refused(r) => println!("      REFUSED: {r}"),
    }

    step(
        5,
        "a screenshot of that code, shown five minutes later, is refused",
    );
    let replay = verifier.verify_qr_text(&text, now + 300);
    match &replay {
        Verdict::Refused(r) => println!("      REFUSED ({}): {r}", r.code()),
        Verdict::Valid(_) => println!("      unexpectedly accepted"),
    }
    let ok = verdict.is_valid() && !replay.is_valid();
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn step(n: u32, what: &str) {
    println!("[{n}/5] {what}");
}
