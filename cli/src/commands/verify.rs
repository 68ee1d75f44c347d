//! `doorpass verify`.

use std::process::ExitCode;

use crate::picture::decode as decode_image;
use anyhow::{Context, Result, bail};
use doorpass_format::{
    KeyAssurance, RevocationCheck, StatusListBinding, TrustList, Verdict, Verifier, VerifierPolicy,
    keys,
};
use doorpass_wallet::issuer_client::IssuerClient;
use doorpass_wallet::tls::TlsTrust;
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
        max_status_list_age_seconds: args.max_list_hours.saturating_mul(3600),
        require_revocation_check: args.require_revocation_check,
        refuse_unrevocable: args.refuse_unrevocable,
        require_hardware_key: args.require_hardware_key,
    };
    let mut verifier = Verifier::new(trust_list, policy);
    // A list from a file, or from a URL that may be a mirror of the URI passes name (an origin
    // behind a CDN prefix), says nothing trustworthy about where it belongs: it is bound to its
    // own `sub` and to the issuer its key is listed for, and still checked against the key's
    // window, the clock and its `exp`. A pass reads only a list kept for its own issuer and URI.
    let tls = crate::ca_certs::tls_trust(&args.ca_cert)?;
    for source in &args.status_list {
        let bytes = read_status_list(source, &tls)?;
        verifier
            .update_status_list(&bytes, StatusListBinding::given(), now)
            .with_context(|| format!("the status list {source} cannot be used"))?;
    }
    let verdict = verifier.verify_qr_text(&text, now);
    if let Some(log) = &args.log {
        crate::commands::door_log::record(log, &verdict, &verifier, now);
    }
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
        if let Verdict::Valid(p) = &verdict {
            println!("{}", revocation_line(p.revocation));
            println!("key: {}", key_assurance_words(p.key_assurance));
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
            "revocation": revocation_json(p.revocation),
            "key_assurance": p.key_assurance,
        }),
        Verdict::Refused(r) => {
            json!({ "verdict": "refused", "reason": r.code(), "message": r.to_string() })
        }
    };
    v["trust_list"] = json!({ "version": trust_list_version, "age_seconds": trust_list_age });
    v
}

/// Where the pass's holder key lives, as far as the issuer's attestation check showed.
fn key_assurance_words(assurance: KeyAssurance) -> &'static str {
    match assurance {
        KeyAssurance::Unattested => "not attested (it may be a software key)",
        KeyAssurance::AndroidTee => "Android TEE, attested",
        KeyAssurance::AndroidStrongBox => "Android StrongBox, attested",
        KeyAssurance::AppleAppAttest => "Apple Secure Enclave, App Attest",
    }
}

/// What the door's status lists say about a valid pass, in one line.
fn revocation_line(check: RevocationCheck) -> String {
    match check {
        RevocationCheck::NotRevocable => "revocation: the pass names no status list".into(),
        RevocationCheck::NotRevoked { list_age_seconds } => {
            format!(
                "revocation: not revoked (list {} h old)",
                list_age_seconds / 3600
            )
        }
        RevocationCheck::NotChecked {
            list_age_seconds: Some(age),
        } => format!("revocation not checked — list {} h old", age / 3600),
        RevocationCheck::NotChecked {
            list_age_seconds: None,
        } => "revocation not checked — no status list for this pass".into(),
    }
}

fn revocation_json(check: RevocationCheck) -> serde_json::Value {
    let (status, age) = match check {
        RevocationCheck::NotRevocable => ("not_revocable", None),
        RevocationCheck::NotRevoked { list_age_seconds } => ("not_revoked", Some(list_age_seconds)),
        RevocationCheck::NotChecked { list_age_seconds } => ("not_checked", list_age_seconds),
    };
    json!({ "status": status, "list_age_seconds": age })
}

fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// The status list token at `source`: a file, or a URL fetched as wallets and doors fetch lists
/// (`IssuerClient::status_list`: https, or http to this machine; 10 s; at most 1 MiB).
fn read_status_list(source: &str, tls: &TlsTrust) -> Result<Vec<u8>> {
    if !is_url(source) {
        return read_file(std::path::Path::new(source));
    }
    let client =
        IssuerClient::over_https_trusting(source, std::time::Duration::from_secs(10), tls)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let answer = runtime
        .block_on(client.status_list(source))
        .with_context(|| format!("fetching {source}"))?;
    Ok(answer.value)
}
