import Foundation
import Tensors

/// This machine's sgemm throughput on all cores, measured in the same run as the figures it is
/// compared with: one single-threaded 1024³ multiply per core, at once.
public enum SgemmPeak {
    public static func measure(side n: Int = 1024, runs: Int = 5) -> BenchTable.Row {
        let workers = Parallel.workers
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        let flops = 2 * Double(n * n * n) * Double(workers)
        let seconds = BenchTable.time(runs: runs + 1) {
            Parallel.forEach(workers) { _ in
                var c = [Float](repeating: 0, count: n * n)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            BLAS.gemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n,
                                      c: c.baseAddress!, ldc: n)
                        }
                    }
                }
            }
        }
        return .init(stage: "sgemm \(n)³ × \(workers) cores (peak)", batch: "-", runs: runs, msPerRun: nil,
                     perSecond: nil, gflops: flops / seconds / 1e9)
    }
}
