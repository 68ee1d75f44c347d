//! Rotating the issuer key changes nothing but the signing key (issue 20, item 1): status-list
//! entries are never handed out twice across a rotation, and a code sent before it still works
//! after it. Against the real issuer folder, database and (for codes) HTTP service on 127.0.0.1.

mod common;

use std::collections::HashSet;

use doorpass_format::api::b64_vec;
use doorpass_format::keys::generate_signing_key;
use doorpass_format::pass::Pass;
use doorpass_issuer::keys::{AnchorDir, IssuerDir, IssuerKeys};
use doorpass_issuer::secrets::{IssuerSecrets, SECRETS_FILE};
use doorpass_issuer::status_lists::StatusAllocator;
use doorpass_issuer::trust_publishing::rotate_issuer_key;
use doorpass_issuer::unix_now;

/// Entries handed out by an allocator made from the folder as it is now (as a restarted node would).
async fn allocate(issuer: &common::TestIssuer, count: usize) -> Vec<(u64, u64)> {
    let keys = IssuerKeys::load(issuer.dir.path()).unwrap();
    let allocator = StatusAllocator::new(&keys, None);
    let store = issuer.store().await;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let (entry, _) = allocator.allocate(&store).await.unwrap();
        entries.push((entry.list, entry.index));
    }
    entries
}

#[tokio::test]
async fn no_two_passes_share_a_status_entry_across_a_key_rotation() {
    let issuer = common::start(|_| {}).await;
    // 4,096 entries on each side of the rotation: had the rotation reordered the list, about 16 of
    // the later ones would land on earlier ones (4,096² / 2²⁰), none with odds of e⁻¹⁶.
    const EACH_SIDE: usize = 4096;
    let before = allocate(&issuer, EACH_SIDE).await;
    let anchor = AnchorDir::at(issuer.anchor_dir.path());
    rotate_issuer_key(issuer.dir.path(), &anchor, unix_now()).unwrap();
    let after = allocate(&issuer, EACH_SIDE).await;

    let lists: HashSet<u64> = before.iter().chain(&after).map(|(list, _)| *list).collect();
    assert_eq!(
        lists.len(),
        1,
        "the rotation carries on in the same list (its order did not change)"
    );
    let distinct: HashSet<&(u64, u64)> = before.iter().chain(&after).collect();
    assert_eq!(
        distinct.len(),
        2 * EACH_SIDE,
        "an entry was handed out twice"
    );
}

#[tokio::test]
async fn a_code_sent_before_a_rotation_completes_after_it_and_the_passes_keep_apart() {
    // One list URI whatever port the restarted node listens on.
    let base = |c: &mut doorpass_issuer::IssuerConfig| {
        c.status_base_url = Some("https://kdca.kr/s/".into());
    };
    let mut issuer = common::start(base).await;
    let (_, first) = issuer.enrol("demo-kim").await;
    let holder = generate_signing_key();
    let challenge = issuer.start_enrolment("demo-lee", &holder).await;
    let code = issuer.dev_code("demo-lee").await;

    rotate_issuer_key(
        issuer.dir.path(),
        &AnchorDir::at(issuer.anchor_dir.path()),
        unix_now(),
    )
    .unwrap();
    issuer.restart(base).await;

    let (status, _, second) = issuer.complete(&challenge, &code, &holder).await;
    assert_eq!(status, 200, "a code sent before the rotation: {second}");
    let status_of = |answer: &serde_json::Value| {
        let pass = Pass::parse(&b64_vec(answer["pass"].as_str().unwrap(), 4096).unwrap()).unwrap();
        pass.claims()
            .status
            .clone()
            .expect("passes carry a status entry")
    };
    let (a, b) = (status_of(&first), status_of(&second));
    assert_eq!(a.uri, b.uri, "the same list goes on after the rotation");
    assert_ne!(a.index, b.index);
    assert_ne!(
        Pass::parse(&b64_vec(second["pass"].as_str().unwrap(), 4096).unwrap())
            .unwrap()
            .issuer_key_id(),
        Pass::parse(&b64_vec(first["pass"].as_str().unwrap(), 4096).unwrap())
            .unwrap()
            .issuer_key_id(),
        "the new pass is signed by the new key"
    );
}

#[tokio::test]
async fn a_folder_from_before_the_secrets_file_is_migrated_with_the_values_it_used() {
    let mut issuer = common::start(|_| {}).await;
    let files = IssuerDir::at(issuer.dir.path());
    // As an issuer folder made before `secrets.key` existed: its code hashes came from its key.
    std::fs::remove_file(&files.secrets).unwrap();
    let signing_key = IssuerKeys::load(issuer.dir.path()).unwrap().signing_key;
    assert_eq!(
        IssuerSecrets::load_or_migrate(issuer.dir.path(), &signing_key).unwrap(),
        IssuerSecrets::legacy(&signing_key),
        "migrated with the values it used"
    );
    assert!(files.secrets.ends_with(SECRETS_FILE));
    issuer.restart(|_| {}).await;
    let holder = generate_signing_key();
    let challenge = issuer.start_enrolment("demo-kim", &holder).await;
    let code = issuer.dev_code("demo-kim").await;
    // The rotation migrates nothing more: the file stays as written.
    let written = std::fs::read(&files.secrets).unwrap();
    rotate_issuer_key(
        issuer.dir.path(),
        &AnchorDir::at(issuer.anchor_dir.path()),
        unix_now(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&files.secrets).unwrap(), written);
    issuer.restart(|_| {}).await;
    let (status, _, body) = issuer.complete(&challenge, &code, &holder).await;
    assert_eq!(status, 200, "{body}");
}
