// Where the QR code's modules go on screen: whole pixels per module (sharp edges), centred, with the
// quiet zone. A zero or negative canvas (a view laid out before it has a size), an empty matrix or
// one whose module count is not size × size gives nothing to draw instead of a division by zero.

import Foundation

/// The QR code's placement on a canvas, in points.
public struct QrLayout: Equatable {
    /// The side of one module.
    public let module: Double
    /// The top-left corner of the light square (quiet zone included).
    public let originX: Double
    /// The top-left corner of the light square (quiet zone included).
    public let originY: Double
    /// The light square's side (modules plus quiet zone).
    public let side: Double
}

/// The layout of a `size` × `size` matrix with `quietZone` light modules around it on a canvas of
/// `width` × `height` points at `displayScale` pixels per point, or `nil` when nothing can be drawn.
public func qrLayout(size: Int, quietZone: Int, moduleCount: Int, width: Double, height: Double,
                     displayScale: Double) -> QrLayout? {
    guard size > 0, quietZone >= 0, moduleCount == size * size, width.isFinite, height.isFinite,
          width > 0, height > 0, displayScale.isFinite, displayScale > 0 else { return nil }
    let span = Double(size + 2 * quietZone)
    let pixels = (min(width, height) * displayScale / span).rounded(.down)
    guard pixels >= 1 else { return nil }
    let module = pixels / displayScale
    let side = module * span
    return QrLayout(module: module, originX: (width - side) / 2, originY: (height - side) / 2, side: side)
}
