import Captioning
import Foundation
import Tensors
import Testing
import Learning

/// Optimizer updates against their formulas, and gradient clipping.
struct OptimizerTests {
    static func parameters(_ values: [Float]) -> [String: Tensor] {
        ["w": Tensor(shape: [values.count], data: values), "frozen": Tensor(shape: [1], data: [5])]
    }

    static func gradients(_ values: [Float]) -> [String: Tensor] {
        ["w": Tensor(shape: [values.count], data: values)]
    }

    @Test("SGD: p − lr·g; with momentum v ← μv + g, p ← p − lr·v")
    func sgd() {
        var p = Self.parameters([1, -2])
        var plain = SGD(learningRate: 0.1)
        plain.step(&p, gradients: Self.gradients([0.5, -1]))
        let expected: [Float] = [0.95, -1.9]
        #expect(zip(p["w"]!.data, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(p["frozen"]!.data == [5], "parameters without a gradient are left alone")

        var q = Self.parameters([1])
        var momentum = SGD(learningRate: 0.1, momentum: 0.9)
        momentum.step(&q, gradients: Self.gradients([1]))     // v = 1, p = 0.9
        momentum.step(&q, gradients: Self.gradients([1]))     // v = 1.9, p = 0.71
        #expect(abs(q["w"]!.data[0] - 0.71) < 1e-6)
    }

    @Test("Adam matches its bias-corrected formula over three steps")
    func adamFormula() {
        let lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8
        var adam = Adam(learningRate: Float(lr))
        var p = Self.parameters([0.5, -0.25])
        var expected = [0.5, -0.25], m = [0.0, 0.0], v = [0.0, 0.0]
        let steps: [[Float]] = [[0.2, -3], [-0.1, -2], [0.4, 1e-3]]
        for (t, g) in steps.enumerated() {
            adam.step(&p, gradients: Self.gradients(g))
            for k in 0..<2 {
                m[k] = b1 * m[k] + (1 - b1) * Double(g[k])
                v[k] = b2 * v[k] + (1 - b2) * Double(g[k]) * Double(g[k])
                let mHat = m[k] / (1 - pow(b1, Double(t + 1))), vHat = v[k] / (1 - pow(b2, Double(t + 1)))
                expected[k] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        #expect(adam.stepCount == 3)
        for k in 0..<2 { #expect(abs(Double(p["w"]!.data[k]) - expected[k]) < 1e-6) }
        // First step moves every coordinate by ≈ lr, whatever the gradient's scale.
        var fresh = Adam(learningRate: 0.01)
        var r = Self.parameters([0, 0])
        fresh.step(&r, gradients: Self.gradients([1e-3, -50]))
        #expect(abs(r["w"]!.data[0] + 0.01) < 1e-5 && abs(r["w"]!.data[1] - 0.01) < 1e-5)
    }

    @Test("RMSProp matches s ← ρs + (1−ρ)g², p ← p − lr·g/(√s + ε)")
    func rmsProp() {
        var rms = RMSProp(learningRate: 0.01, decay: 0.95)
        var p = Self.parameters([1])
        rms.step(&p, gradients: Self.gradients([2]))       // s = 0.2
        rms.step(&p, gradients: Self.gradients([-1]))      // s = 0.24
        let expected = 1 - 0.01 * 2 / (0.2.squareRoot() + 1e-8) + 0.01 * 1 / (0.24.squareRoot() + 1e-8)
        #expect(abs(Double(p["w"]!.data[0]) - expected) < 1e-6)
    }

    @Test("Each optimizer minimizes a quadratic", arguments: ["sgd", "adam", "rmsprop"])
    func minimizesQuadratic(name: String) {
        var optimizer: any Optimizer = switch name {
        case "sgd": SGD(learningRate: 0.1, momentum: 0.5)
        case "adam": Adam(learningRate: 0.05)
        default: RMSProp(learningRate: 0.01)
        }
        let target: [Float] = [3, -1, 0.5]
        var p = Self.parameters([0, 0, 0])
        for step in 0..<1000 {
            let g = zip(p["w"]!.data, target).map { 2 * ($0 - $1) }
            if step == 600 { optimizer.learningRate /= 10 }
            optimizer.step(&p, gradients: Self.gradients(g))
        }
        #expect(zip(p["w"]!.data, target).allSatisfy { abs($0 - $1) < 1e-2 }, "\(name): \(p["w"]!.data)")
    }

    @Test("Global-norm clipping rescales to maxNorm and keeps the direction; small norms pass")
    func globalNormClipping() {
        var g: [String: Tensor] = ["a": Tensor(shape: [2], data: [3, 0]), "b": Tensor(shape: [1], data: [-4])]
        #expect(GradientClipping.globalNorm(g) == 5)
        let before = GradientClipping.clipGlobalNorm(&g, maxNorm: 1)
        #expect(before == 5)
        #expect(abs(g["a"]!.data[0] - 0.6) < 1e-6 && g["a"]!.data[1] == 0 && abs(g["b"]!.data[0] + 0.8) < 1e-6)
        #expect(abs(GradientClipping.globalNorm(g) - 1) < 1e-6)
        let unchanged = g
        GradientClipping.clipGlobalNorm(&g, maxNorm: 2)
        #expect(g == unchanged)
        GradientClipping.clipValues(&g, limit: 0.7)
        #expect(g["a"]!.data == [0.6, 0] && g["b"]!.data == [-0.7])
    }
}
