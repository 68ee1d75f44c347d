// The door verifier through the generated bindings: every shared DP1 vector, and the errors a door app
// must tell apart (no list yet, a list from another anchor, a clock far behind).
package org.doorpass.core

import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class DoorVerifierTest {
    private val vectorAnchor get() = Anchor.Pem(Files.readString(Env.vectors.resolve("anchor.pub.pem")))
    private val vectorList get() = Files.readAllBytes(Env.vectors.resolve("trust-list.cose"))
    private val vectorStatusList get() = Files.readAllBytes(Env.vectors.resolve("status-list.cose"))

    private fun code(result: VerificationResult): String = when (result) {
        is VerificationResult.Valid -> "valid"
        is VerificationResult.Refused -> when (result.reason) {
            RefusalReason.MALFORMED -> "malformed"
            RefusalReason.UNKNOWN_ISSUER -> "unknown_issuer"
            RefusalReason.BAD_SIGNATURE -> "bad_signature"
            RefusalReason.ISSUER_KEY_NOT_VALID_AT_ISSUANCE -> "issuer_key_not_valid_at_issuance"
            RefusalReason.LIFETIME_TOO_LONG -> "lifetime_too_long"
            RefusalReason.NOT_YET_VALID -> "not_yet_valid"
            RefusalReason.EXPIRED -> "expired"
            RefusalReason.STALE_CODE -> "stale_step"
            RefusalReason.FUTURE_CODE -> "future_step"
            RefusalReason.NOT_FROM_HOLDERS_PHONE -> "bad_holder_proof"
            RefusalReason.STATIC_NOT_ACCEPTED -> "static_refused"
            RefusalReason.REVOKED -> "revoked"
            RefusalReason.REVOCATION_NOT_CHECKED -> "revocation_not_checked"
            RefusalReason.NOT_REVOCABLE -> "not_revocable"
            RefusalReason.KEY_NOT_HARDWARE_BOUND -> "key_not_hardware_bound"
        }
    }

    /** The cases of the shared vectors, each as its JSON object's text. */
    private fun vectorCases(): List<String> =
        Regex("\\{[^{}]*\"qr_text\"[^{}]*\\}").findAll(Files.readString(Env.vectors.resolve("cases.json"))).map { it.value }.toList()

    private fun field(case: String, name: String): String =
        Regex("\"$name\"\\s*:\\s*(\"[^\"]*\"|[0-9]+|true|false)").find(case)?.groupValues?.get(1)?.trim('"')
            ?: error("case without $name: $case")

    @Test
    fun everySharedVectorGetsItsExpectedVerdict() {
        val cases = vectorCases()
        assertEquals(27, cases.size, "cases in cases.json")
        for (case in cases) {
            val at = field(case, "at").toULong()
            val door = DoorVerifier.open(
                freshDir().toString(),
                vectorAnchor,
                DoorConfig(
                    issuerUrl = null,
                    allowStaticCodes = field(case, "allow_static").toBoolean(),
                    clockToleranceSeconds = field(case, "tolerance").toUInt(),
                ),
            )
            assertEquals(7uL, door.updateTrustList(vectorList, at).version)
            door.updateStatusList(vectorStatusList, at)
            val verdict = door.verify(field(case, "qr_text"), at)
            assertEquals(field(case, "expected"), code(verdict), field(case, "name"))
            if (verdict is VerificationResult.Valid) {
                assertTrue(verdict.holderName.isNotEmpty() && verdict.expiresAt > at)
            }
        }
    }

    @Test
    fun aDoorWithoutAListSaysSoAndRefusesAListFromAnotherAnchor() {
        val door = DoorVerifier.open(
            freshDir().toString(),
            Env.anchor,
            DoorConfig(issuerUrl = null, allowStaticCodes = false, clockToleranceSeconds = 0u),
        )
        assertEquals(null, door.trustListStatus(nowSeconds()))
        assertFailsWith<DoorpassException.NoTrustList> { door.verify("DP1:ABC", nowSeconds()) }
        assertFailsWith<DoorpassException.InvalidPassFromIssuer> { door.updateTrustList(vectorList, nowSeconds()) }
        assertFailsWith<DoorpassException.NoTrustList> { door.verify("DP1:ABC", nowSeconds()) }
    }

    @Test
    fun aDoorClockFarBeforeTheListIsNotTrusted() {
        val dir = freshDir()
        val config = DoorConfig(issuerUrl = null, allowStaticCodes = false, clockToleranceSeconds = 0u)
        val door = DoorVerifier.open(dir.toString(), vectorAnchor, config)
        val at = 1_800_000_100uL
        door.updateTrustList(vectorList, at)
        assertFailsWith<DoorpassException.ClockUntrustworthy> { door.verify("DP1:ABC", at - 10uL * 86_400uL) }
        // The list was kept on disk: a door reopened offline still has it.
        val reopened = DoorVerifier.open(dir.toString(), vectorAnchor, config)
        assertEquals(7uL, reopened.trustListStatus(at)?.version)
    }

    @Test
    fun aDoorKeepsItsStatusListAcrossARestartAndSaysWhenRevocationWasNotChecked() {
        val cases = vectorCases()
        val revoked = cases.first { field(it, "name") == "revoked_in_status_list" }
        val clear = cases.first { field(it, "name") == "valid_not_revoked_in_status_list" }
        val at = field(clear, "at").toULong()
        val dir = freshDir()
        val config = DoorConfig(issuerUrl = null, allowStaticCodes = false, clockToleranceSeconds = 60u)
        val first = DoorVerifier.open(dir.toString(), vectorAnchor, config)
        first.updateTrustList(vectorList, at)
        val unchecked = first.verify(field(clear, "qr_text"), at) as VerificationResult.Valid
        assertEquals(RevocationStatus.NotChecked(null), unchecked.revocation)
        assertEquals("https://kdca.kr/s/1", first.updateStatusList(vectorStatusList, at).uri)
        assertFailsWith<DoorpassException.InvalidPassFromIssuer> { first.updateStatusList(byteArrayOf(1, 2, 3), at) }
        val again = DoorVerifier.open(dir.toString(), vectorAnchor, config)
        assertEquals(listOf("https://kdca.kr/s/1"), again.statusLists(at).map { it.uri })
        assertEquals("revoked", code(again.verify(field(revoked, "qr_text"), at)))
        val checked = again.verify(field(clear, "qr_text"), at) as VerificationResult.Valid
        assertEquals(RevocationStatus.NotRevoked(100uL), checked.revocation)
        val strict = DoorVerifier.open(
            freshDir().toString(),
            vectorAnchor,
            DoorConfig(issuerUrl = null, allowStaticCodes = false, clockToleranceSeconds = 60u, requireRevocationCheck = true),
        )
        strict.updateTrustList(vectorList, at)
        assertEquals("revocation_not_checked", code(strict.verify(field(clear, "qr_text"), at)))
    }

    @Test
    fun aDoorMayAcceptLongerPassesThanTheDefault() {
        val case = vectorCases()
            .first { field(it, "name") == "lifetime_longer_than_policy" }
        val at = field(case, "at").toULong()
        fun verdict(maxDays: UInt): VerificationResult {
            val door = DoorVerifier.open(
                freshDir().toString(),
                vectorAnchor,
                DoorConfig(issuerUrl = null, allowStaticCodes = false, clockToleranceSeconds = 0u, maxPassLifetimeDays = maxDays),
            )
            door.updateTrustList(vectorList, at)
            return door.verify(field(case, "qr_text"), at)
        }
        assertEquals("lifetime_too_long", code(verdict(0u)), "the default: 400 days")
        assertEquals("valid", code(verdict(401u)))
        assertEquals("lifetime_too_long", code(verdict(30u)))
    }

    @Test
    fun aDoorSetToRefuseUnrevocablePassesRefusesOnlyPassesNamingNoList() {
        val cases = vectorCases()
        val plain = cases.first { field(it, "name") == "valid_rotating" }
        val clear = cases.first { field(it, "name") == "valid_not_revoked_in_status_list" }
        val at = field(clear, "at").toULong()
        val strict = DoorConfig(
            issuerUrl = null,
            allowStaticCodes = false,
            clockToleranceSeconds = 60u,
            requireRevocationCheck = true,
            refuseUnrevocable = true,
        )
        val door = DoorVerifier.open(freshDir().toString(), vectorAnchor, strict)
        door.updateTrustList(vectorList, at)
        val refused = door.verify(field(plain, "qr_text"), at) as VerificationResult.Refused
        assertEquals(RefusalReason.NOT_REVOCABLE, refused.reason)
        door.updateStatusList(vectorStatusList, at)
        assertEquals("valid", code(door.verify(field(clear, "qr_text"), at)))
        // Door staff turn it off: the same door accepts the pass at once, saying it cannot be revoked.
        door.setConfig(strict.copy(refuseUnrevocable = false))
        val accepted = door.verify(field(plain, "qr_text"), at) as VerificationResult.Valid
        assertEquals(RevocationStatus.NotRevocable, accepted.revocation)
    }

    @Test
    fun aStatusListIsRefusedWhenExpiredOrDatedAheadOfTheDoorsClock() {
        val at = 1_800_000_100uL
        val door = DoorVerifier.open(
            freshDir().toString(),
            vectorAnchor,
            DoorConfig(issuerUrl = null, allowStaticCodes = false, clockToleranceSeconds = 0u),
        )
        door.updateTrustList(vectorList, at)
        // The vectors' list is made at 1800000000 and expires 31 days later.
        val expired = assertFailsWith<DoorpassException.InvalidPassFromIssuer> {
            door.updateStatusList(vectorStatusList, 1_800_000_000uL + 31uL * 86_400uL)
        }
        assertTrue("expired" in expired.detail, expired.detail)
        val ahead = assertFailsWith<DoorpassException.InvalidPassFromIssuer> {
            door.updateStatusList(vectorStatusList, 1_800_000_000uL - 3_600uL)
        }
        assertTrue("after now" in ahead.detail, ahead.detail)
        assertTrue(door.statusLists(at).isEmpty())
        assertEquals("KR-KDCA-TEST", door.updateStatusList(vectorStatusList, at).issuerId)
    }
}
