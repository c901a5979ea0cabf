import Tensors

/// The objective of one minibatch of B (image, sentence) pairs and its gradient:
///
///     total = ranking + regularization,   ranking = C of `RankingLoss` (paper eq. 9),
///     regularization = λ Σ_{weights} ‖W‖²
public struct AlignmentLoss: Sendable {
    /// ranking + regularization: what the gradients are the gradient of.
    public var total: Float
    /// The max-margin ranking term, summed over the batch (0 when every pair wins by Δ).
    public var ranking: Float
    /// λ‖θ‖² over the regularized tensors (`AlignmentParameter.isRegularized`).
    public var regularization: Float
    /// S `[B images, B sentences]`; pair k is (image k, sentence k), on the diagonal.
    public var scores: Tensor
    /// ∂total/∂θ for every parameter, same names and shapes as `AlignmentModel.parameters`.
    public var gradients: [String: Tensor]
}
