// The door's camera: the back camera's preview with CameraX, every frame handed to QrCodeAnalyzer.
package org.doorpass.app.ui

import android.util.Log
import android.util.Size
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberUpdatedState
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner
import java.util.concurrent.Executors

private const val TAG = "DoorpassScanner"

/** Frames of this size decode a version-13 code from arm's length (the camera picks the nearest). */
private val ANALYSIS_SIZE = Size(1280, 720)

/**
 * The back camera's preview (the front one for a kiosk facing the guests); [onCode] gets the text of
 * every QR code seen, on the main thread. The camera needs the CAMERA permission, which the caller
 * has checked.
 */
@Composable
fun QrScanner(onCode: (String) -> Unit, modifier: Modifier = Modifier, frontCamera: Boolean = false) {
    val context = LocalContext.current
    val lifecycleOwner = LocalLifecycleOwner.current
    val latestOnCode by rememberUpdatedState(onCode)
    val previewView = remember(context) { PreviewView(context) }

    DisposableEffect(lifecycleOwner, previewView, frontCamera) {
        val selector = if (frontCamera) CameraSelector.DEFAULT_FRONT_CAMERA else CameraSelector.DEFAULT_BACK_CAMERA
        val analysisThread = Executors.newSingleThreadExecutor()
        val mainThread = ContextCompat.getMainExecutor(context)
        val preview = Preview.Builder().build()
        preview.setSurfaceProvider(previewView.surfaceProvider)
        val analysis = ImageAnalysis.Builder()
            .setResolutionSelector(
                ResolutionSelector.Builder()
                    .setResolutionStrategy(
                        ResolutionStrategy(ANALYSIS_SIZE, ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER),
                    )
                    .build(),
            )
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .build()
        analysis.setAnalyzer(analysisThread, QrCodeAnalyzer { text -> mainThread.execute { latestOnCode(text) } })

        var disposed = false
        var provider: ProcessCameraProvider? = null
        val providerFuture = ProcessCameraProvider.getInstance(context)
        providerFuture.addListener({
            if (disposed) return@addListener
            val cameras = providerFuture.get()
            try {
                cameras.bindToLifecycle(lifecycleOwner, selector, preview, analysis)
                provider = cameras
            } catch (e: IllegalArgumentException) {
                Log.w(TAG, "no camera on that side to scan with", e)
            } catch (e: IllegalStateException) {
                Log.w(TAG, "the camera could not be bound", e)
            }
        }, mainThread)

        onDispose {
            disposed = true
            provider?.unbind(preview, analysis)
            analysis.clearAnalyzer()
            analysisThread.shutdown()
        }
    }

    AndroidView(factory = { previewView }, modifier = modifier)
}
