import Encoder
import Foundation
import Tensors

/// Per-layer times of the encoder at batch 1, to show where the time goes and which algorithm
/// the plan gave each layer; and the plan measurement's table.
public enum LayerProfile {
    public static func measure(_ encoder: VGGEncoder, input: Tensor, runs: Int) -> String {
        var table = BenchTable(title: "per layer, batch 1", item: "layer")
        var x = input
        for (conv, layer) in zip(encoder.convs, VGG16Layout.convLayers) {
            let pixels = x.shape[0] * x.shape[1]
            let layerInput = x
            let seconds = BenchTable.time(runs: runs) { _ = conv(layerInput) }
            table.add(stage: "\(layer.name) \(x.shape[0])×\(x.shape[1])×\(layer.inputChannels)→\(layer.outputChannels) "
                      + "\(conv.algorithm.rawValue)/\(conv.split.rawValue)",
                      batch: "1", runs: runs, msPerRun: seconds * 1000, perSecond: nil,
                      gflops: 2 * Double(pixels * conv.macsPerPixel) / seconds / 1e9)
            x = conv(x)
            if VGG16Layout.poolAfter.contains(layer.name) { x = Pooling.maxPool2x2(x) }
        }
        return table.description
    }

    /// Each layer's candidates (ms at batch 1 on all cores, and one image on one core), the
    /// chosen one marked, and the plan's kernel memory against its budget.
    public static func planTable(_ plan: ConvPlan, timings: [[ConvPlan.Timing]]) -> String {
        var lines = ["plan: \(plan.machine); per layer, candidate: ms batch 1 (all cores) / ms one image on one core"]
        for (index, (layer, (shape, choice))) in zip(VGG16Layout.convLayers, zip(plan.shapes, plan.choices)).enumerated() {
            let candidates = timings[index].map { timing in
                let mark = timing.choice == choice ? "*" : " "
                return String(format: "%@%@/%@ %.1f/%.1f", mark, timing.choice.algorithm.rawValue, timing.choice.split.rawValue,
                              timing.batchOne * 1000, timing.perCore * 1000)
            }
            lines.append("  \(layer.name) \(shape): " + candidates.joined(separator: "  "))
        }
        lines.append(String(format: "kernels %.0f MB (budget %.0f MB)", Double(plan.kernelBytes) / 1e6,
                            Double(ConvPlan.kernelBudget(plan.shapes)) / 1e6))
        return lines.joined(separator: "\n")
    }
}
