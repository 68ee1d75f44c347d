//! `doorpass issuer init`, `rotate-key` and `sign-trust-list` as a real process: the anchor's
//! private key stays out of the serving folder, and the commands that need it say so when it is
//! missing.

mod common;

use common::{doorpass, doorpass_expect, p};

#[test]
fn the_anchor_key_is_kept_apart_and_only_the_anchor_folder_can_change_the_list() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = p(tmp.path(), "issuer");
    doorpass_expect(&["issuer", "init", "--dir", &dir], 0);
    let serving = tmp.path().join("issuer");
    let offline = tmp.path().join("issuer.anchor");
    assert!(
        offline.join("anchor.key").is_file(),
        "DIR.anchor by default"
    );
    assert!(!serving.join("anchor.key").exists());
    for file in ["issuer.key", "anchor.pub.pem", "trust-list.cose"] {
        assert!(serving.join(file).is_file(), "{file}");
    }
    let before = std::fs::read(serving.join("issuer.key")).unwrap();

    // The serving folder alone cannot rotate: the anchor is somewhere else.
    let elsewhere = p(tmp.path(), "nowhere");
    let out = doorpass(&[
        "issuer",
        "rotate-key",
        "--dir",
        &dir,
        "--anchor-dir",
        &elsewhere,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("anchor.key"), "{stderr}");
    assert_eq!(std::fs::read(serving.join("issuer.key")).unwrap(), before);

    let out = doorpass(&["issuer", "rotate-key", "--dir", &dir]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("trust list version 2"), "{stderr}");
    assert_ne!(std::fs::read(serving.join("issuer.key")).unwrap(), before);

    let out = doorpass(&["issuer", "sign-trust-list", "--dir", &dir]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("trust list version 3"));

    // An explicit anchor folder works the same.
    let custom = p(tmp.path(), "usb-stick");
    let dir2 = p(tmp.path(), "second");
    doorpass_expect(
        &["issuer", "init", "--dir", &dir2, "--anchor-dir", &custom],
        0,
    );
    assert!(tmp.path().join("usb-stick/anchor.key").is_file());
    doorpass_expect(
        &[
            "issuer",
            "rotate-key",
            "--dir",
            &dir2,
            "--anchor-dir",
            &custom,
        ],
        0,
    );
}
