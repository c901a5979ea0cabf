import Foundation
import Tensors

/// Updates named parameters in place from their gradients, one minibatch at a time. Per-parameter
/// state (moments) is kept by name, so the dictionary from `CaptionModel.parameters` and the one
/// from `CaptionModel.loss` pair up directly:
///
///     var optimizer = Adam(learningRate: 4e-4)
///     GradientClipping.clipGlobalNorm(&gradients, maxNorm: 5)
///     optimizer.step(&model.parameters, gradients: gradients)
public protocol Optimizer: Sendable {
    /// Step size; change it between steps for a schedule.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    mutating func step(_ parameters: inout [String: Tensor], gradients: [String: Tensor])
    /// Everything `step` remembers between calls, as named flat tensors, so a checkpoint can
    /// save it and a resumed run continue with the same moments.
    var state: [String: Tensor] { get }
    /// Puts back a `state` saved earlier.
    mutating func restore(_ state: [String: Tensor])
}

extension Optimizer {
    /// Named moment arrays as `prefix.name` tensors.
    static func flatten(_ moments: [String: [Float]], prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, values) in moments { out["\(prefix).\(name)"] = Tensor(shape: [values.count], data: values) }
        return out
    }

    /// The `prefix.name` tensors of a saved state, back as moment arrays by name.
    static func unflatten(_ state: [String: Tensor], prefix: String) -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for (key, tensor) in state where key.hasPrefix(prefix + ".") { out[String(key.dropFirst(prefix.count + 1))] = tensor.data }
        return out
    }
}

/// Stochastic gradient descent with optional heavy-ball momentum:
///
///     v ← μ·v + g        p ← p − lr·v          (μ = 0: p ← p − lr·g)
public struct SGD: Optimizer {
    public var learningRate: Float
    /// μ; 0 turns momentum off.
    public var momentum: Float
    private var velocity: [String: [Float]] = [:]

    public init(learningRate: Float, momentum: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public var state: [String: Tensor] { Self.flatten(velocity, prefix: "velocity") }
    public mutating func restore(_ state: [String: Tensor]) { velocity = Self.unflatten(state, prefix: "velocity") }

    public mutating func step(_ parameters: inout [String: Tensor], gradients: [String: Tensor]) {
        let lr = learningRate, mu = momentum
        for (name, gradient) in gradients {
            Self.checkShapes(parameters, name, gradient)
            if mu != 0, velocity[name] == nil { velocity[name] = [Float](repeating: 0, count: gradient.count) }
            parameters[name]!.data.withUnsafeMutableBufferPointer { p in
                gradient.data.withUnsafeBufferPointer { g in
                    if mu == 0 {
                        for k in 0..<g.count { p[k] -= lr * g[k] }
                        return
                    }
                    velocity[name]!.withUnsafeMutableBufferPointer { v in
                        for k in 0..<g.count {
                            v[k] = mu * v[k] + g[k]
                            p[k] -= lr * v[k]
                        }
                    }
                }
            }
        }
    }
}

/// Adam (Kingma & Ba 2015) with bias correction:
///
///     m ← β₁m + (1−β₁)g     v ← β₂v + (1−β₂)g²     p ← p − lr · m̂ / (√v̂ + ε)
///     m̂ = m / (1−β₁ᵗ)       v̂ = v / (1−β₂ᵗ)
///
/// Defaults are the paper's; neuraltalk2 trains its decoder with lr 4e-4 and β₁ 0.8.
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Updates taken so far (t).
    public private(set) var stepCount = 0
    private var firstMoment: [String: [Float]] = [:]
    private var secondMoment: [String: [Float]] = [:]

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public var state: [String: Tensor] {
        Self.flatten(firstMoment, prefix: "m").merging(Self.flatten(secondMoment, prefix: "v")) { a, _ in a }
            .merging(["step": Tensor(shape: [1], data: [Float(stepCount)])]) { a, _ in a }
    }

