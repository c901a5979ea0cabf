/// The three transforms of one Winograd tile on their own (`WinogradConvolution`'s code paths,
/// one tile, no sgemm), so tests can check each against the matrices in Double.
public enum WinogradTransform {
    /// d `[α, α, C]` → V = Bᵀ d B as `[α², C]` (ξ = αi + j); C a multiple of 8.
    public static func input(_ patch: [Float], algorithm: Conv2D.Algorithm, channels: Int) -> [Float] {
        let winograd = convolution(algorithm, inChannels: channels, outChannels: 8)
        let alpha = winograd.tile.alpha
        precondition(patch.count == alpha * alpha * channels, "patch must be [\(alpha), \(alpha), \(channels)]")
        var v = [Float](repeating: 0, count: alpha * alpha * channels)
        patch.withUnsafeBufferPointer { patch in
            v.withUnsafeMutableBufferPointer { v in
                winograd.transformPatch(patch.baseAddress!, rowLength: alpha * channels, into: v.baseAddress!, plane: channels)
            }
        }
        return v
    }

    /// OIHW g `[Cout, Cin, 3, 3]` → U = G g Gᵀ as `[α², Cin, Cout]`; Cout a multiple of 8.
    public static func kernel(_ weight: Tensor, algorithm: Conv2D.Algorithm) -> [Float] {
        WinogradConvolution.kernel(weight, tile: convolution(algorithm, inChannels: 8, outChannels: 8).tile)
    }

    /// M `[α², C]` → Y = Aᵀ M A as `[m, m, C]` (no bias, no ReLU); C a multiple of 8.
    public static func output(_ m: [Float], algorithm: Conv2D.Algorithm, channels: Int) -> [Float] {
        let winograd = convolution(algorithm, inChannels: 8, outChannels: channels)
        let side = winograd.tile.rawValue, alpha = winograd.tile.alpha
        precondition(m.count == alpha * alpha * channels, "M must be [\(alpha * alpha), \(channels)]")
        var y = [Float](repeating: 0, count: side * side * channels)
        let zeros = [Float](repeating: 0, count: channels)
        let band = TileBand(firstTile: 0, tiles: 1, tilesWide: 1, vPlane: 8, mPlane: channels)
        m.withUnsafeBufferPointer { m in
            zeros.withUnsafeBufferPointer { zeros in
                y.withUnsafeMutableBufferPointer { y in
                    winograd.transformOutput(m.baseAddress!, band: band, tiles: 0..<1, bias: zeros.baseAddress!,
                                             relu: false, into: y.baseAddress!)
                }
            }
        }
        return y
    }

    /// A one-tile convolution (H = W = m) for `algorithm`.
    private static func convolution(_ algorithm: Conv2D.Algorithm, inChannels: Int, outChannels: Int) -> WinogradConvolution {
        let tile: WinogradConvolution.Tile = switch algorithm {
        case .winograd2x2: .two
        case .winograd4x4: .four
        case .im2col: preconditionFailure("im2col has no Winograd transforms")
        }
        return WinogradConvolution(tile: tile, inChannels: inChannels, outChannels: outChannels,
                                   height: tile.rawValue, width: tile.rawValue)
    }
}
