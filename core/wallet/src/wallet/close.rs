//! Closing a wallet handle: the app replaces it (a new screen, a new process part) and the old one
//! must neither keep a call running nor write over what the new one writes.

use super::*;

impl Wallet {
    /// Closes this handle once any issuer call under way on it (a renewal, an enrolment) has ended
    /// and stored what it received. Every later call that can fail fails with
    /// [`WalletError::Closed`]; the in-memory views (`state`, `passes`) keep answering what was
    /// last known. The cross-process lock is held only during issuer calls, so after this returns
    /// the folder is free for another handle, which reads everything this one wrote. Closing twice
    /// is not an error.
    pub async fn close(&self) {
        let _net = self.network.lock().await;
        self.lock().closed = true;
        log::debug!("wallet handle closed");
    }

    /// `Ok` while this handle is open; [`WalletError::Closed`] after [`Wallet::close`],
    /// [`WalletError::Wiped`] after [`Wallet::wipe`].
    pub fn ensure_open(&self) -> Result<(), WalletError> {
        self.live().map(drop)
    }
}
