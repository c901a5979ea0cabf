import Tensors

/// What a captioner file's decoder reads for one image when its members may read different
/// features: each distinct recipe's vector once, side by side, and which columns each member
/// reads. An ensemble of Show-and-Tell members (pool5 pooled to mean ⊕ max, 1,024 values) and
/// Show-Attend-Tell members (pool5's 49 cells, 25,088 values) reads one row of 26,112 values;
/// members sharing a recipe share its columns. A single model's input is its own recipe alone.
///
///     row = [ spec₀.vector | spec₁.vector | … ]      member m reads columns(ofMember: m)
public struct CaptionInput: Sendable, Equatable {
    /// The distinct recipes, in the order members first use them.
    let specs: [ImageFeatureSpec]
    /// Member m reads `specs[specOfMember[m]]`.
    let specOfMember: [Int]

    /// The input of members reading `memberSpecs[m]` each. Recipes with the same pooling are one
    /// recipe (the caller checks their statistics agree: the same training images).
    public init(memberSpecs: [ImageFeatureSpec]) {
        var specs: [ImageFeatureSpec] = []
        specOfMember = memberSpecs.map { spec in
            if let k = specs.firstIndex(where: { $0.pooling == spec.pooling }) { return k }
            specs.append(spec)
            return specs.count - 1
        }
        self.specs = specs
    }

    /// The width of a row: Σ over the distinct recipes of their size.
    public var size: Int { specs.reduce(0) { $0 + $1.size } }

    /// Whether any recipe reads conv5_3.
    public var needsConv5: Bool { specs.contains { $0.needsConv5 } }

    /// Where recipe k's values start in a row.
    private func offset(ofSpec k: Int) -> Int { specs[..<k].reduce(0) { $0 + $1.size } }

    /// The columns of the row that member m reads.
    public func columns(ofMember m: Int) -> Range<Int> {
        let k = specOfMember[m], start = offset(ofSpec: k)
        return start..<(start + specs[k].size)
    }

    /// Whether every member reads the whole row (one recipe).
    public var isShared: Bool { specs.count == 1 }

    /// Each member's columns for ``CaptionEnsemble``; nil when every member reads the whole row.
    public var memberColumns: [Range<Int>]? { isShared ? nil : specOfMember.indices.map(columns(ofMember:)) }

    /// The row for one photo, each part as `ImageFeatureSpec.vector(pool5:conv5:)` makes it.
    public func vector(pool5: Tensor, conv5: Tensor?) -> [Float] {
        specs.flatMap { $0.vector(pool5: pool5, conv5: conv5) }
    }
}
