//! `doorpass verify`.

use std::process::ExitCode;

use crate::picture::decode as decode_image;
use anyhow::{Context, Result, bail};
use doorpass_format::{TrustList, Verdict, Verifier, VerifierPolicy, keys};
use serde_json::json;

use crate::VerifyArgs;
use crate::output::{now_or, read_file};

/// Checks a code offline and prints the verdict.
pub fn run(args: &VerifyArgs) -> Result<ExitCode> {
    let anchor = keys::read_public_key(&args.anchor)?;
    let trust_list =
        TrustList::verify(&read_file(&args.trust_list)?, &anchor).with_context(|| {
            format!(
                "the trust list {} cannot be used",
                args.trust_list.display()
            )
        })?;
    let text = match (&args.image, &args.qr_text) {
        (Some(path), _) => {
            let texts = decode_image(&read_file(path)?)
                .with_context(|| format!("reading a QR code from {}", path.display()))?;
            texts.into_iter().next().unwrap_or_default()
        }
        (None, Some(text)) => text.clone(),
        (None, None) => bail!("give the QR text or --image FILE"),
    };
    let now = now_or(args.at);
    let policy = VerifierPolicy {
        clock_tolerance_seconds: args.tolerance,
        allow_static: args.allow_static,
        max_pass_lifetime_seconds: args.max_pass_days.saturating_mul(86_400),
    };
    let verifier = Verifier::new(trust_list, policy);
    let verdict = verifier.verify_qr_text(&text, now);
    let list_age = verifier.trust_list().age_seconds(now);
    if args.json {
        println!(
            "{}",
            verdict_json(&verdict, verifier.trust_list().version(), list_age)
        );
    } else {
        match &verdict {
            Verdict::Valid(p) => println!(
                "VALID: {} (born {}), {}, expires {}{}",
                p.display_name,
                p.birth_date,
                p.kind.label(),
                p.expires_at,
                if p.was_static { ", static code" } else { "" }
            ),
            Verdict::Refused(r) => println!("REFUSED ({}): {r}", r.code()),
        }
        eprintln!(
            "trust list version {}, {} h old",
            verifier.trust_list().version(),
            list_age / 3600
        );
    }
    Ok(if verdict.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The verdict as a JSON value, as printed by `--json`.
pub fn verdict_json(
    verdict: &Verdict,
    trust_list_version: u64,
    trust_list_age: u64,
) -> serde_json::Value {
    let mut v = match verdict {
        Verdict::Valid(p) => json!({
            "verdict": "valid",
            "display_name": p.display_name,
            "birth_date": p.birth_date,
            "kind": p.kind.short_name(),
            "expires_at": p.expires_at,
            "issuer_id": p.issuer_id,
            "pass_id": p.pass_id,
            "static": p.was_static,
        }),
        Verdict::Refused(r) => {
            json!({ "verdict": "refused", "reason": r.code(), "message": r.to_string() })
        }
    };
    v["trust_list"] = json!({ "version": trust_list_version, "age_seconds": trust_list_age });
    v
}
