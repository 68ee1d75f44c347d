// Finding a QR code in a camera frame: ZXing's QR reader over the frame's luminance (the Y plane of
// CameraX's YUV_420_888 images). What the code says is checked by the core, not here.
package org.doorpass.app.ui

import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import com.google.zxing.BinaryBitmap
import com.google.zxing.PlanarYUVLuminanceSource
import com.google.zxing.ReaderException
import com.google.zxing.common.HybridBinarizer
import com.google.zxing.qrcode.QRCodeReader

/** Looks for a QR code in every frame; [onCode] gets the text of each one found, on the analysis thread. */
class QrCodeAnalyzer(private val onCode: (String) -> Unit) : ImageAnalysis.Analyzer {
    private val reader = QRCodeReader()
    private var luminance = ByteArray(0)

    /** Decodes [image] and always closes it, so that CameraX delivers the next frame. */
    override fun analyze(image: ImageProxy) {
        try {
            val width = image.width
            val height = image.height
            val source = PlanarYUVLuminanceSource(luminanceOf(image), width, height, 0, 0, width, height, false)
            onCode(reader.decode(BinaryBitmap(HybridBinarizer(source))).text)
        } catch (e: ReaderException) {
            // No readable code in this frame; the next one comes a few milliseconds later.
        } finally {
            reader.reset()
            image.close()
        }
    }

    /** The Y plane as width × height bytes, without the padding some cameras add to each row. */
    private fun luminanceOf(image: ImageProxy): ByteArray {
        val plane = image.planes[0]
        val width = image.width
        val height = image.height
        if (luminance.size != width * height) luminance = ByteArray(width * height)
        val pixels = plane.buffer
        pixels.rewind()
        if (plane.rowStride == width && plane.pixelStride == 1) {
            pixels.get(luminance, 0, width * height)
            return luminance
        }
        for (row in 0 until height) {
            for (column in 0 until width) {
                luminance[row * width + column] = pixels.get(row * plane.rowStride + column * plane.pixelStride)
            }
        }
        return luminance
    }
}
