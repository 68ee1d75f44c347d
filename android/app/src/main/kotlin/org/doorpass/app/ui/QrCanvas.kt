// The pass's QR code, drawn module by module from the core's matrix (QrView.modules: one byte per
// module, row by row, 1 = dark) with its light quiet zone around it.
package org.doorpass.app.ui

import androidx.compose.foundation.Canvas
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import kotlin.math.floor
import kotlin.math.min
import org.doorpass.core.QrView

/**
 * Draws [qr] as large as fits, centred. Each module is a whole number of pixels wide and starts on a
 * whole pixel, so the edges stay sharp for the scanner; runs of dark modules in a row are one
 * rectangle each, so no seam shows between them.
 */
@Composable
fun QrCanvas(qr: QrView, modifier: Modifier = Modifier) {
    Canvas(modifier) {
        val modulesPerSide = qr.size.toInt()
        val margin = qr.quietZone.toInt()
        if (modulesPerSide <= 0 || qr.modules.size < modulesPerSide * modulesPerSide) return@Canvas
        // Nothing to draw in (first layout, a collapsed pane): a module would not fit in a pixel.
        if (size.width < 1f || size.height < 1f || size.minDimension < modulesPerSide + 2 * qr.quietZone.toInt()) return@Canvas
        val sideWithMargin = modulesPerSide + 2 * margin
        val module = floor(min(size.width, size.height) / sideWithMargin).coerceAtLeast(1f)
        val drawnSide = module * sideWithMargin
        val left = floor((size.width - drawnSide) / 2f)
        val top = floor((size.height - drawnSide) / 2f)
        drawRect(Color.White, topLeft = Offset(left, top), size = Size(drawnSide, drawnSide))
        val codeLeft = left + margin * module
        val codeTop = top + margin * module
        for (row in 0 until modulesPerSide) {
            var column = 0
            while (column < modulesPerSide) {
                if (!isDark(qr, row, column)) {
                    column++
                    continue
                }
                val runStart = column
                while (column < modulesPerSide && isDark(qr, row, column)) column++
                drawRect(
                    Color.Black,
                    topLeft = Offset(codeLeft + runStart * module, codeTop + row * module),
                    size = Size((column - runStart) * module, module),
                )
            }
        }
    }
}

/** Whether the module at [row], [column] is dark. */
private fun isDark(qr: QrView, row: Int, column: Int): Boolean =
    qr.modules[row * qr.size.toInt() + column].toInt() == 1