    public mutating func restore(_ state: [String: Tensor]) {
        firstMoment = Self.unflatten(state, prefix: "m")
        secondMoment = Self.unflatten(state, prefix: "v")
        stepCount = Int(state["step"]?.data.first ?? 0)
    }

    public mutating func step(_ parameters: inout [String: Tensor], gradients: [String: Tensor]) {
        stepCount += 1
        let b1 = beta1, b2 = beta2
        // m̂ / (√v̂ + ε) = (m / c₁) / (√v / √c₂ + ε) = (√c₂ / c₁) · m / (√v + ε·√c₂).
        let correction1 = 1 - pow(Double(b1), Double(stepCount))
        let correction2 = 1 - pow(Double(b2), Double(stepCount))
        let rate = Float(Double(learningRate) * correction2.squareRoot() / correction1)
        let eps = Float(Double(epsilon) * correction2.squareRoot())
        for (name, gradient) in gradients {
            Self.checkShapes(parameters, name, gradient)
            if firstMoment[name] == nil {
                firstMoment[name] = [Float](repeating: 0, count: gradient.count)
                secondMoment[name] = [Float](repeating: 0, count: gradient.count)
            }
            parameters[name]!.data.withUnsafeMutableBufferPointer { p in
            gradient.data.withUnsafeBufferPointer { g in
            firstMoment[name]!.withUnsafeMutableBufferPointer { m in
            secondMoment[name]!.withUnsafeMutableBufferPointer { v in
                let (p, g, m, v) = (p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!)
                ParameterChunks.forEach(count: gradient.count) { range in
                    var k = range.lowerBound
                    while k + 8 <= range.upperBound {
                        let gk = ParameterChunks.load(g + k)
                        let mk = b1 * ParameterChunks.load(m + k) + (1 - b1) * gk
                        let vk = b2 * ParameterChunks.load(v + k) + (1 - b2) * gk * gk
                        ParameterChunks.store(mk, m + k)
                        ParameterChunks.store(vk, v + k)
                        ParameterChunks.store(ParameterChunks.load(p + k) - rate * mk / (vk.squareRoot() + eps), p + k)
                        k += 8
                    }
                    while k < range.upperBound {
                        m[k] = b1 * m[k] + (1 - b1) * g[k]
                        v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k]
                        p[k] -= rate * m[k] / (v[k].squareRoot() + eps)
                        k += 1
                    }
                }
            }}}}
        }
    }
}

/// RMSProp (Tieleman & Hinton 2012), as char-rnn uses it:
///
///     s ← ρ·s + (1−ρ)·g²        p ← p − lr · g / (√s + ε)
public struct RMSProp: Optimizer {
    public var learningRate: Float
    /// ρ = 0.95: char-rnn's decay rate.
    public var decay: Float
    public var epsilon: Float
    private var meanSquare: [String: [Float]] = [:]

    public init(learningRate: Float = 2e-3, decay: Float = 0.95, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.decay = decay
        self.epsilon = epsilon
    }

    public var state: [String: Tensor] { Self.flatten(meanSquare, prefix: "s") }
    public mutating func restore(_ state: [String: Tensor]) { meanSquare = Self.unflatten(state, prefix: "s") }

    public mutating func step(_ parameters: inout [String: Tensor], gradients: [String: Tensor]) {
        let lr = learningRate, rho = decay, eps = epsilon
        for (name, gradient) in gradients {
            Self.checkShapes(parameters, name, gradient)
            if meanSquare[name] == nil { meanSquare[name] = [Float](repeating: 0, count: gradient.count) }
            parameters[name]!.data.withUnsafeMutableBufferPointer { p in
            gradient.data.withUnsafeBufferPointer { g in
            meanSquare[name]!.withUnsafeMutableBufferPointer { s in
                for k in 0..<g.count {
                    s[k] = rho * s[k] + (1 - rho) * g[k] * g[k]
                    p[k] -= lr * g[k] / (s[k].squareRoot() + eps)
                }
            }}}
        }
    }
}

