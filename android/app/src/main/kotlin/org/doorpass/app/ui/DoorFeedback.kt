// What a door verdict sounds and feels like: a distinct tone and vibration for each DoorSignal
// (valid: one short beep and buzz; check ID: two; refused: a long low tone and a long buzz), so staff
// at a loud lunchtime door know the verdict without reading it.
package org.doorpass.app.ui

import android.content.Context
import android.media.AudioManager
import android.media.ToneGenerator
import android.os.Build
import android.os.VibrationEffect
import android.os.Vibrator
import android.os.VibratorManager
import org.doorpass.core.DoorSignal

/** Plays the verdict's tone and vibration; [release] when the door screen goes. */
class DoorFeedback(context: Context) {
    private val tones: ToneGenerator? = try {
        ToneGenerator(AudioManager.STREAM_NOTIFICATION, VOLUME)
    } catch (e: RuntimeException) {
        null // No audio device for tones: vibration and colour still tell the verdict.
    }

    private val vibrator: Vibrator? = if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
        (context.getSystemService(Context.VIBRATOR_MANAGER_SERVICE) as? VibratorManager)?.defaultVibrator
    } else {
        @Suppress("DEPRECATION")
        context.getSystemService(Context.VIBRATOR_SERVICE) as? Vibrator
    }

    /** The tone and vibration of [signal]. */
    fun play(signal: DoorSignal) {
        val (tone, millis, pattern) = when (signal) {
            DoorSignal.VALID -> Triple(ToneGenerator.TONE_PROP_BEEP, 150, longArrayOf(0, 60))
            DoorSignal.CHECK_ID -> Triple(ToneGenerator.TONE_PROP_BEEP2, 400, longArrayOf(0, 60, 120, 60))
            DoorSignal.REFUSED -> Triple(ToneGenerator.TONE_SUP_ERROR, 600, longArrayOf(0, 400))
        }
        tones?.startTone(tone, millis)
        val vibrator = vibrator ?: return
        if (!vibrator.hasVibrator()) return
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) {
            vibrator.vibrate(VibrationEffect.createWaveform(pattern, -1))
        } else {
            @Suppress("DEPRECATION")
            vibrator.vibrate(pattern, -1)
        }
    }

    /** Frees the tone generator. */
    fun release() {
        tones?.release()
    }

    private companion object {
        /** Loud enough for a busy door, below the maximum. */
        const val VOLUME = 90
    }
}
