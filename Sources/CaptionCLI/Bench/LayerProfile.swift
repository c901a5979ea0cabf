import Application
import Encoder
import Foundation
import Tensors

/// Per-layer times of the encoder at batch 1, to show where the time goes.
enum LayerProfile {
    static func measure(_ encoder: VGGEncoder, input: Tensor, runs: Int) -> String {
        var table = BenchTable(title: "per layer, batch 1 (ms/img is ms per layer)")
        var x = input
        for (conv, layer) in zip(encoder.convs, VGG16Layout.convLayers) {
            let pixels = x.shape[0] * x.shape[1]
            let layerInput = x
            let seconds = BenchTable.time(runs: runs) { _ = conv(layerInput) }
            table.add(stage: "\(layer.name) \(x.shape[0])×\(x.shape[1])×\(layer.inputChannels)→\(layer.outputChannels)",
                      batch: "1", runs: runs, msPerRun: seconds * 1000, perSecond: nil,
                      gflops: 2 * Double(pixels * conv.macsPerPixel) / seconds / 1e9)
            x = conv(x)
            if VGG16Layout.poolAfter.contains(layer.name) { x = Pooling.maxPool2x2(x) }
        }
        return table.description
    }
}
