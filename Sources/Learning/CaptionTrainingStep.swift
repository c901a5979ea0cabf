import Captioning
import Tensors

/// One optimization step of the captioner, the step `CaptionTrainer` takes for every minibatch
/// and `caption bench train` times:
///
///     (loss, g) = CaptionModel.loss(features, captions)   // teacher forcing, BPTT, dropout
///     g ← g · min(1, clipNorm / ‖g‖₂)                      // global-norm clipping
///     parameters ← optimizer(parameters, g)                // Adam or RMSProp at learningRate
enum CaptionTrainingStep {
    /// Wall-clock seconds spent in each part of the steps run with it, summed over steps.
    struct Phases {
        /// `CaptionModel.loss`: forward, softmax cross-entropy and backward through time.
        var lossAndGradients = 0.0
        var clipping = 0.0
        var optimizer = 0.0
    }

    /// Runs the step on `model` in place and returns the minibatch's mean loss. `rng` draws the
    /// dropout masks; `phases`, when given, gets each part's time added.
    static func run(model: inout CaptionModel, optimizer: inout any Optimizer, features: Tensor?, captions: [[Int]],
                    rng: inout SplitMix64, clipNorm: Float, learningRate: Float,
                    phases: UnsafeMutablePointer<Phases>? = nil) -> Float {
        let start = ContinuousClock.now
        var (loss, gradients, _) = model.loss(features: features, captions: captions, rng: &rng, training: true)
        let computed = ContinuousClock.now
        _ = GradientClipping.clipGlobalNorm(&gradients, maxNorm: clipNorm)
        let clipped = ContinuousClock.now
        optimizer.learningRate = learningRate
        optimizer.step(&model.parameters, gradients: gradients)
        if let phases {
            phases.pointee.lossAndGradients += (computed - start).seconds
            phases.pointee.clipping += (clipped - computed).seconds
            phases.pointee.optimizer += (ContinuousClock.now - clipped).seconds
        }
        return loss
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
