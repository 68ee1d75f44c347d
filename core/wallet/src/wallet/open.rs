//! Opening a wallet folder: identity, state, cached trust list and passes, with damaged files set
//! aside; and the issuer connection, built on first use.

use super::*;

impl Wallet {
    /// Opens the wallet in `home`. With `setup`, a missing wallet is created; an existing one must pin
    /// the same anchor ([`WalletError::AnchorMismatch`]) and name the same issuer URL, unless
    /// [`WalletSetup::replace_issuer`] allows replacing the stored one
    /// ([`WalletError::IssuerMismatch`]). Damaged files are set aside and listed by
    /// [`Wallet::problems`]; opening never touches the network.
    pub fn open(
        home: &Path,
        secrets: Arc<dyn SecretStore>,
        setup: Option<WalletSetup>,
        options: WalletOptions,
    ) -> Result<Wallet, WalletError> {
        if let Some(setup) = &setup {
            check_issuer_url(&setup.issuer_url, options.allow_plain_http)?;
        }
        #[cfg(feature = "http")]
        if options.transport.is_none() {
            crate::tls_verifier::check(&options.tls).map_err(|e| WalletError::InvalidInput {
                detail: e.to_string(),
            })?;
        }
        let layout = Layout {
            home: home.to_path_buf(),
        };
        let mut problems = Vec::new();
        let identity = match load_identity(&layout, &mut problems)? {
            Some(mut identity) => {
                if let Some(setup) = &setup {
                    if identity.anchor != b64(setup.anchor.as_bytes()) {
                        return Err(WalletError::AnchorMismatch);
                    }
                    if identity.issuer_url != setup.issuer_url {
                        if !setup.replace_issuer {
                            return Err(WalletError::IssuerMismatch {
                                stored: identity.issuer_url,
                            });
                        }
                        log::info!(
                            "issuer URL replaced: {} -> {}",
                            identity.issuer_url,
                            setup.issuer_url
                        );
                        identity.issuer_url = setup.issuer_url.clone();
                        save_identity(&layout, &identity)?;
                    }
                }
                identity
            }
            None => {
                let setup = setup.ok_or(WalletError::NotSetUp)?;
                doorpass_format::atomic_file::create_private_dir(home)
                    .map_err(|e| WalletError::storage("creating the wallet folder", e))?;
                let identity = Identity {
                    format: FORMAT,
                    wallet_id: doorpass_format::keys::hex(&rand::random::<[u8; 8]>()),
                    issuer_url: setup.issuer_url,
                    anchor: b64(setup.anchor.as_bytes()),
                    created_at: unix_now(),
                    trust_list_floor: 0,
                };
                save_identity(&layout, &identity)?;
                identity
            }
        };
        let anchor = b64_fixed::<32>(&identity.anchor)
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .ok_or_else(|| WalletError::Storage {
                detail: "the pinned anchor in identity.json is not a key".into(),
            })?;
        let files = PassFiles::new(home);
        files
            .prepare()
            .map_err(|e| WalletError::storage("passes folder", e))?;
        doorpass_format::atomic_file::remove_stale_temp_files(home)
            .map_err(|e| WalletError::storage("wallet folder", e))?;

        let state = match read_json::<StateFile>(&layout.state())
            .map_err(|e| WalletError::storage("state", e))?
        {
            Checked::Good(state) => state,
            Checked::Missing => StateFile::default(),
            Checked::SetAside { moved_to, reason } => {
                problems.push(problem(&layout.state(), &moved_to, reason));
                StateFile::default()
            }
        };
        let (trust, set_aside) = TrustListCache::open_with_floor(
            &layout.trust_list(),
            anchor,
            identity.trust_list_floor,
        )
        .map_err(|e| WalletError::storage("trust list", e))?;
        if let Some(SetAside { moved_to, reason }) = set_aside {
            problems.push(problem(&layout.trust_list(), &moved_to, reason));
        }
        // A list kept before its version reached the identity (a crash between the two writes, or a
        // wallet from before the floor existed): record it now.
        let mut identity = identity;
        if trust.floor() > identity.trust_list_floor {
            identity.trust_list_floor = trust.floor();
            save_identity(&layout, &identity)?;
        }
        let mut slots = BTreeMap::new();
        for id in files
            .slots()
            .map_err(|e| WalletError::storage("passes folder", e))?
        {
            let meta_path = files.meta_path(&id);
            let meta = match read_json::<SlotMeta>(&meta_path)
                .map_err(|e| WalletError::storage("pass metadata", e))?
            {
                Checked::Good(meta) => meta,
                missing_or_damaged => {
                    if let Checked::SetAside { moved_to, reason } = missing_or_damaged {
                        problems.push(problem(&meta_path, &moved_to, reason));
                    }
                    // Rebuild it now, so the pass is found again on the next open. The subject is
                    // known if this slot's enrolment is the one still pending (a crash between the
                    // pass and its metadata); otherwise re-authentication asks for it again.
                    let subject = state
                        .pending
                        .as_ref()
                        .filter(|p| p.slot == id)
                        .map(|p| p.subject.clone())
                        .unwrap_or_default();
                    let meta = SlotMeta {
                        subject,
                        ..SlotMeta::default()
                    };
                    files
                        .save_meta(&id, &meta)
                        .map_err(|e| WalletError::storage("pass metadata", e))?;
                    meta
                }
            };
            let check = |bytes: &[u8]| check_stored_pass(bytes, trust.list());
            let pass = match files
                .load_pass(&id, check)
                .map_err(|e| WalletError::storage("pass", e))?
            {
                Checked::Good(pass) => Some(pass),
                missing_or_damaged => {
                    if let Checked::SetAside { moved_to, reason } = missing_or_damaged {
                        problems.push(problem(&files.pass_path(&id), &moved_to, reason));
                    }
                    // The pass held before the last renewal still opens doors until it expires.
                    match files
                        .load_previous_pass(&id, check)
                        .map_err(|e| WalletError::storage("pass", e))?
                    {
                        Checked::Good(previous) => {
                            files
                                .save_pass(&id, previous.bytes())
                                .map_err(|e| WalletError::storage("pass", e))?;
                            Some(previous)
                        }
                        Checked::Missing => None,
                        Checked::SetAside { moved_to, reason } => {
                            let path = files.previous_pass_path(&id);
                            problems.push(problem(&path, &moved_to, reason));
                            None
                        }
                    }
                }
            };
            slots.insert(
                id,
                Slot {
                    meta,
                    pass,
                    holder: None,
                },
            );
        }
        let mut status_files = crate::status_cache::StatusListFiles::open(&layout.status_lists())
            .map_err(|e| WalletError::storage("status lists", e))?;
        let mut revocations = doorpass_format::StatusLists::default();
        if let Some(list) = trust.list() {
            let trusted = list.content().clone();
            status_files.offer_all_to(|bytes| revocations.restore(bytes, &trusted).ok());
        }
        let inner = Inner {
            status_files,
            revocations,
            state,
            trust_floor: identity.trust_list_floor,
            trust,
            slots,
            problems,
            qr_cache: HashMap::new(),
            wiped: false,
            closed: false,
        };
        Ok(Wallet {
            layout,
            files,
            identity,
            client: std::sync::OnceLock::new(),
            http_timeout: options.http_timeout,
            tls: options.tls,
            transport: options.transport,
            allow_plain_http: options.allow_plain_http,
            secrets,
            retry: options.retry,
            boot_clock: options.boot_clock,
            holder_keys: options.holder_keys,
            inner: Mutex::new(inner),
            network: tokio::sync::Mutex::new(()),
        })
    }