extension Optimizer {
    /// Stops on a gradient for a parameter that does not exist or has another shape.
    static func checkShapes(_ parameters: [String: Tensor], _ name: String, _ gradient: Tensor) {
        guard let parameter = parameters[name] else { preconditionFailure("gradient for unknown parameter \(name)") }
        precondition(parameter.shape == gradient.shape,
                     "gradient \(gradient.shape) does not match parameter \(name) \(parameter.shape)")
    }
}

/// Rescaling of gradients before an optimizer step, against exploding gradients through time.
public enum GradientClipping {
    /// ‖g‖₂ over all tensors together (squares summed in Float eight at a time within chunks of
    /// `ParameterChunks`, the chunks' sums in Double).
    public static func globalNorm(_ gradients: [String: Tensor]) -> Float {
        var sum: Double = 0
        for name in gradients.keys.sorted() {
            gradients[name]!.data.withUnsafeBufferPointer { g in
                let g = g.baseAddress!
                let partial = ParameterChunks.map(count: gradients[name]!.count) { range -> Double in
                    var total: Double = 0
                    var k = range.lowerBound
                    while k < range.upperBound {
                        // Blocks of 1,024 keep the Float partial sums short.
                        let end = min(range.upperBound, k + 1024)
                        var lanes = SIMD8<Float>()
                        while k + 8 <= end {
                            let x = ParameterChunks.load(g + k)
                            lanes += x * x
                            k += 8
                        }
                        var block = Double(lanes.sum())
                        while k < end {
                            block += Double(g[k]) * Double(g[k])
                            k += 1
                        }
                        total += block
                    }
                    return total
                }
                sum += partial.reduce(0, +)
            }
        }
        return Float(sum.squareRoot())
    }

    /// If ‖g‖₂ > maxNorm, scales every gradient by maxNorm / ‖g‖₂ (Pascanu et al. 2013), which
    /// keeps the direction. Returns the norm before clipping.
    @discardableResult
    public static func clipGlobalNorm(_ gradients: inout [String: Tensor], maxNorm: Float) -> Float {
        let norm = globalNorm(gradients)
        guard norm > maxNorm, norm > 0 else { return norm }
        let scale = maxNorm / norm
        for name in gradients.keys {
            gradients[name]!.data.withUnsafeMutableBufferPointer { g in
                let count = g.count, g = g.baseAddress!
                ParameterChunks.forEach(count: count) { range in
                    var k = range.lowerBound
                    while k + 8 <= range.upperBound {
                        ParameterChunks.store(ParameterChunks.load(g + k) * scale, g + k)
                        k += 8
                    }
                    while k < range.upperBound {
                        g[k] *= scale
                        k += 1
                    }
                }
            }
        }
        return norm
    }

    /// Clamps every value to [−limit, limit] (neuraltalk2's `grad_clip`).
    public static func clipValues(_ gradients: inout [String: Tensor], limit: Float) {
        for name in gradients.keys {
            gradients[name]!.data.withUnsafeMutableBufferPointer { g in
                for k in 0..<g.count { g[k] = min(max(g[k], -limit), limit) }
            }
        }
    }
}

/// Splits an element-wise pass over a parameter tensor into one contiguous chunk per core (the
/// optimizer and clipping touch every one of the ~5 million parameters every step).
enum ParameterChunks {
    /// Tensors smaller than this stay on one core.
    static let minimumParallelCount = 1 << 15

    static func forEach(count: Int, _ body: (Range<Int>) -> Void) {
        _ = map(count: count) { body($0) }
    }

    static func map<Value>(count: Int, _ body: (Range<Int>) -> Value) -> [Value] {
        let chunks = count < minimumParallelCount ? 1 : Parallel.workers
        // Chunk bounds are multiples of 8, so only the last chunk has a scalar tail.
        let size = ((count + chunks - 1) / chunks + 7) / 8 * 8
        var results = [Value?](repeating: nil, count: chunks)
        results.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(chunks) { c in out[c] = body(min(count, c * size)..<min(count, (c + 1) * size)) }
        }
        return results.map { $0! }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load(UnsafePointer(p)) }

    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
