// The wallet and the door over HTTPS through the generated bindings (issue 21), against the dev
// issuer that scripts/test-issuers.sh serves at https://127.0.0.1:PORT with a certificate from its
// test CA: with the CA added (extraRootCertificatesPem) enrolment, renewal and the status lists work;
// without it, or with pins of other keys, each call fails with its own error and nothing crashes.
package org.doorpass.core

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class HttpsTest {
    private fun walletOverHttps(roots: List<String>, pins: List<String> = emptyList()): Wallet =
        Wallet.open(
            freshDir().toString(),
            WalletConfig(
                issuerUrl = Env.tlsIssuer,
                anchor = Env.anchor,
                allowPlainHttp = false,
                httpTimeoutSeconds = 5u,
                replaceIssuerUrl = false,
                extraRootCertificatesPem = roots,
                issuerKeyPins = pins,
            ),
            MemorySecretStore(),
        )

    /** A door fetching its lists from the HTTPS issuer, reached as `localhost` (its certificate names both). */
    private fun doorOverHttps(roots: List<String>, pins: List<String> = emptyList()): DoorVerifier =
        DoorVerifier.open(
            freshDir().toString(),
            Env.anchor,
            DoorConfig(
                issuerUrl = Env.tlsIssuer.replace("://127.0.0.1:", "://localhost:"),
                allowStaticCodes = false,
                clockToleranceSeconds = 0u,
                extraRootCertificatesPem = roots,
                issuerKeyPins = pins,
            ),
        )

    @Test
    fun withTheTestCaAWalletEnrolsRenewsAndADoorRefreshesItsStatusListOverHttps(): Unit = runBlocking {
        assertTrue(Env.tlsIssuer.startsWith("https://127.0.0.1:"), Env.tlsIssuer)
        val wallet = walletOverHttps(roots = listOf(Env.testCaPem))
        val pass = enrol(wallet, Env.tlsIssuer, "https-kt-1")
        assertEquals("HTTPS Tester 1", pass.holderName)
        val renewed = wallet.renewNow(pass.id, nowSeconds())
        assertIs<RenewalOutcome.Renewed>(renewed, "$renewed")
        assertEquals(1u, wallet.refreshStatusLists(nowSeconds()), "the pass's status list, fetched over HTTPS")

        val door = doorOverHttps(roots = listOf(Env.testCaPem))
        door.refreshTrustList(nowSeconds())
        val now = nowSeconds()
        val qr = wallet.currentQr(pass.id, now, false)
        // The first check tells the door which status list the pass names; it has none yet.
        val unchecked = door.verify(qr.text, now)
        assertIs<VerificationResult.Valid>(unchecked, "$unchecked")
        assertEquals(RevocationStatus.NotChecked(null), unchecked.revocation)
        val lists = door.refreshStatusLists(now)
        assertEquals(1, lists.size)
        assertTrue(lists[0].uri.startsWith("${Env.tlsIssuer}/"), lists[0].uri)
        val checked = door.verify(qr.text, now)
        assertIs<VerificationResult.Valid>(checked, "$checked")
        assertEquals("HTTPS Tester 1", checked.holderName)
        assertIs<RevocationStatus.NotRevoked>(checked.revocation)
    }

    @Test
    fun withoutTheTestCaTheIssuersCertificateIsUntrustedAtTheWalletAndTheDoor(): Unit = runBlocking {
        val wallet = walletOverHttps(roots = emptyList())
        assertFailsWith<DoorpassException.UntrustedCertificate> { wallet.startEnrolment("https-kt-2", nowSeconds()) }
        assertEquals(WalletState.NotEnrolled, wallet.state())
        assertFailsWith<DoorpassException.UntrustedCertificate> { wallet.refreshTrustList(nowSeconds()) }
        val door = doorOverHttps(roots = emptyList())
        assertFailsWith<DoorpassException.UntrustedCertificate> { door.refreshTrustList(nowSeconds()) }
        assertEquals(null, door.trustListStatus(nowSeconds()))
    }

    @Test
    fun pinsOfOtherKeysAreAMismatchAndTheIssuersKeyPinnedAsTheBackupWorks(): Unit = runBlocking {
        val ca = listOf(Env.testCaPem)
        // The key in use and the backup both pinned wrong: refused although the chain is trusted.
        val wrong = Env.unrelatedKeyPins
        val refused = walletOverHttps(roots = ca, pins = wrong)
        assertFailsWith<DoorpassException.CertificatePinMismatch> { refused.startEnrolment("https-kt-3", nowSeconds()) }
        assertEquals(WalletState.NotEnrolled, refused.state())
        assertFailsWith<DoorpassException.CertificatePinMismatch> {
            doorOverHttps(roots = ca, pins = wrong).refreshTrustList(nowSeconds())
        }

        // The issuer's key is the backup pin: the wallet enrols and the door fetches its list.
        val pins = listOf(wrong[0], Env.tlsIssuerKeyPin)
        val pass = enrol(walletOverHttps(roots = ca, pins = pins), Env.tlsIssuer, "https-kt-3")
        assertEquals("HTTPS Tester 3", pass.holderName)
        val door = doorOverHttps(roots = ca, pins = pins)
        assertTrue(door.refreshTrustList(nowSeconds()).version >= 1uL)
    }
}