    pub(super) fn client(&self) -> Result<&IssuerClient, WalletError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        check_issuer_url(&self.identity.issuer_url, self.allow_plain_http)?;
        let transport = match &self.transport {
            Some(transport) => transport.clone(),
            None => default_transport(self.http_timeout, &self.tls)?,
        };
        let client = IssuerClient::new(&self.identity.issuer_url, transport).map_err(|e| {
            WalletError::InvalidInput {
                detail: e.to_string(),
            }
        })?;
        Ok(self.client.get_or_init(|| client))
    }
}

/// The wallet's identity from its file, or from the second copy when the first is missing or
/// damaged (the identity names every secret of the wallet: losing it would orphan them all).
pub(super) fn load_identity(
    layout: &Layout,
    problems: &mut Vec<StorageProblem>,
) -> Result<Option<Identity>, WalletError> {
    let read =
        |path: &Path| read_json::<Identity>(path).map_err(|e| WalletError::storage("identity", e));
    let primary = read(&layout.identity())?;
    if let Checked::Good(identity) = primary {
        return Ok(Some(identity));
    }
    let backup = read(&layout.identity_backup())?;
    if let Checked::SetAside { moved_to, reason } = &primary {
        problems.push(problem(&layout.identity(), moved_to, reason.clone()));
    }
    match backup {
        Checked::Good(identity) => {
            write_json(&layout.identity(), &identity)
                .map_err(|e| WalletError::storage("identity", e))?;
            Ok(Some(identity))
        }
        Checked::Missing if matches!(primary, Checked::Missing) => Ok(None),
        Checked::Missing => Err(WalletError::Storage {
            detail: format!(
                "the wallet identity file was damaged and has no second copy; it was moved to {}",
                problems
                    .last()
                    .map_or(String::new(), |p| p.moved_to.clone())
            ),
        }),
        Checked::SetAside { moved_to, reason } => Err(WalletError::Storage {
            detail: format!(
                "both copies of the wallet identity are damaged ({reason}); moved to {}",
                moved_to.display()
            ),
        }),
    }
}

/// Writes the identity and then its second copy, each atomically.
pub(super) fn save_identity(layout: &Layout, identity: &Identity) -> Result<(), WalletError> {
    for path in [layout.identity(), layout.identity_backup()] {
        write_json(&path, identity).map_err(|e| WalletError::storage("identity", e))?;
    }
    Ok(())
}

/// An issuer URL the wallet may send secrets to: https, or plain http to this machine, or plain
/// http anywhere when the caller allowed it (QA against a test issuer on the LAN).
/// The built-in transport, when the app passed none.
#[cfg(feature = "http")]
fn default_transport(
    timeout: Duration,
    tls: &crate::tls::TlsTrust,
) -> Result<Arc<dyn HttpTransport>, WalletError> {
    let transport =
        crate::reqwest_transport::ReqwestTransport::trusting(timeout, tls).map_err(|e| {
            WalletError::InvalidInput {
                detail: e.to_string(),
            }
        })?;
    Ok(Arc::new(transport))
}

/// Without the `http` feature the app must pass a transport.
#[cfg(not(feature = "http"))]
fn default_transport(
    _timeout: Duration,
    _tls: &crate::tls::TlsTrust,
) -> Result<Arc<dyn HttpTransport>, WalletError> {
    Err(WalletError::InvalidInput {
        detail: "no HTTP transport: pass one in WalletOptions (built without the http feature)"
            .into(),
    })
}

pub(super) fn check_issuer_url(url: &str, allow_plain_http: bool) -> Result<(), WalletError> {
    let insecure = url.starts_with("http://");
    if !(insecure || url.starts_with("https://")) {
        return Err(WalletError::InvalidInput {
            detail: format!("not an issuer URL (http:// or https://): {url}"),
        });
    }
    if insecure && !allow_plain_http && !IssuerClient::is_loopback_url(url) {
        return Err(WalletError::InvalidInput {
            detail: format!(
                "{url} is plain http to another machine: refresh tokens would cross the network \
                 unencrypted; use https (or allow plain http for a test issuer)"
            ),
        });
    }
    Ok(())
}

pub(super) fn check_stored_pass(
    bytes: &[u8],
    trust_list: Option<&TrustList>,
) -> Result<Pass, String> {
    let pass = Pass::parse(bytes).map_err(|e| e.to_string())?;
    if let Some(tl) = trust_list {
        Verifier::new(tl.clone(), VerifierPolicy::default())
            .check_pass(&pass, None)
            .map_err(|r| r.to_string())?;
    }
    Ok(pass)
}

pub(super) fn problem(file: &Path, moved_to: &Path, reason: String) -> StorageProblem {
    StorageProblem {
        file: file.display().to_string(),
        moved_to: moved_to.display().to_string(),
        reason,
    }
}
